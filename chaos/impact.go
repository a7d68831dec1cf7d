package chaos

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Sample is one request as the load client saw it end: when (At: the
// answer, the failure or the give-up), and how — answered, failed (an
// error, a timeout, a drop) or lost (never answered after the retries the
// scenario allows; a lost request is also failed).
type Sample struct {
	At     time.Time
	Failed bool
	Lost   bool
}

// Bin turns per-request samples into RatePoints of step (100 ms when 0)
// covering [from, to): the sub-second series MeasureImpact wants, from
// per-request times. Samples outside [from, to) are left out.
func Bin(samples []Sample, from, to time.Time, step time.Duration) []RatePoint {
	if step <= 0 {
		step = 100 * time.Millisecond
	}
	if !to.After(from) {
		return nil
	}
	n := int((to.Sub(from) + step - 1) / step)
	pts := make([]RatePoint, n)
	for i := range pts {
		pts[i].Start = from.Add(time.Duration(i) * step)
		pts[i].End = pts[i].Start.Add(step)
		if pts[i].End.After(to) {
			pts[i].End = to
		}
	}
	for _, s := range samples {
		if s.At.Before(from) || !s.At.Before(to) {
			continue
		}
		p := &pts[s.At.Sub(from)/step]
		switch {
		case s.Lost:
			p.Failed++
			p.Lost++
		case s.Failed:
			p.Failed++
		default:
			p.Answered++
		}
	}
	return pts
}

// ImpactOptions say how a fault's impact is judged. Zero values take the
// defaults noted.
type ImpactOptions struct {
	// BaselineFrom starts the pre-fault reference period (after warm-up);
	// the zero time means the first point. The period ends at the fault.
	BaselineFrom time.Time
	// Window is the sliding window recovery is judged over; default 1 s.
	// It must span at least two points.
	Window time.Duration
	// Fraction of the pre-fault throughput that counts as recovered;
	// default 0.9.
	Fraction float64
	// NormalErrorRate is the error rate (failed / (answered + failed))
	// that counts as back to normal; default the larger of 1% and twice
	// the pre-fault rate.
	NormalErrorRate float64
	// DetectFraction: a point whose throughput falls below it × the
	// pre-fault throughput detects the fault; default 0.5.
	DetectFraction float64
	// DetectErrorRate: a point whose error rate rises above it detects the
	// fault; default 5 × NormalErrorRate, at least 5%.
	DetectErrorRate float64
}

// Impact is how a run went through one fault, measured from its traffic
// at the resolution of its points (Resolution; 100 ms points give
// 100 ms answers).
type Impact struct {
	Fault FaultEvent `json:"fault"`
	// PreRate (answered per second) and PreErrorRate are the reference,
	// over the whole points in [BaselineFrom, Fault.At).
	PreRate      float64 `json:"pre_rate"`
	PreErrorRate float64 `json:"pre_error_rate"`

	// Detected says whether a point from the fault on fell below
	// DetectFraction × PreRate or rose above DetectErrorRate; TimeToDetect
	// is from the fault to the end of the first such point.
	Detected     bool          `json:"detected"`
	TimeToDetect time.Duration `json:"time_to_detect"`

	// Recovered says whether, after the detection (or from the fault, if
	// never detected), a Window of whole points had throughput ≥ Fraction
	// × PreRate and an error rate ≤ NormalErrorRate. TimeToRecover is from
	// the fault to the start of the first such window (from then on the
	// service was back, as the window shows); SinceHeal is the same from
	// the heal (Fault.End when set after At), never negative.
	Recovered     bool          `json:"recovered"`
	TimeToRecover time.Duration `json:"time_to_recover"`
	SinceHeal     time.Duration `json:"since_heal"`

	// During is the fault's span for the counts below: from the fault to
	// its heal when it has a duration, else to the recovery (or the end of
	// the series). ErrorRateDuring is failed / (answered + failed) over
	// the points overlapping it.
	During          time.Duration `json:"during"`
	AnsweredDuring  uint64        `json:"answered_during"`
	FailedDuring    uint64        `json:"failed_during"`
	ErrorRateDuring float64       `json:"error_rate_during"`
	// MinRate is the lowest single-point throughput from the fault on.
	MinRate float64 `json:"min_rate"`
	// Lost counts the requests from the fault on that were never answered
	// after the bounded retries (RatePoint.Lost).
	Lost uint64 `json:"lost"`

	Observed   time.Duration `json:"observed"`   // from the fault to the end of the series
	Resolution time.Duration `json:"resolution"` // the longest point
	// The options in force, defaults filled in.
	Window          time.Duration `json:"window"`
	Fraction        float64       `json:"fraction"`
	NormalErrorRate float64       `json:"normal_error_rate"`
	DetectFraction  float64       `json:"detect_fraction"`
	DetectErrorRate float64       `json:"detect_error_rate"`
}

func (m Impact) String() string {
	s := fmt.Sprintf("%s at %s: pre-fault %.0f/s (errors %.2f%%)", m.Fault.Kind, m.Fault.At.Format("15:04:05.000"), m.PreRate, 100*m.PreErrorRate)
	if m.Detected {
		s += fmt.Sprintf("; detected after %v", m.TimeToDetect)
	} else {
		s += "; never detected"
	}
	if m.Recovered {
		s += fmt.Sprintf("; recovered after %v (%v after the heal)", m.TimeToRecover, m.SinceHeal)
	} else {
		s += fmt.Sprintf("; not recovered within %v", m.Observed)
	}
	return s + fmt.Sprintf("; error rate %.2f%% over %v; lowest %.0f/s; %d lost; resolution %v",
		100*m.ErrorRateDuring, m.During, m.MinRate, m.Lost, m.Resolution)
}

func errRate(answered, failed uint64) float64 {
	if answered+failed == 0 {
		return 0
	}
	return float64(failed) / float64(answered+failed)
}

// MeasureImpact measures one fault from a run's points (in time order,
// ideally 100 ms apart, from the engine's intervals or from Bin):
// detection, recovery over a sliding window, the error rate during the
// fault and the requests lost for good. It is MeasureRecovery's
// successor: finer, two-sided (throughput and errors), and aware of the
// fault's end.
func MeasureImpact(points []RatePoint, ev FaultEvent, opts ImpactOptions) (Impact, error) {
	opts.Window = cmp.Or(opts.Window, time.Second)
	opts.Fraction = cmp.Or(opts.Fraction, 0.9)
	opts.DetectFraction = cmp.Or(opts.DetectFraction, 0.5)
	var errs []error
	if opts.Window < 0 {
		errs = append(errs, fmt.Errorf("chaos: impact window %v is negative", opts.Window))
	}
	for name, f := range map[string]float64{"fraction": opts.Fraction, "detect fraction": opts.DetectFraction} {
		if !(f > 0 && f <= 1) {
			errs = append(errs, fmt.Errorf("chaos: impact %s %v is not in (0,1]", name, f))
		}
	}
	for name, f := range map[string]float64{"normal error rate": opts.NormalErrorRate, "detect error rate": opts.DetectErrorRate} {
		if !(f >= 0 && f <= 1) {
			errs = append(errs, fmt.Errorf("chaos: impact %s %v is not in [0,1]", name, f))
		}
	}
	var res time.Duration
	for i, p := range points {
		if p.End.Before(p.Start) || (i > 0 && p.Start.Before(points[i-1].Start)) {
			errs = append(errs, fmt.Errorf("chaos: rate points out of order at %d", i))
			break
		}
		res = max(res, p.End.Sub(p.Start))
	}
	if res > 0 && opts.Window > 0 && res > opts.Window/2 {
		errs = append(errs, fmt.Errorf("chaos: points of %v are too coarse for a %v window: want at least two per window", res, opts.Window))
	}
	if !ev.End.IsZero() && ev.End.Before(ev.At) {
		errs = append(errs, errors.New("chaos: fault ends before it starts"))
	}
	if err := errors.Join(errs...); err != nil {
		return Impact{}, err
	}

	at := ev.At
	m := Impact{Fault: ev, Resolution: res, Window: opts.Window, Fraction: opts.Fraction, DetectFraction: opts.DetectFraction}
	var preN, preF uint64
	var preSpan time.Duration
	for _, p := range points {
		if !p.Start.Before(opts.BaselineFrom) && !p.End.After(at) {
			preN += p.Answered
			preF += p.Failed
			preSpan += p.End.Sub(p.Start)
		}
	}
	if preSpan <= 0 {
		return m, errors.New("chaos: no whole point before the fault to take the reference from")
	}
	m.PreRate = float64(preN) / preSpan.Seconds()
	m.PreErrorRate = errRate(preN, preF)
	m.NormalErrorRate = cmp.Or(opts.NormalErrorRate, max(0.01, 2*m.PreErrorRate))
	m.DetectErrorRate = cmp.Or(opts.DetectErrorRate, max(0.05, 5*m.NormalErrorRate))
	if m.DetectErrorRate > 1 {
		m.DetectErrorRate = 1
	}

	first := slices.IndexFunc(points, func(p RatePoint) bool { return p.End.After(at) })
	if first < 0 {
		return m, errors.New("chaos: no point after the fault")
	}
	m.Observed = points[len(points)-1].End.Sub(at)
	rate := func(p RatePoint) float64 {
		if d := p.End.Sub(p.Start); d > 0 {
			return float64(p.Answered) / d.Seconds()
		}
		return 0
	}

	// Detection, at single-point resolution; the point the fault fell
	// into counts (its tail is the fault's).
	recoverFrom := first
	m.MinRate = -1
	for i := first; i < len(points); i++ {
		p := points[i]
		r := rate(p)
		if m.MinRate < 0 || r < m.MinRate {
			m.MinRate = r
		}
		if !m.Detected && (r < m.DetectFraction*m.PreRate || errRate(p.Answered, p.Failed) > m.DetectErrorRate) {
			m.Detected, m.TimeToDetect, recoverFrom = true, p.End.Sub(at), i+1
		}
		m.Lost += p.Lost
	}

	// Recovery: the first window of whole points, starting after the
	// detection and not before the fault, that is healthy on both counts.
	for i := recoverFrom; i < len(points); i++ {
		if points[i].Start.Before(at) {
			continue
		}
		var n, f uint64
		var span time.Duration
		j := i
		for ; j < len(points) && span < opts.Window-opts.Window/20; j++ {
			n += points[j].Answered
			f += points[j].Failed
			span += points[j].End.Sub(points[j].Start)
		}
		if span < opts.Window-opts.Window/20 {
			break // no full window left
		}
		if float64(n)/span.Seconds() >= m.Fraction*m.PreRate && errRate(n, f) <= m.NormalErrorRate {
			m.Recovered = true
			m.TimeToRecover = points[i].Start.Sub(at)
			heal := at
			if ev.End.After(at) {
				heal = ev.End
			}
			m.SinceHeal = max(0, points[i].Start.Sub(heal))
			break
		}
	}

	// The fault's span, and the counts over the points overlapping it.
	end := points[len(points)-1].End
	switch {
	case ev.End.After(at):
		end = ev.End
	case m.Recovered:
		end = at.Add(m.TimeToRecover)
	}
	m.During = end.Sub(at)
	for _, p := range points[first:] {
		if p.Start.After(at) && !p.Start.Before(end) {
			break
		}
		m.AnsweredDuring += p.Answered
		m.FailedDuring += p.Failed
	}
	m.ErrorRateDuring = errRate(m.AnsweredDuring, m.FailedDuring)
	return m, nil
}
