//go:build stress

package cascading

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/chaos"
	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/mcptest"
	"github.com/mcpstress/mcpstress/report"
	"github.com/mcpstress/mcpstress/verdict"
)

// retryOnce is the client of the crash scenarios: one retry, 50 ms later,
// of a request whose connection broke under it (the bounded retry the seed's
// clients make; the slow-handler test shows what retries cost when the
// server is slow instead of gone).
var retryOnce = &framework.Containment{Retries: 1, Backoff: client.Backoff{Initial: 50 * time.Millisecond, Max: 50 * time.Millisecond}}

const (
	loadSessions  = 1000
	crashSessions = 5000 // the seed drops 500 clients: a tenth of these
	loadRate      = 2000
)

func TestCascadingCrashAndMassDisconnect(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	sc := f.scenario(t, "crash_and_mass_disconnect")
	drop := value(t, sc.Params, "disconnect_clients")
	var servers []*mcptest.Server
	o := runCascade(t, tr, f, setup{Name: "crash-and-mass-disconnect", Sessions: crashSessions, Rate: loadRate, Timeout: time.Second, Servers: 4, Containment: retryOnce,
		Faults: func(env faultEnv) []timedFault {
			servers = env.Servers
			return []timedFault{
				{Fault: chaos.Crash{Process: env.Servers[3]}},                              // one of four processes, restarted at the heal
				{Fault: chaos.DropFault{Proxy: env.Proxy, Fraction: drop / crashSessions}}, // 500 of 5,000 clients
			}
		}})
	tr.Judge(o.Sum,
		peakCheck(o, value(t, sc.Targets, "error_rate_max")),
		recoveryCheck(o, time.Duration(value(t, sc.Targets, "recovery_s_max"))*time.Second),
		survivedCheck(suite.Context(), servers, crashSessions, o.Sum))
	tr.Metric("clients_dropped", "", dropped(o.Events), "")
}

func dropped(evs []chaos.FaultEvent) float64 {
	var n int
	for _, e := range evs {
		n += e.Conns
	}
	return float64(n)
}

func TestCascadingRegistryPartitionAndLatency(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	sc := f.scenario(t, "registry_partition_and_latency")
	delay := time.Duration(value(t, sc.Params, "delay_ms")) * time.Millisecond
	o := runCascade(t, tr, f, setup{Name: "registry-partition-and-latency", Sessions: loadSessions, Rate: loadRate, Timeout: 2 * time.Second,
		Faults: func(env faultEnv) []timedFault {
			return []timedFault{
				{Fault: delayHook("registry_blocked_and_delay", env.Servers, mcptest.Faults{BlockRegistry: true, Delay: delay})},
				// A tenth of the sessions lose their connection, so they
				// must pass the blocked registry to come back.
				{Fault: chaos.DropFault{Proxy: env.Proxy, Fraction: 0.1}},
			}
		}})
	// Graceful degradation: during the failure the sessions that kept
	// their connection are still answered (at the added latency) — the
	// server slows, it does not fall over — and errors stay a minority.
	during := o.Impact
	answeredShare := 0.0
	if during.AnsweredDuring+during.FailedDuring > 0 {
		answeredShare = float64(during.AnsweredDuring) / float64(during.AnsweredDuring+during.FailedDuring)
	}
	graceful := verdict.Check{Expr: "graceful degradation: at least 80% of the requests during the failure answered (the blocked registry holds only sessions that must reconnect)",
		Metric: "answered_during", Unit: "%", Measured: 100 * answeredShare, Pass: answeredShare >= 0.8,
		Detail: fmt.Sprintf("%d answered, %d failed over %v", during.AnsweredDuring, during.FailedDuring, during.During)}
	if during.AnsweredDuring+during.FailedDuring == 0 {
		graceful.NoData = true
	}
	tr.Judge(o.Sum, graceful, recoveryCheck(o, time.Duration(value(t, sc.Targets, "recovery_s_max"))*time.Second))
}

// TestCascadingSlowHandlerTimeoutCascade: every answer 500 ms late against a
// 300 ms client timeout. The naive client retries each timeout three times
// at once, so the server, already too slow, gets up to four requests for
// each one scheduled and holds more and more of them; the contained client
// (two retries with backoff, and a breaker that opens after 20 failures in
// a row) stops sending while the server fails. Judged: the naive client
// amplifies the load (the cascade exists, so the test can see it), the
// contained one keeps attempts per request under 1.5 and rejects rather
// than sends while the breaker is open, and it recovers after the heal.
func TestCascadingSlowHandlerTimeoutCascade(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	sc := f.scenario(t, "slow_handler_timeout_cascade")
	delay := time.Duration(value(t, sc.Params, "handler_delay_ms")) * time.Millisecond
	timeout := 300 * time.Millisecond
	faults := func(env faultEnv) []timedFault {
		return []timedFault{{Fault: delayHook("slow_handler", env.Servers, mcptest.Faults{Delay: delay})}}
	}
	naive := runCascade(t, tr, f, setup{Name: "slow-handler-naive", Sessions: 200, Rate: 1000, Timeout: timeout, Pipeline: 4,
		Containment: &framework.Containment{Retries: 3}, Faults: faults})
	contained := runCascade(t, tr, f, setup{Name: "slow-handler-contained", Sessions: 200, Rate: 1000, Timeout: timeout, Pipeline: 4,
		Containment: &framework.Containment{Retries: 2, Backoff: client.Backoff{Initial: 100 * time.Millisecond, Max: time.Second},
			BreakerFailures: 20, BreakerOpen: 500 * time.Millisecond, Seed: 7},
		Faults: faults})
	na, ca := naive.Sum.Containment, contained.Sum.Containment
	// Attempts per request in the failure phase (retries happen only
	// there: nothing fails before or after).
	amp := func(o *outcome) float64 {
		if o.ScheduledDuring == 0 {
			return 0
		}
		return 1 + float64(o.Sum.Containment.Retries)/float64(o.ScheduledDuring)
	}
	nAmp, cAmp := amp(naive), amp(contained)
	tr.Metric("naive_attempts_per_request", "×", nAmp, report.BetterLower)
	tr.KeyMetric("contained_attempts_per_request", "×", cAmp, report.BetterLower)
	tr.Metric("contained_breaker_rejected", "", float64(ca.Rejected), "")
	tr.Table(report.Table{Title: "timeouts with and without containment",
		Columns: []string{"client", "scheduled", "attempts", "retries", "recovered by a retry", "rejected by the breaker", "breaker opened", "attempts per request (failure phase)", "timeouts", "recovery after heal"},
		Rows:    [][]string{row("naive (3 immediate retries)", naive), row("contained (2 retries, backoff, breaker)", contained)}})
	cascade := verdict.Check{Expr: "without containment the timeouts turn into retries: attempts per request in the failure phase >= 2", Metric: "naive_amplification",
		Unit: "×", Measured: nAmp, Pass: nAmp >= 2, Detail: fmt.Sprintf("%d scheduled in the failure phase; %+v", naive.ScheduledDuring, na)}
	contain := verdict.Check{Expr: "containment contains it: attempts per request in the failure phase <= 1.5, and the breaker failed calls at once instead of sending them",
		Metric: "contained_amplification", Unit: "×", Measured: cAmp, Pass: cAmp <= 1.5 && ca.Rejected > 0,
		Detail: fmt.Sprintf("%d scheduled in the failure phase; %+v", contained.ScheduledDuring, ca)}
	if na.Attempts == 0 || ca.Attempts == 0 {
		cascade.NoData, contain.NoData = na.Attempts == 0, ca.Attempts == 0
	}
	tr.Judge(contained.Sum, cascade, contain, recoveryCheck(contained, time.Duration(value(t, f.Profile.Criteria, "cascading_recovery_s_max"))*time.Second))
	tr.Judge(naive.Sum)
}

func row(name string, o *outcome) []string {
	c := o.Sum.Containment
	rec := "not recovered"
	if o.Impact.Recovered {
		rec = o.Impact.SinceHeal.Round(time.Millisecond).String()
	}
	return []string{name, fmt.Sprint(o.Sum.Scheduled), fmt.Sprint(c.Attempts), fmt.Sprint(c.Retries), fmt.Sprint(c.Recovered),
		fmt.Sprint(c.Rejected), fmt.Sprint(c.BreakerOpened), fmt.Sprintf("%.2f", 1+float64(c.Retries)/float64(max(o.ScheduledDuring, 1))), fmt.Sprint(o.Sum.Counts.Timeout), rec}
}

func TestCascadingTripleFailure(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	sc := f.scenario(t, "triple_failure")
	var servers []*mcptest.Server
	o := runCascade(t, tr, f, setup{Name: "triple-failure", Sessions: loadSessions, Rate: loadRate, Timeout: time.Second, Servers: 4, Containment: retryOnce,
		Faults: func(env faultEnv) []timedFault {
			servers = env.Servers
			return []timedFault{
				{Fault: chaos.Crash{Process: env.Servers[3]}},
				{Fault: chaos.PartitionFault{Proxy: env.Proxy}, For: f.failure / 4},
				{Fault: delayHook("delay", env.Servers[:1], mcptest.Faults{Delay: 200 * time.Millisecond})},
			}
		}})
	c := o.Sum.Counts
	maxRate := value(t, sc.Targets, "error_rate_max")
	rate := verdict.Check{Expr: fmt.Sprintf("error rate from the failure on (failure and recovery phases) < %g%%", 100*maxRate),
		Metric: "error_rate_after", Unit: "%", Measured: 100 * o.ErrorRateAfter, Pass: o.ErrorRateAfter < maxRate,
		Detail: fmt.Sprintf("%.1f%% during the faults alone; %s", 100*o.Impact.ErrorRateDuring, o.Impact)}
	if c.Answered()+c.Errors() == 0 {
		rate.NoData = true
	}
	tr.Judge(o.Sum, rate, recoveryCheck(o, time.Duration(value(t, sc.Targets, "recovery_s_max"))*time.Second),
		survivedCheck(suite.Context(), servers, loadSessions, o.Sum))
}

// TestCascadingRecoveryCheckFailsAgainstAServerThatNeverComesBack is the
// negative control of every recovery check here: a server stalled at the
// failure phase and never released must fail it.
func TestCascadingRecoveryCheckFailsAgainstAServerThatNeverComesBack(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	o := runCascade(t, tr, f, setup{Name: "never-recovers", Sessions: 200, Rate: 1000, Timeout: 300 * time.Millisecond,
		Faults: func(env faultEnv) []timedFault {
			stall := delayHook("stall_forever", env.Servers, mcptest.Faults{Stall: true})
			stall.Off = func(context.Context) error { return nil } // the "heal" that does not heal
			return []timedFault{{Fault: stall}}
		}})
	c := recoveryCheck(o, time.Hour)
	tr.Judge(o.Sum, verdict.Check{Expr: "the recovery check FAILS against a server that never comes back", Metric: "recovery_time",
		Measured: c.Measured, Unit: "s", Pass: c.Failed() && !c.Unmeasured(), Detail: c.String()})
}

// TestCascadingPeakErrorCheckFailsWithoutRetries is the negative control of
// the peak error check: the same crash and mass disconnect against clients
// that do not retry (each session whose connection broke fails its next
// request) must fail it.
func TestCascadingPeakErrorCheckFailsWithoutRetries(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	sc := f.scenario(t, "crash_and_mass_disconnect")
	drop := value(t, sc.Params, "disconnect_clients")
	o := runCascade(t, tr, f, setup{Name: "crash-no-retries", Sessions: crashSessions, Rate: loadRate, Timeout: time.Second, Servers: 4,
		Faults: func(env faultEnv) []timedFault {
			return []timedFault{{Fault: chaos.Crash{Process: env.Servers[3]}}, {Fault: chaos.DropFault{Proxy: env.Proxy, Fraction: drop / crashSessions}}}
		}})
	c := peakCheck(o, value(t, sc.Targets, "error_rate_max"))
	tr.Judge(o.Sum, verdict.Check{Expr: "the peak error check FAILS against clients that do not retry", Metric: c.Metric, Unit: c.Unit,
		Measured: c.Measured, Pass: c.Failed() && !c.Unmeasured(), Detail: c.String()})
}
