//go:build stress

package chaossuite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/chaos"
	"github.com/mcpstress/mcpstress/judge"
	"github.com/mcpstress/mcpstress/mcptest"
	"github.com/mcpstress/mcpstress/report"
	"github.com/mcpstress/mcpstress/stress"
	"github.com/mcpstress/mcpstress/verdict"
)

// latencyFault is the scenario's delay: on a reference server this suite
// started, each request is delayed by a duration drawn uniformly from
// [min, max] in the server (mcptest Faults.Delay–DelayMax); on another
// target, the chaos proxy delays each chunk of the answers by
// (min+max)/2 ± (max−min)/2 — per chunk, and in order, so on a busy
// connection a short delay waits behind a long one and the spread leans
// toward max.
//
// residual, when set, is what the removal leaves behind on our own servers:
// every answer that much slower (the lasting damage of the recovery
// check's negative control).
func latencyFault(e *env, lo, hi, residual time.Duration) chaos.Fault {
	if len(e.servers) > 0 {
		return chaos.Hook{Kind: "latency",
			On: func(ctx context.Context, _ *rand.Rand) (string, error) {
				for _, s := range e.servers {
					if err := s.SetFaults(ctx, mcptest.Faults{Delay: lo, DelayMax: hi}); err != nil {
						return "", err
					}
				}
				return fmt.Sprintf("every request delayed in the server by %v–%v (uniform per request)", lo, hi), nil
			},
			Off: func(ctx context.Context) error {
				for _, s := range e.servers {
					if err := s.SetFaults(ctx, mcptest.Faults{Delay: residual}); err != nil {
						return err
					}
				}
				return nil
			}}
	}
	return chaos.ToxicFault{Proxy: e.proxy, Spec: chaos.ToxicSpec{Name: "latency", Direction: chaos.Downstream,
		Toxic: chaos.Latency{Latency: (lo + hi) / 2, Jitter: (hi - lo) / 2, Seed: 35}}}
}

// latencyJudgement is how graceful degradation is judged (see
// TestChaosLatencyInjection).
type latencyJudgement struct {
	checks                []verdict.Check
	preP95, p99During     time.Duration
	detectAfter, recovery time.Duration
	detected, recovered   bool
}

func judgeLatency(t *testing.T, f figures, r *result, lo, hi time.Duration) latencyJudgement {
	t.Helper()
	const sc = "latency_injection"
	minFraction := f.target(t, sc, "throughput_min_fraction")
	errMax := f.target(t, sc, "error_rate_max")
	slack := ms(f.target(t, sc, "p99_over_injected_max_ms"))
	recoveryMax := secs(f.target(t, sc, "recovery_s_max"))
	backFactor := f.target(t, sc, "p95_after_factor_max")
	var j latencyJudgement
	if len(r.events) != 1 {
		t.Fatalf("want one latency injection, got %d", len(r.events))
	}
	ev := r.events[0]
	iv := r.sum.Intervals
	refFrom := r.sum.Start.Add(f.warmup)
	pre := judge.Aggregate(iv, refFrom, r.faultStart)
	if pre.Span <= 0 || pre.Hist.TotalCount() == 0 {
		t.Fatalf("no pre-fault reference in [%v, %v)", refFrom, r.faultStart)
	}
	preRate := float64(pre.Answered) / pre.Span.Seconds()
	j.preP95 = time.Duration(pre.Hist.ValueAtQuantile(95)) * time.Microsecond
	back := max(time.Duration(backFactor*float64(j.preP95)), j.preP95+5*time.Millisecond)

	// During: the steady state of the fault, from one longest delay after
	// it began to its removal.
	during := judge.Aggregate(iv, ev.At.Add(hi), ev.End)
	thr := verdict.Check{Expr: fmt.Sprintf("throughput holds under the delay: >= %.0f%% of the pre-fault throughput (the offered load fits: %d sessions × %d in flight / %v > %.0f/s)",
		100*minFraction, f.sessions, f.pipeline, hi, f.rate), Metric: "throughput_during", Unit: "msg/s"}
	p99 := verdict.Check{Expr: fmt.Sprintf("no amplification: p99 under the delay <= %v (the longest injected delay + %v)", hi+slack, slack), Metric: "p99_during", Unit: "ms"}
	if during.Span <= 0 || during.Hist.TotalCount() == 0 {
		thr = verdict.NoDataCheck(thr.Expr, thr.Metric, thr.Unit, "no interval under the delay")
		p99 = verdict.NoDataCheck(p99.Expr, p99.Metric, p99.Unit, "no answer under the delay")
	} else {
		rate := float64(during.Answered) / during.Span.Seconds()
		thr.Measured, thr.Pass = rate, rate >= minFraction*preRate
		thr.Detail = fmt.Sprintf("%.0f/s over %v under the delay vs %.0f/s before", rate, during.Span.Round(time.Millisecond), preRate)
		j.p99During = time.Duration(during.Hist.ValueAtQuantile(99)) * time.Microsecond
		p99.Measured, p99.Pass = float64(j.p99During)/float64(time.Millisecond), j.p99During <= hi+slack
		p99.Detail = fmt.Sprintf("p50 %v, p99 %v, max %v under the delay (from the intended send); %v before", time.Duration(during.Hist.ValueAtQuantile(50))*time.Microsecond,
			j.p99During, time.Duration(during.Hist.Max())*time.Microsecond, j.preP95)
	}
	// Errors: from the injection to one request timeout after its removal.
	a, fl, _, _ := judge.Between(r.pts, ev.At, ev.End.Add(f.timeout))
	errs := judge.ErrorRateDuring([]chaos.Impact{{AnsweredDuring: a, FailedDuring: fl, ErrorRateDuring: ratio(fl, a+fl), During: ev.End.Add(f.timeout).Sub(ev.At)}},
		"the delay (timeouts, errors and drops: no cascade)", errMax)

	// Visible: the first point whose p95 rose by half the shortest delay.
	for _, s := range iv {
		if s.End.After(ev.At) && s.Latency.Corrected.P95 > j.preP95+lo/2 {
			j.detected, j.detectAfter = true, s.End.Sub(ev.At)
			break
		}
	}
	vis := verdict.Check{Expr: "the injected delay is visible in the measured latency (a 100 ms point's p95 up by half the shortest delay)", Metric: "latency_detect", Unit: "s",
		Measured: j.detectAfter.Seconds(), Pass: j.detected, Detail: fmt.Sprintf("pre-fault p95 %v", j.preP95)}

	// Recovery: after the removal, the first window back at the pre-fault
	// throughput with errors normal and p95 back under back.
	for i, s := range iv {
		if s.Start.Before(ev.End) {
			continue
		}
		// The intervals that end within the window (their ends are the
		// collector's ticks, a little after the grid's).
		w := judge.Aggregate(iv, s.Start, s.Start.Add(f.window+f.interval/2))
		if w.Span < f.window-f.window/20 {
			break
		}
		p95 := time.Duration(w.Hist.ValueAtQuantile(95)) * time.Microsecond
		if float64(w.Answered)/w.Span.Seconds() >= f.fraction*preRate && ratio(w.Errors+w.Dropped, w.Answered+w.Dropped) <= errMax && p95 <= back {
			j.recovered, j.recovery = true, iv[i].Start.Sub(ev.End)
			break
		}
	}
	rec := verdict.Check{Expr: fmt.Sprintf("no lasting damage: back to normal < %v after the delay is removed (a %v window at >= %.0f%% of the pre-fault throughput, errors <= %g%%, p95 <= %v)",
		recoveryMax, f.window, 100*f.fraction, 100*errMax, back), Metric: "recovery_after_delay", Unit: "s"}
	if j.recovered {
		rec.Measured, rec.Pass = j.recovery.Seconds(), j.recovery < recoveryMax
	} else {
		rec.Measured, rec.Pass = r.sum.Start.Add(r.sum.LoadDuration).Sub(ev.End).Seconds(), false
		rec.Detail = "never back to normal in the time watched"
	}
	j.checks = []verdict.Check{thr, p99, errs, vis, rec}
	return j
}

func ratio(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// latencyRun drives the scenario, watching f.recovery after the removal;
// clientPipeline > 0 caps the requests in flight per session and
// residual > 0 leaves every answer that much slower after the removal
// (both on our own server: the negative controls).
func latencyRun(t *testing.T, tr *stress.T, f figures, name string, clientPipeline int, residual time.Duration) (*result, time.Duration, time.Duration) {
	t.Helper()
	const sc = "latency_injection"
	lo, hi := ms(f.param(t, sc, "delay_min_ms")), ms(f.param(t, sc, "delay_max_ms"))
	timeout := ms(f.param(t, sc, "request_timeout_ms"))
	e := setup(t, tr, envOptions{proxy: suite.Target() != "", alwaysOwn: clientPipeline > 0 || residual > 0})
	f.timeout = timeout
	r := run(t, tr, f, e, spec{name: name, total: f.warmup + f.baseline + f.fault + f.recovery, faultAt: f.warmup + f.baseline,
		faultFor: f.fault, timeout: timeout, clientPipeline: clientPipeline,
		schedule: chaos.Schedule{Seed: 35, Entries: []chaos.Entry{{Name: "latency", For: f.fault, Fault: latencyFault(e, lo, hi, residual)}}}})
	return r, lo, hi
}

// watchRecovery lengthens f's watch after the removal to at least the
// recovery target plus one window, for the tests that judge "back to
// normal < 10 s" over the 10 s it allows: a quick CI run watched 4 s, in
// which the machine's own 20–60 ms stalls (100 ms points) kept every 1 s
// window's p95 above 2× the pre-fault p95, and failed a server that had
// recovered in 0.3 s by throughput.
func (f figures) watchRecovery(t *testing.T) figures {
	f.recovery = max(f.recovery, secs(f.target(t, "latency_injection", "recovery_s_max"))+f.window)
	return f
}

// TestChaosLatencyInjection is seed scenario 3.5: for the whole fault
// phase every request is delayed 100–500 ms (drawn per request, in the
// reference server; through the proxy for another target). "Graceful
// degradation, no cascading failures" is judged as: the offered load
// still fits (Little's law: 150 sessions × 8 in flight / 500 ms = 2,400/s
// > 1,500/s offered), so throughput under the delay stays >= 90% of the
// pre-fault throughput; the added latency is not amplified (p99 <= the
// longest delay + 150 ms: no queueing beyond the injected delay); no
// timeouts, errors or drops pile up (< 1% from the injection to one
// request timeout after its removal, with a 2 s request timeout); the
// delay shows in the measured latency; and once it is removed the
// service is back to normal (throughput, errors, and p95 within 2× its
// pre-fault value) within 10 s — no lasting damage.
func TestChaosLatencyInjection(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	t.Logf("plan: %s", f.plan(fmt.Sprintf("every request delayed %g–%g ms for %v", f.param(t, "latency_injection", "delay_min_ms"), f.param(t, "latency_injection", "delay_max_ms"), f.fault)))
	f = f.watchRecovery(t)
	r, _, _ := latencyRun(t, tr, f, "latency-injection", 0, 0)
	f.timeout = ms(f.param(t, "latency_injection", "request_timeout_ms"))
	lo, hi := ms(f.param(t, "latency_injection", "delay_min_ms")), ms(f.param(t, "latency_injection", "delay_max_ms"))
	j := judgeLatency(t, f, r, lo, hi)
	tr.Judge(r.sum, j.checks...)
	im := measure(t, f, r, r.events[0], time.Time{})
	record(tr, f, r, []chaos.Impact{im}, "latency injection")
	tr.KeyMetric("p99_under_delay_ms", "ms", float64(j.p99During)/float64(time.Millisecond), report.BetterLower)
	tr.Metric("latency_detected_after_s", "s", j.detectAfter.Seconds(), report.BetterLower)
	tr.Metric("recovery_after_removal_s", "s", j.recovery.Seconds(), report.BetterLower)
}

// TestChaosDegradationCheckFailsWhenTheLoadNoLongerFits is the negative
// control of the graceful-degradation checks: the same delay with one
// request on the wire per session (150 / 300 ms mean = 500/s, a third of
// the offered 1,500/s) must fail the throughput check — the queue grows,
// requests are dropped and time out — against our own server.
func TestChaosDegradationCheckFailsWhenTheLoadNoLongerFits(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	f.fault, f.recovery = min(f.fault, 4*time.Second), min(f.recovery, 3*time.Second)
	r, lo, hi := latencyRun(t, tr, f, "latency-one-in-flight", 1, 0)
	f.timeout = ms(f.param(t, "latency_injection", "request_timeout_ms"))
	j := judgeLatency(t, f, r, lo, hi)
	thr := j.checks[0]
	tr.Judge(r.sum, verdict.Check{Expr: "FAILS with one request in flight per session: " + thr.Expr, Metric: thr.Metric, Unit: thr.Unit,
		Measured: thr.Measured, Pass: thr.Failed() && !thr.Unmeasured(), Detail: thr.String()})
}

// TestChaosLatencyRecoveryCheckFailsWhenDamageLasts is the negative control
// of the "no lasting damage" check: the same delay, whose removal leaves
// every answer 50 ms slower (ten times a quiet pre-fault p95), must fail
// it against our own server; throughput and errors stay normal, so only
// the latency can fail it.
func TestChaosLatencyRecoveryCheckFailsWhenDamageLasts(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	f = f.watchRecovery(t)
	f.fault = min(f.fault, 4*time.Second)
	const residual = 50 * time.Millisecond
	r, lo, hi := latencyRun(t, tr, f, "latency-lasting-damage", 0, residual)
	f.timeout = ms(f.param(t, "latency_injection", "request_timeout_ms"))
	j := judgeLatency(t, f, r, lo, hi)
	rec := j.checks[len(j.checks)-1]
	tr.Judge(r.sum, verdict.Check{Expr: fmt.Sprintf("FAILS when the removal leaves answers %v slower: %s", residual, rec.Expr), Metric: rec.Metric, Unit: rec.Unit,
		Measured: rec.Measured, Pass: rec.Failed() && !rec.Unmeasured() && j.preP95 > 0, Detail: rec.String()})
}
