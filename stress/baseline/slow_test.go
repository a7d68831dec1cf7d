//go:build stress

package baseline

import (
	"fmt"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/judge"
	"github.com/mcpstress/mcpstress/mcptest"
	"github.com/mcpstress/mcpstress/report"
	"github.com/mcpstress/mcpstress/stress"
	"github.com/mcpstress/mcpstress/verdict"
)

// slowDelay is the reference server's delay hook in the negative control:
// above the 102 ms p95 ceiling, so every answered request is too slow.
const slowDelay = 150 * time.Millisecond

// shortLoad runs the baseline level for a few seconds against a fresh
// embedded reference server with faults (whatever -target says: this test
// checks the checks, not the server under test).
func shortLoad(t *testing.T, p figures, name string, faults mcptest.Faults) *framework.Summary {
	t.Helper()
	srv := mcptest.StartServer(t, mcptest.Options{Faults: faults})
	d := min(p.Duration.D(), 3*time.Second)
	sc := p.scenario(name, d, 250*time.Millisecond)
	return stress.RunWith(t, srv.Target(), sc, stress.Options{Context: suite.Context(), NoFail: true, Progress: suite.Progress(t.Name(), sc.Rate), OnSample: suite.Observer()})
}

// TestBaselineChecksFailAgainstASlowServer is the suite's negative control:
// the same latency checks that judge the server under test must fail
// against a reference server slowed by its delay hook, and pass against an
// unslowed one started the same way.
func TestBaselineChecksFailAgainstASlowServer(t *testing.T) {
	tr := suite.Test(t)
	p := loadFigures(t)
	ceiling := p.level.P95Ceiling.D()
	if ceiling <= 0 || slowDelay <= ceiling {
		t.Fatalf("the profile's p95 ceiling %v must be below the %v delay for this control to mean anything", ceiling, slowDelay)
	}
	p95Failed := func(sum *framework.Summary) (failed bool, measured float64, found bool) {
		for _, c := range judge.Thresholds(sum, "p95") {
			found = true
			failed = failed || (c.Failed() && !c.Unmeasured())
			measured = c.Measured
		}
		return failed, measured, found
	}

	slow := shortLoad(t, p, "slowed", mcptest.Faults{Delay: slowDelay})
	failed, measured, found := p95Failed(slow)
	if !found {
		t.Fatal("the baseline profile has no p95 ceiling")
	}
	tr.Metric("slowed_server_p95_ms", "ms", measured, "")
	tr.Check(verdict.Check{
		Expr:     fmt.Sprintf("the p95 ceiling FAILS against a server slowed by %v", slowDelay),
		Measured: measured, Unit: "ms", Pass: failed,
		Detail: fmt.Sprintf("p95 %.1f ms against the %v ceiling; answered %d of %d scheduled", measured, ceiling, slow.Counts.Answered(), slow.Scheduled),
	})
	if slow.Counts.Answered() == 0 {
		t.Errorf("the slowed server answered nothing: the control measured no latency at all")
	}

	fast := shortLoad(t, p, "unslowed", mcptest.Faults{})
	failed, measured, _ = p95Failed(fast)
	tr.Metric("unslowed_server_p95_ms", "ms", measured, report.BetterLower)
	tr.Check(verdict.Check{
		Expr:     "the p95 ceiling passes against the unslowed server",
		Measured: measured, Unit: "ms", Pass: !failed && fast.Counts.Answered() > 0,
		Detail: fmt.Sprintf("p95 %.1f ms against the %v ceiling; answered %d of %d scheduled", measured, ceiling, fast.Counts.Answered(), fast.Scheduled),
	})
}
