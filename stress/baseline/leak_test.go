//go:build stress

package baseline

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/judge"
	"github.com/mcpstress/mcpstress/mcptest"
	"github.com/mcpstress/mcpstress/report"
	"github.com/mcpstress/mcpstress/verdict"
)

// leakControlWindow bounds the memory window of the leak control, so that
// it stays short in every mode (it checks the check, not the server under
// test): the profile's window when shorter.
const leakControlWindow = 5 * time.Second

// leakControlFactor is how many times the growth criterion's rate the
// leaking server retains: far enough above the limit that a working check
// cannot miss it, and small enough to stay tens of MB in a few seconds.
const leakControlFactor = 20

// leakSettle is the load before the trend is fitted in the leaking run: the
// server is already warm from the no-leak run, only its new sessions
// allocate.
const leakSettle = time.Second

// TestBaselineMemoryCheckFailsAgainstALeakingServer is the negative control
// of the memory criterion: the growth check TestBaselineMemoryStability
// uses (memoryChecks) must pass against a reference server started here,
// and fail against the same server once its LeakBytesPerCall fault makes
// every tools/call retain memory at leakControlFactor times the criterion's
// rate (whatever -target says).
func TestBaselineMemoryCheckFailsAgainstALeakingServer(t *testing.T) {
	tr := suite.Test(t)
	p := loadFigures(t)
	window := min(p.memoryWindow, leakControlWindow)

	// The criterion as a rate: memory_growth_mb_max over
	// memory_growth_window_s (100 MB per 5 min: 0.33 MB/s).
	limitBytesPerS := p.memoryGrowthMaxMB * (1 << 20) / p.memoryHorizon.Seconds()
	leakPerCall := int(math.Ceil(leakControlFactor * limitBytesPerS / p.level.Rate))
	if leakPerCall <= 0 || leakPerCall > mcptest.MaxLeakBytes {
		t.Fatalf("leak of %d bytes per call out of range (criterion %g MB per %v at %g/s)", leakPerCall, p.memoryGrowthMaxMB, p.memoryHorizon, p.level.Rate)
	}
	if total := float64(leakPerCall) * p.level.Rate * (leakSettle + window).Seconds(); total > mcptest.MaxLeakBytes/2 {
		t.Fatalf("the leaking run would retain %.0f MB, too close to the %d MB cap for the slope to mean anything", total/(1<<20), mcptest.MaxLeakBytes>>20)
	}

	srv := mcptest.StartServer(t, mcptest.Options{})
	if srv.PID() == 0 {
		t.Fatal("the reference server has no PID to sample")
	}
	growth := func(name string, warmup time.Duration) (verdict.Check, judge.MemoryTrend, *framework.Summary) {
		t.Helper()
		lp := p
		lp.memoryWarmup, lp.memoryWindow = warmup, window
		sum := loadOn(t, srv, p.scenario(name, warmup+window, 250*time.Millisecond))
		tr.Judge(sum)
		checks, trend := memoryChecks(lp, sum, srv.Target())
		return checks[0], trend, sum
	}

	// First the server without the leak, warmed up as the memory test
	// warms it (the profile's memory_warmup), so the pass is not the
	// freshly released memory of an earlier leak.
	clean, cleanTrend, cleanSum := growth("no-leak", p.memoryWarmup)
	tr.Metric("no_leak_memory_slope_mb_per_s", "MB/s", cleanTrend.SlopeMBPerSecond, report.BetterLower)
	tr.Check(verdict.Check{
		Expr:     "the memory growth check passes against the reference server without a leak",
		Measured: clean.Measured, Unit: "MB", Pass: clean.Passed() && cleanSum.Counts.Answered() > 0,
		Detail: fmt.Sprintf("%s: %s%s; answered %d of %d scheduled", clean.Expr, clean.Detail, clean.Skip, cleanSum.Counts.Answered(), cleanSum.Scheduled),
	})

	ctx, cancel := context.WithTimeout(suite.Context(), 10*time.Second)
	defer cancel()
	if err := srv.SetFaults(ctx, mcptest.Faults{LeakBytesPerCall: leakPerCall}); err != nil {
		t.Fatalf("turning the leak on: %v", err)
	}
	before, err := srv.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	leaky, leakyTrend, leakySum := growth("leaking", leakSettle)
	after, err := srv.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	calls := after.Total("tools/call", "") - before.Total("tools/call", "")
	tr.Metric("leak_bytes_per_call", "B", float64(leakPerCall), "")
	tr.Metric("leaked_mb", "MB", float64(after.LeakedBytes)/(1<<20), "")
	tr.Metric("leaking_memory_slope_mb_per_s", "MB/s", leakyTrend.SlopeMBPerSecond, "")
	if want := calls * int64(leakPerCall); after.LeakedBytes != want {
		t.Errorf("the server retained %d bytes for %d tools/call of %d bytes, want %d: the fault did not run as set", after.LeakedBytes, calls, leakPerCall, want)
	}
	tr.Check(verdict.Check{
		Expr:     fmt.Sprintf("the memory growth check FAILS against the same server leaking %d B per tools/call (%dx the criterion's rate)", leakPerCall, leakControlFactor),
		Measured: leaky.Measured, Unit: "MB", Pass: leaky.Failed() && !leaky.Unmeasured() && leakySum.Counts.Answered() > 0,
		Detail: fmt.Sprintf("%s: %s%s; server retained %.1f MB over %d calls", leaky.Expr, leaky.Detail, leaky.Skip, float64(after.LeakedBytes)/(1<<20), calls),
	})
	if err := srv.SetFaults(ctx, mcptest.Faults{}); err != nil {
		t.Errorf("turning the leak off: %v", err)
	}
}

// loadOn drives sc against srv and samples srv's process (stress.RunWith
// samples only a server it starts itself).
func loadOn(t *testing.T, srv *mcptest.Server, sc framework.Scenario) *framework.Summary {
	t.Helper()
	tg, err := client.ParseTarget(srv.Target(), client.Options{Timeout: sc.Config.WithDefaults().MessageTimeout})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := framework.Run(suite.Context(), tg, sc, framework.RunOptions{
		ServerPID: srv.PID(),
		Logf:      t.Logf,
		Progress:  suite.Progress(t.Name(), sc.Rate),
		OnSample:  suite.Observer(),
	})
	if sum == nil {
		t.Fatalf("%s: %v", sc.Name, err)
	}
	if err != nil {
		t.Errorf("%s: %v", sc.Name, err)
	}
	t.Logf("%s", sum)
	return sum
}
