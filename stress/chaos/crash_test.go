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
)

// crashOne kills one of a server's processes, chosen with the injection's
// seeded source (the seed's "kill random server processes"), and restarts
// it at the heal, as a supervisor would. With restart false it stays dead:
// the negative control's server that never comes back.
type crashOne struct {
	servers []*mcptest.Server
	restart bool
}

func (c crashOne) Inject(ctx context.Context, rnd *rand.Rand) (chaos.Injection, error) {
	i := rnd.IntN(len(c.servers))
	inj, err := chaos.Crash{Process: c.servers[i]}.Inject(ctx, rnd)
	if err != nil {
		return inj, err
	}
	inj.Detail = fmt.Sprintf("server process %d of %d: %s", i+1, len(c.servers), inj.Detail)
	if !c.restart {
		inj.Heal = nil
		inj.Detail = fmt.Sprintf("server process %d of %d: SIGKILL, never restarted", i+1, len(c.servers))
	}
	return inj, nil
}

// crashImpacts measures each crash, its error rate taken over "during the
// failure" as this suite defines it: from the kill to the recovery (the
// start of the first healthy window), and never less than one recovery
// window, so a crash the service absorbs at once is judged on a window of
// traffic and not on the one 100 ms point the kill fell into.
func crashImpacts(t *testing.T, f figures, r *result) []chaos.Impact {
	ims := measureEach(t, f, r, chaos.KindCrash)
	for i, m := range ims {
		var end time.Time
		if m.Recovered {
			end = m.Fault.At.Add(max(m.TimeToRecover, f.window))
		} else {
			end = m.Fault.At.Add(m.Observed)
		}
		a, fl, _, _ := judge.Between(r.pts, m.Fault.At, end)
		ims[i].During, ims[i].AnsweredDuring, ims[i].FailedDuring = end.Sub(m.Fault.At), a, fl
		ims[i].ErrorRateDuring = 0
		if a+fl > 0 {
			ims[i].ErrorRateDuring = float64(fl) / float64(a+fl)
		}
	}
	return ims
}

// TestChaosRandomProcessCrashes is seed scenario 3.1: a random process of
// the reference server (run as server_processes processes sharing one
// port, SO_REUSEPORT) is killed with SIGKILL every crash_every (the
// seed's 30 s; scaled by mode, see the plan) and restarted at once, as a
// supervisor would; the killed process's sessions see their connections
// break and reconnect (through the listeners that live). Judged per
// crash: recovery (a 1 s window at ≥ 90% of the pre-fault throughput with
// errors back to normal) < 10 s from the kill, and the error rate during
// the failure — from the kill to that recovery, at least one window —
// < 5%. Process faults act only on a server this suite started: another
// -target skips this test with that reason.
func TestChaosRandomProcessCrashes(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	const sc = "process_crashes"
	procs := int(f.param(t, sc, "server_processes"))
	restartAfter := secs(f.param(t, sc, "restart_delay_s"))
	recoveryMax := secs(f.target(t, sc, "recovery_s_max"))
	errMax := f.target(t, sc, "error_rate_during_max")
	e := setup(t, tr, envOptions{ownServer: true, processes: procs})
	t.Logf("plan: %s", f.plan(fmt.Sprintf("one random process of %d killed every %v (seed: every %gs), restarted after %v", procs, f.crashEvery, f.param(t, sc, "every_s"), restartAfter)))

	r := run(t, tr, f, e, spec{name: "process-crashes", total: f.warmup + f.baseline + f.fault + f.recovery, faultAt: f.warmup + f.baseline,
		faultFor: f.fault, timeout: f.timeout,
		schedule: chaos.Schedule{Seed: 31, Entries: []chaos.Entry{{Name: "crash", Fault: crashOne{servers: e.servers, restart: true}, Every: f.crashEvery, For: restartAfter}}}})
	ims := crashImpacts(t, f, r)
	rec := judge.RecoveryTime(ims, "killing a server process", recoveryMax, false)
	errs := judge.ErrorRateDuring(ims, "each crash (from the kill to recovery, at least one window)", errMax)
	tr.Judge(r.sum, rec, errs)
	record(tr, f, r, ims, "crashes")
	tr.KeyMetric("recovery_time_s", "s", rec.Measured, report.BetterLower)
	tr.Metric("error_rate_during_pct", "%", errs.Measured, report.BetterLower)
	tr.Metric("reconnects_succeeded", "", float64(r.sum.Reconnects.Succeeded), "")
	tr.Metric("reconnect_attempts", "", float64(r.sum.Reconnects.Attempts), "")
}

// record adds what every scenario's report carries: the impact table
// (fault timeline with detection and recovery per injection), the
// recovery curve and the detection and recovery figures.
func record(tr interface {
	Table(report.Table)
	Series(report.Series)
	Metric(string, string, float64, report.Better)
}, f figures, r *result, ims []chaos.Impact, what string) {
	tr.Table(judge.ImpactTable(what+": every injection and what it did to the traffic (100 ms points)", ims, suite.Started()))
	if len(ims) > 0 {
		tr.Series(judge.RecoverySeries("answered rate / pre-fault rate", r.pts, ims[0].PreRate, suite.Started()))
		tr.Metric("pre_fault_rate", "msg/s", ims[0].PreRate, report.BetterHigher)
	}
	var detected, recovered int
	for _, m := range ims {
		if m.Detected {
			detected++
		}
		if m.Recovered {
			recovered++
		}
	}
	tr.Metric("injections", "", float64(len(ims)), "")
	tr.Metric("injections_detected", "", float64(detected), "")
	tr.Metric("injections_recovered", "", float64(recovered), "")
	if detected > 0 {
		tr.Metric("worst_time_to_detect_s", "s", worst(ims, func(m chaos.Impact) time.Duration {
			if m.Detected {
				return m.TimeToDetect
			}
			return 0
		}).Seconds(), report.BetterLower)
	}
	if recovered > 0 {
		tr.Metric("worst_time_to_recover_s", "s", worst(ims, func(m chaos.Impact) time.Duration { return m.TimeToRecover }).Seconds(), report.BetterLower)
		tr.Metric("worst_recovery_since_heal_s", "s", worst(ims, func(m chaos.Impact) time.Duration { return m.SinceHeal }).Seconds(), report.BetterLower)
	}
}
