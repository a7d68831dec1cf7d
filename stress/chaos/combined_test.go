//go:build stress

package chaossuite

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/chaos"
	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/judge"
	"github.com/mcpstress/mcpstress/report"
	"github.com/mcpstress/mcpstress/verdict"
)

// TestChaosCombinedFailures is seed scenario 3.6: every fault above at
// once, for the whole fault phase — on the chaos proxy 2% message loss
// each way and a 100–500 ms delay on the answers, a partition of
// partition_hold every partition_every and 10% of the connections reset
// every disconnect_every; on a reference server this suite started (as
// server_processes processes), a random process killed every crash_every
// and restarted. Requests time out after 1 s per attempt (above the
// longest delay) with 2 retries. Judged: the system survives — the run
// completes, every server process answers its control endpoint at the
// end (alive or restarted), every session is connected again at the end
// — and recovers within 30 s of the last heal (a 1 s window at >= 90% of
// the pre-fault throughput with errors back to normal). On another
// target the process crashes are left out (they act only on a server this
// suite started) and the test says so.
func TestChaosCombinedFailures(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	const sc = "combined"
	recoveryMax := secs(f.target(t, sc, "recovery_s_max"))
	procs := int(f.param(t, sc, "server_processes"))
	retries := int(f.param(t, sc, "retries"))
	attempt := ms(f.param(t, sc, "attempt_timeout_ms"))
	lo, hi := ms(f.param(t, sc, "delay_min_ms")), ms(f.param(t, sc, "delay_max_ms"))
	e := setup(t, tr, envOptions{proxy: true, processes: procs})
	entries := []chaos.Entry{
		{Name: "loss", For: f.fault, Fault: chaos.ToxicFault{Proxy: e.proxy, Spec: chaos.ToxicSpec{Name: "loss", Direction: chaos.Both,
			Toxic: &chaos.Loss{Fraction: f.param(t, sc, "loss_fraction"), Seed: 36, Framing: e.framing}}}},
		{Name: "latency", For: f.fault, Fault: chaos.ToxicFault{Proxy: e.proxy, Spec: chaos.ToxicSpec{Name: "latency", Direction: chaos.Downstream,
			Toxic: chaos.Latency{Latency: (lo + hi) / 2, Jitter: (hi - lo) / 2, Seed: 36}}}},
		{Name: "partition", Fault: chaos.PartitionFault{Proxy: e.proxy}, Every: f.partitionEvery, For: f.partitionHold},
		{Name: "disconnect", Fault: chaos.DropFault{Proxy: e.proxy, Fraction: f.param(t, sc, "drop_fraction")}, Every: f.disconnectEvery},
	}
	what := fmt.Sprintf("all at once for %v: 2%% loss each way, %v–%v on the answers, a %v partition every %v, 10%% of the connections reset every %v",
		f.fault, lo, hi, f.partitionHold, f.partitionEvery, f.disconnectEvery)
	if len(e.servers) > 0 {
		entries = append(entries, chaos.Entry{Name: "crash", Fault: crashOne{servers: e.servers, restart: true}, Every: f.crashEvery})
		what += fmt.Sprintf(", a random one of %d server processes killed every %v", procs, f.crashEvery)
	} else {
		tr.Warn("process crashes left out: target %s is not a server this suite started", suite.Target())
	}
	t.Logf("plan: %s", f.plan(what+fmt.Sprintf("; watched %v after", f.combinedRecovery)))

	timeout := time.Duration(retries+1)*attempt + attempt/2
	r := run(t, tr, f, e, spec{name: "combined", total: f.warmup + f.baseline + f.fault + f.combinedRecovery, faultAt: f.warmup + f.baseline,
		faultFor: f.fault, timeout: timeout, contain: &framework.Containment{Retries: retries, AttemptTimeout: attempt},
		schedule: chaos.Schedule{Seed: 36, Entries: entries}})

	// The whole storm as one fault: from the first injection to the last
	// heal.
	first, last := r.events[0].At, r.events[0].At
	for _, ev := range r.events {
		if ev.At.Before(first) {
			first = ev.At
		}
		if ev.End.After(last) {
			last = ev.End
		}
	}
	storm := chaos.FaultEvent{Kind: "combined", At: first, End: last, Detail: fmt.Sprintf("%d injections", len(r.events))}
	im := measure(t, f, r, storm, time.Time{})
	// Recovery is judged from the last heal: a healthy window between two
	// partitions, while loss and delay were still in force, is not the
	// recovery the seed asks for.
	after := measure(t, f, r, chaos.FaultEvent{Kind: "after the last heal", At: last, End: last}, time.Time{})
	rec := judge.RecoveryTime([]chaos.Impact{after}, "every fault at once (from the last heal)", recoveryMax, false)

	alive := verdict.Check{Expr: "the server survives: every server process answers at the end (alive or restarted)", Metric: "server_processes_alive"}
	if len(e.servers) == 0 {
		alive.Skip = "the server is not a process this suite started: its processes cannot be checked"
	} else {
		n := 0
		for _, s := range e.servers {
			ctx, cancel := context.WithTimeout(suite.Context(), 5*time.Second)
			if _, err := s.Stats(ctx); err == nil {
				n++
			} else {
				alive.Detail += err.Error() + "; "
			}
			cancel()
		}
		alive.Measured, alive.Pass = float64(n), n == len(e.servers)
		alive.Detail += fmt.Sprintf("%d of %d processes answer /stats", n, len(e.servers))
	}
	back := verdict.Check{Expr: "every session connected again at the end of the load", Metric: "sessions_connected", Measured: float64(r.liveAtEnd),
		Pass: r.liveAtEnd >= f.sessions, Detail: fmt.Sprintf("%d of %d connections live through the proxy at the last interval; %d reconnects in %d attempts",
			r.liveAtEnd, f.sessions, r.sum.Reconnects.Succeeded, r.sum.Reconnects.Attempts)}
	tr.Judge(r.sum, alive, back, rec)
	var kinds []chaos.Impact
	for i, ev := range r.events {
		var until time.Time
		if i+1 < len(r.events) {
			until = r.events[i+1].At
		}
		kinds = append(kinds, measure(t, f, r, ev, until))
	}
	record(tr, f, r, append([]chaos.Impact{im, after}, kinds...), "combined failures (the first row is the whole storm, from the first injection to the last heal; the second is from the last heal on; then each injection)")
	tr.KeyMetric("recovery_after_last_heal_s", "s", rec.Measured, report.BetterLower)
	tr.Metric("time_to_detect_s", "s", im.TimeToDetect.Seconds(), report.BetterLower)
	tr.Metric("storm_s", "s", last.Sub(first).Seconds(), "")
	tr.Metric("error_rate_during_pct", "%", 100*im.ErrorRateDuring, report.BetterLower)
	tr.Metric("saved_by_retry", "", float64(r.sum.Containment.Recovered), "")
	tr.Series(liveSeries(r))
}

// TestChaosRecoveryCheckFailsWhenTheServerNeverComesBack is the negative
// control of every recovery check: the reference server (one process,
// ours whatever -target says) is killed once and never restarted, and the
// recovery check judged on that run must fail.
func TestChaosRecoveryCheckFailsWhenTheServerNeverComesBack(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	f.recovery = min(f.recovery, 4*f.window)
	e := setup(t, tr, envOptions{alwaysOwn: true, processes: 1})
	r := run(t, tr, f, e, spec{name: "crash-no-restart", total: f.warmup + f.baseline + f.recovery, faultAt: f.warmup + f.baseline,
		faultFor: f.recovery, timeout: f.timeout,
		schedule: chaos.Schedule{Seed: 37, Entries: []chaos.Entry{{Name: "crash", Fault: crashOne{servers: e.servers}, Count: 1}}}})
	ims := measureEach(t, f, r, chaos.KindCrash)
	rec := judge.RecoveryTime(ims, "a crash with no restart", secs(f.target(t, "process_crashes", "recovery_s_max")), false)
	tr.Judge(r.sum, verdict.Check{Expr: "FAILS against a server that never comes back: " + rec.Expr, Metric: rec.Metric, Unit: rec.Unit,
		Measured: rec.Measured, Pass: rec.Failed() && !rec.Unmeasured(), Detail: rec.String()})
	record(tr, f, r, ims, "crash without restart")
}
