//go:build stress

package sustained

import (
	"context"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/mcptest"
	"github.com/mcpstress/mcpstress/verdict"
)

// TestSustainedStabilityChecksFailAgainstADegradingServer is the negative
// control of the error-rate and latency stability checks: a reference
// server that, in its last snapshot, answers 100 ms late and fails 5% of
// calls must fail both (whatever -target says); the same server before it
// degrades passes them (the soak's own run is that control's other half).
func TestSustainedStabilityChecksFailAgainstADegradingServer(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	srv := mcptest.StartServer(t, mcptest.Options{})
	d := f.warmup + 2*f.snapshot
	sc := framework.Scenario{Name: "sustained/degrading", Sessions: leakSessions, Rate: leakRate, Duration: d, Pipeline: 8,
		Workload: workload(), Config: framework.Config{CollectionInterval: f.interval()}}
	tg, err := client.ParseTarget(srv.Target(), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	degradeAt := d - f.snapshot
	var degraded bool
	sum, err := framework.Run(suite.Context(), tg, sc, framework.RunOptions{ServerPID: srv.PID(), Progress: func(p framework.Progress) {
		if !degraded && p.Elapsed >= degradeAt {
			degraded = true
			ctx, cancel := context.WithTimeout(suite.Context(), 5*time.Second)
			defer cancel()
			if err := srv.SetFaults(ctx, mcptest.Faults{Delay: 100 * time.Millisecond, FailFraction: 0.05}); err != nil {
				t.Errorf("degrading the server: %v", err)
			}
		}
	}})
	if sum == nil {
		t.Fatal(err)
	}
	tr.Judge(sum)
	if !degraded {
		t.Fatalf("the run ended before the server was degraded at %v", degradeAt)
	}
	sn := snapshots(&soak{Run: sum}, f.snapshot)
	errs, _ := errorStability(f, sum, sn)
	lat := latencyStability(f, sn)
	for _, c := range append(errs[:1], lat) {
		tr.Check(verdict.Check{Expr: "FAILS against a server degrading in its last snapshot: " + c.Expr, Metric: c.Metric, Unit: c.Unit,
			Measured: c.Measured, Pass: c.Failed() && !c.Unmeasured(), Detail: c.String()})
	}
}
