//go:build stress

package sustained

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/mcptest"
	"github.com/mcpstress/mcpstress/verdict"
)

// leakSessions and leakRate are the control's load: small, so the control
// checks the memory check and not the machine.
const (
	leakSessions = 150
	leakRate     = 1000
)

// TestSustainedMemoryCheckFailsAgainstALeakingServer is the negative control
// of TestSustainedMemoryStability: its memory checks (memoryChecks) must
// pass against a reference server started here, warmed up, and fail
// against the same server once its leak hook retains leak_control_factor
// times the seed's 50 MB/h (whatever -target says).
func TestSustainedMemoryCheckFailsAgainstALeakingServer(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	// The clean half is judged over a minute in every mode: the Go
	// runtime's RSS rises and falls by about half a megabyte over some 25 s
	// as it scavenges (seen in quick mode with GOGC=1), so a 15 s window can
	// catch one rising edge at 100+ MB/h without any leak. The leaking half
	// needs no more than the mode's own window.
	const cleanWindow = time.Minute
	window := max(min(f.Duration.D()-f.warmup, time.Minute), 4*time.Second)
	perCall := int(math.Ceil(f.leakFactor * f.memPerHour * (1 << 20) / 3600 / leakRate))
	if perCall <= 0 || perCall > mcptest.MaxLeakBytes/1000 {
		t.Fatalf("leak of %d bytes per call out of range", perCall)
	}
	srv := mcptest.StartServer(t, f.serverOptions())
	run := func(name string, warmup, window time.Duration) (*framework.Summary, []gcPoint) {
		t.Helper()
		sc := framework.Scenario{Name: "sustained/" + name, Sessions: leakSessions, Rate: leakRate, Duration: warmup + window, Pipeline: 4,
			Workload: workload(), Config: framework.Config{CollectionInterval: 100 * time.Millisecond}}
		tg, err := client.ParseTarget(srv.Target(), client.Options{})
		if err != nil {
			t.Fatal(err)
		}
		gw := watchGC(t, []*mcptest.Server{srv}, 250*time.Millisecond)
		sum, err := framework.Run(suite.Context(), tg, sc, framework.RunOptions{ServerPID: srv.PID(), Progress: suite.Progress(t.Name(), leakRate)})
		pts := gw.Points()
		if sum == nil {
			t.Fatalf("%s: %v", name, err)
		}
		tr.Judge(sum)
		return sum, pts
	}
	lf := f
	lf.warmup = f.warmup

	clean, cgc := run("no-leak", f.warmup, cleanWindow)
	cleanChecks, cg := memoryChecks(lf, clean, cgc, srv.Target())
	tr.Check(verdict.Check{Expr: "the memory growth check passes against the reference server without a leak",
		Metric: "memory_growth_rate", Unit: "MB/h", Measured: cg.SlopeMBPerHour, Pass: cleanChecks[0].Passed(), Detail: cleanChecks[0].String()})

	ctx, cancel := context.WithTimeout(suite.Context(), 10*time.Second)
	defer cancel()
	if err := srv.SetFaults(ctx, mcptest.Faults{LeakBytesPerCall: perCall}); err != nil {
		t.Fatalf("turning the leak on: %v", err)
	}
	leaky, lgc := run("leaking", time.Second, window)
	lf.warmup = time.Second
	leakChecks, lg := memoryChecks(lf, leaky, lgc, srv.Target())
	tr.Check(verdict.Check{Expr: fmt.Sprintf("the memory growth check FAILS against the same server leaking %d B per tools/call (%gx the seed's %g MB/h)", perCall, f.leakFactor, f.memPerHour),
		Metric: "memory_growth_rate", Unit: "MB/h", Measured: lg.SlopeMBPerHour,
		Pass: leakChecks[0].Failed() && !leakChecks[0].Unmeasured(), Detail: leakChecks[0].String()})
	off, cancelOff := context.WithTimeout(suite.Context(), 10*time.Second)
	defer cancelOff()
	if err := srv.SetFaults(off, mcptest.Faults{}); err != nil {
		t.Errorf("turning the leak off: %v", err)
	}
}

// TestSustainedClientHeapCheckFailsAgainstALeakingGenerator is the negative
// control of TestSustainedMemoryStability's check of the library's own
// heap (clientHeapCheck): the same check, on a small run against the
// reference server, must fail once a per-request consumer of the run
// (RunOptions.OnSample, where a Prometheus exporter hooks in) keeps a
// little of every sample, leak_control_factor times the allowed MB/h, and
// pass on the same run without the leak. Both halves are judged in every
// mode: the control collects with GOGC=1, so a minute holds the GCs the
// check needs (the quick soak's 15,000 sessions do not).
func TestSustainedClientHeapCheckFailsAgainstALeakingGenerator(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	window := max(min(f.Duration.D()-f.warmup, time.Minute), 4*time.Second)
	perSample := int(math.Ceil(f.leakFactor * f.clientPerHour * (1 << 20) / 3600 / leakRate))
	if perSample <= 0 || perSample > 1<<20 {
		t.Fatalf("leak of %d bytes per sample out of range", perSample)
	}
	// The check needs GCs to see the heap (clientHeapCheck), and after
	// the soak this process may hold hundreds of MB live, which the
	// control's small load would take minutes to double: collect often
	// for the control's length, as the quick soak's server does.
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(1))
	srv := mcptest.StartServer(t, mcptest.Options{})
	run := func(name string, warmup time.Duration, onSample func(string, client.Outcome, time.Duration)) *framework.Summary {
		t.Helper()
		// The soak's own collection interval: the run keeps a record of
		// every interval, so the interval sets how fast a clean run's own
		// heap grows (at 100 ms, a clean run here read +52 MB/h).
		sc := framework.Scenario{Name: "sustained/" + name, Sessions: leakSessions, Rate: leakRate, Duration: warmup + window, Pipeline: 4,
			Workload: workload(), Config: framework.Config{CollectionInterval: f.interval()}}
		tg, err := client.ParseTarget(srv.Target(), client.Options{})
		if err != nil {
			t.Fatal(err)
		}
		sum, err := framework.Run(suite.Context(), tg, sc, framework.RunOptions{ServerPID: srv.PID(), OnSample: onSample, Progress: suite.Progress(t.Name(), leakRate)})
		if sum == nil {
			t.Fatalf("%s: %v", name, err)
		}
		tr.Judge(sum)
		return sum
	}

	clean := run("generator-no-leak", f.warmup, nil)
	cc, cg := clientHeapCheck(f, clean)
	tr.Check(verdict.Check{Expr: "the library's heap check passes on a run without a leak",
		Metric: "client_heap_growth_rate", Unit: "MB/h", Measured: cg.SlopeMBPerHour, Pass: cc.Passed(), Detail: cc.String()})

	var mu sync.Mutex
	var kept [][]byte
	leaky := run("generator-leaking", time.Second, func(string, client.Outcome, time.Duration) {
		b := make([]byte, perSample)
		mu.Lock()
		kept = append(kept, b)
		mu.Unlock()
	})
	mu.Lock()
	n := len(kept)
	kept = nil
	mu.Unlock()
	lf := f
	lf.warmup = time.Second
	lc, lg := clientHeapCheck(lf, leaky)
	tr.Check(verdict.Check{Expr: fmt.Sprintf("the library's heap check FAILS when a consumer of the run keeps %d B of each of its %d samples (%gx the allowed %g MB/h)", perSample, n, f.leakFactor, f.clientPerHour),
		Metric: "client_heap_growth_rate", Unit: "MB/h", Measured: lg.SlopeMBPerHour,
		Pass: lc.Failed() && !lc.Unmeasured(), Detail: lc.String()})
}
