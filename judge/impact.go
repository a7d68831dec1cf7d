package judge

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/mcpstress/mcpstress/chaos"
	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/report"
	"github.com/mcpstress/mcpstress/verdict"
)

// The checks of a fault's impact (chaos.MeasureImpact) on a run: how soon
// it was seen, how soon the service came back, the error rate while it
// lasted, the requests lost for good, the throughput lost and the
// sessions that came back. Each judges every injection of a scenario by
// its worst one, and fails on no data: no injection, or nothing measured
// around it.

// RatePoints turns a run's intervals into the points chaos.MeasureImpact
// reads: Answered is what succeeded (OK), Failed every other ending but a
// cancellation at the stop (tool and JSON-RPC errors, transport errors,
// timeouts, drops), and Lost the requests that were sent and never
// answered — transport errors and timeouts, as the engine records them
// after whatever retries the session makes (so a session without retries
// counts every unanswered request as lost).
func RatePoints(iv []framework.IntervalSnapshot) []chaos.RatePoint {
	pts := make([]chaos.RatePoint, len(iv))
	for i, s := range iv {
		c := s.Counts
		pts[i] = chaos.RatePoint{Start: s.Start, End: s.End, Answered: c.OK,
			Failed: c.Errors() + c.Dropped, Lost: c.TransportError + c.Timeout}
	}
	return pts
}

// Between sums the points that overlap [from, to): answered, failed and
// lost requests and the time they span.
func Between(pts []chaos.RatePoint, from, to time.Time) (answered, failed, lost uint64, span time.Duration) {
	for _, p := range pts {
		if !p.End.After(from) || !p.Start.Before(to) {
			continue
		}
		answered += p.Answered
		failed += p.Failed
		lost += p.Lost
		span += p.End.Sub(p.Start)
	}
	return answered, failed, lost, span
}

// WorstWindowRate is the lowest answered rate (per second) over a sliding
// window of whole points starting in [from, to); ok is false when no full
// window fits.
func WorstWindowRate(pts []chaos.RatePoint, from, to time.Time, window time.Duration) (rate float64, at time.Time, ok bool) {
	rate = math.Inf(1)
	for i := range pts {
		if pts[i].Start.Before(from) || !pts[i].Start.Before(to) {
			continue
		}
		var n uint64
		var span time.Duration
		for j := i; j < len(pts) && span < window-window/20; j++ {
			n += pts[j].Answered
			span += pts[j].End.Sub(pts[j].Start)
		}
		if span < window-window/20 {
			break
		}
		if r := float64(n) / span.Seconds(); r < rate {
			rate, at, ok = r, pts[i].Start, true
		}
	}
	if !ok {
		return math.NaN(), time.Time{}, false
	}
	return rate, at, true
}

// noImpact is the no-data check of a criterion judged on no injection.
func noImpact(expr, metric, unit string) verdict.Check {
	return verdict.NoDataCheck(expr, metric, unit, "no fault was injected and measured: nothing to judge")
}

// DetectionTime checks that every injection was detected (a 100 ms point
// whose throughput fell or whose errors rose past MeasureImpact's
// thresholds) within maxTime of it. The worst injection is measured; one
// never detected fails with the time it was watched.
func DetectionTime(ims []chaos.Impact, what string, maxTime time.Duration) verdict.Check {
	c := verdict.Check{Expr: fmt.Sprintf("%s detected within %v of each injection (throughput below the detect fraction of pre-fault, or errors above the detect rate, in one point)", what, maxTime),
		Metric: "time_to_detect", Unit: "s"}
	if len(ims) == 0 {
		return noImpact(c.Expr, c.Metric, c.Unit)
	}
	worst, missed := time.Duration(0), 0
	var parts []string
	for _, m := range ims {
		if !m.Detected {
			missed++
			worst = max(worst, m.Observed)
			parts = append(parts, fmt.Sprintf("never (watched %v)", m.Observed.Round(time.Millisecond)))
			continue
		}
		worst = max(worst, m.TimeToDetect)
		parts = append(parts, m.TimeToDetect.Round(time.Millisecond).String())
	}
	c.Measured, c.Pass = worst.Seconds(), missed == 0 && worst < maxTime
	c.Detail = fmt.Sprintf("%d injection(s), %d not detected; per injection: %s; resolution %v", len(ims), missed, strings.Join(parts, ", "), ims[0].Resolution)
	return c
}

// RecoveryTime checks that the service came back after every injection
// within maxTime: from the heal when fromHeal (a fault with a duration,
// judged on how soon it heals), else from the injection. Recovered means
// MeasureImpact's sliding window (throughput at its fraction of pre-fault
// and errors back under the normal rate). An injection after which the
// service never recovered fails, measured as the time it was watched.
func RecoveryTime(ims []chaos.Impact, what string, maxTime time.Duration, fromHeal bool) verdict.Check {
	from := "the injection"
	if fromHeal {
		from = "the heal"
	}
	c := verdict.Check{Expr: fmt.Sprintf("recovery after %s < %v from %s, after every injection", what, maxTime, from),
		Metric: "recovery_time", Unit: "s"}
	if len(ims) == 0 {
		return noImpact(c.Expr, c.Metric, c.Unit)
	}
	worst, never := time.Duration(0), 0
	var parts []string
	for _, m := range ims {
		if !m.Recovered {
			never++
			worst = max(worst, m.Observed)
			parts = append(parts, fmt.Sprintf("not recovered (watched %v)", m.Observed.Round(time.Millisecond)))
			continue
		}
		d := m.TimeToRecover
		if fromHeal {
			d = m.SinceHeal
		}
		worst = max(worst, d)
		parts = append(parts, d.Round(time.Millisecond).String())
	}
	c.Measured, c.Pass = worst.Seconds(), never == 0 && worst < maxTime
	m := ims[0]
	c.Detail = fmt.Sprintf("%d injection(s), %d never recovered; per injection: %s; recovered = a %v window at >= %.0f%% of the pre-fault throughput with errors <= %.2g%%",
		len(ims), never, strings.Join(parts, ", "), m.Window, 100*m.Fraction, 100*m.NormalErrorRate)
	return c
}

// ErrorRateDuring checks the error rate (failed / (answered + failed))
// over each injection's span — the span is the caller's definition,
// given as the Impact's During with its counts, and named in what — by
// the worst injection.
func ErrorRateDuring(ims []chaos.Impact, what string, maxRate float64) verdict.Check {
	c := verdict.Check{Expr: fmt.Sprintf("error rate during %s < %g%%, every injection", what, 100*maxRate), Metric: "error_rate_during", Unit: "%"}
	worst, judged := 0.0, 0
	var parts []string
	for _, m := range ims {
		if m.AnsweredDuring+m.FailedDuring == 0 {
			parts = append(parts, "no traffic")
			continue
		}
		judged++
		worst = max(worst, m.ErrorRateDuring)
		parts = append(parts, fmt.Sprintf("%.2f%% (%d of %d over %v)", 100*m.ErrorRateDuring, m.FailedDuring, m.AnsweredDuring+m.FailedDuring, m.During.Round(time.Millisecond)))
	}
	if judged == 0 || judged < len(ims) {
		return verdict.NoDataCheck(c.Expr, c.Metric, c.Unit, "an injection with no traffic around it: "+strings.Join(parts, ", "))
	}
	c.Measured, c.Pass = 100*worst, worst < maxRate
	c.Detail = strings.Join(parts, "; ")
	return c
}

// Unrecovered checks the requests lost for good — sent and never
// answered after the retries allowed — against the requests sent in the
// same span.
func Unrecovered(lost, sent uint64, what string, maxRate float64) verdict.Check {
	c := verdict.Check{Expr: fmt.Sprintf("unrecovered losses < %g%% of the requests sent during %s", 100*maxRate, what), Metric: "unrecovered_rate", Unit: "%"}
	if sent == 0 {
		return verdict.NoDataCheck(c.Expr, c.Metric, c.Unit, "no request was sent during the fault")
	}
	r := float64(lost) / float64(sent)
	c.Measured, c.Pass = 100*r, r < maxRate
	c.Detail = fmt.Sprintf("%d of %d requests never answered", lost, sent)
	return c
}

// ThroughputLoss checks the throughput lost after each injection: 1 − the
// worst sliding window's answered rate in [At, At+horizon) over the
// pre-fault rate of that injection, by the worst injection.
func ThroughputLoss(pts []chaos.RatePoint, ims []chaos.Impact, horizon, window time.Duration, maxLoss float64) verdict.Check {
	c := verdict.Check{Expr: fmt.Sprintf("throughput loss < %g%% after every injection (worst %v window within %v, vs pre-fault)", 100*maxLoss, window, horizon),
		Metric: "throughput_loss", Unit: "%", Window: window}
	worst, judged := 0.0, 0
	var parts []string
	for _, m := range ims {
		rate, _, ok := WorstWindowRate(pts, m.Fault.At, m.Fault.At.Add(horizon), window)
		if !ok || m.PreRate <= 0 {
			parts = append(parts, "no full window")
			continue
		}
		judged++
		loss := max(0, 1-rate/m.PreRate)
		worst = max(worst, loss)
		parts = append(parts, fmt.Sprintf("%.1f%% (%.0f of %.0f/s)", 100*loss, rate, m.PreRate))
	}
	if judged == 0 || judged < len(ims) {
		return verdict.NoDataCheck(c.Expr, c.Metric, c.Unit, "no measurable window after an injection: "+strings.Join(parts, ", "))
	}
	c.Measured, c.Pass = 100*worst, worst < maxLoss
	c.Detail = strings.Join(parts, "; ")
	return c
}

// Reconnected checks that every session whose connection a fault broke
// came back: the sessions' successful reconnects (framework.Reconnects,
// summed over the run) at least the connections broken, and — when
// liveAtEnd is known (≥ 0) — every session's connection live at the end.
// Nothing broken is no data.
func Reconnected(r framework.Reconnects, broken, liveAtEnd, sessions int) verdict.Check {
	c := verdict.Check{Expr: "100% of the disconnected sessions reconnected", Metric: "reconnect_success", Unit: "%"}
	if broken <= 0 {
		return verdict.NoDataCheck(c.Expr, c.Metric, c.Unit, "no connection was broken")
	}
	c.Measured = 100 * min(float64(r.Succeeded)/float64(broken), 1)
	c.Pass = r.Succeeded >= int64(broken)
	c.Detail = fmt.Sprintf("%d connections broken; %d reconnect attempts, %d succeeded, %d failed", broken, r.Attempts, r.Succeeded, r.Attempts-r.Succeeded)
	if liveAtEnd >= 0 {
		c.Pass = c.Pass && liveAtEnd >= sessions
		c.Detail += fmt.Sprintf("; %d of %d sessions connected at the end", liveAtEnd, sessions)
		if liveAtEnd < sessions {
			c.Measured = min(c.Measured, 100*float64(liveAtEnd)/float64(sessions))
		}
	}
	return c
}

// ImpactTable lists every injection with what it did to the traffic;
// times are offsets from origin (the suite's start, as on the charts).
func ImpactTable(title string, ims []chaos.Impact, origin time.Time) report.Table {
	t := report.Table{Title: title, Columns: []string{"fault", "at", "healed", "conns", "pre-fault msg/s", "detected after", "recovered after", "since heal",
		"error rate during", "during", "lowest msg/s (100 ms)", "lost", "detail"}}
	off := func(at time.Time) string {
		if at.IsZero() {
			return "—"
		}
		return at.Sub(origin).Round(time.Millisecond).String()
	}
	for _, m := range ims {
		det, rec, heal := "never", "never", "—"
		if m.Detected {
			det = m.TimeToDetect.Round(time.Millisecond).String()
		}
		if m.Recovered {
			rec, heal = m.TimeToRecover.Round(time.Millisecond).String(), m.SinceHeal.Round(time.Millisecond).String()
		}
		t.Rows = append(t.Rows, []string{m.Fault.Kind, off(m.Fault.At), off(m.Fault.End), fmt.Sprint(m.Fault.Conns), fmt.Sprintf("%.0f", m.PreRate),
			det, rec, heal, fmt.Sprintf("%.2f%%", 100*m.ErrorRateDuring), m.During.Round(time.Millisecond).String(),
			fmt.Sprintf("%.0f", m.MinRate), fmt.Sprint(m.Lost), m.Fault.Detail})
	}
	return t
}

// RecoverySeries is the recovery curve: each point's answered rate as a
// percentage of ref (the pre-fault rate), over time from origin.
func RecoverySeries(name string, pts []chaos.RatePoint, ref float64, origin time.Time) report.Series {
	s := report.Series{Name: name, Unit: "%", Chart: report.ChartRecovery}
	if ref <= 0 {
		return s
	}
	for _, p := range pts {
		if d := p.End.Sub(p.Start); d > 0 {
			s.Points = append(s.Points, report.Point{T: p.End.Sub(origin), V: 100 * float64(p.Answered) / d.Seconds() / ref})
		}
	}
	return s
}
