//go:build stress

package integration

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/chaos"
	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/mcptest"
	"github.com/mcpstress/mcpstress/orchestrator"
	"github.com/mcpstress/mcpstress/regression"
	"github.com/mcpstress/mcpstress/report"
	"github.com/mcpstress/mcpstress/stress"
	"github.com/mcpstress/mcpstress/verdict"
)

// overheads are measured once per process and judged by several tests.
func overheads(t *testing.T) orchestrator.Overheads {
	t.Helper()
	return stress.Shared(suite, t, "overheads", func(tb testing.TB) orchestrator.Overheads {
		o, err := orchestrator.MeasureOverheads(suite.Context())
		if err != nil {
			tb.Fatalf("measuring the orchestrator's overheads: %v", err)
		}
		return o
	})
}

// TestFrameworkStartupAndShutdown: the four components (orchestrator,
// reporter, detector, the engine's sessions) start within the seed's 1 s,
// and a plan that holds real sessions and a server shuts down leaving no
// open file and no child process behind.
func TestFrameworkStartupAndShutdown(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	o := overheads(t)
	max := time.Duration(stress.Criterion(t, f.Profile, "startup_ms_max")) * time.Millisecond
	tr.KeyMetric("startup_ms", "ms", float64(o.Startup)/1e6, report.BetterLower)
	tr.Check(verdict.Check{Expr: fmt.Sprintf("framework startup < %v (the seed's claim)", max), Metric: "startup", Unit: "ms",
		Measured: float64(o.Startup) / 1e6, Pass: o.Startup > 0 && o.Startup < max, Detail: "NewPlan of the eight scenarios to the first step running"})
	before := openFiles(t)
	res := runPlan(t, orchestrator.Step{Name: "sessions", Run: func(ctx context.Context, env *orchestrator.StepEnv) (*report.Node, error) {
		return nil, holdSessions(ctx, env, 50)
	}})
	after := openFiles(t)
	tr.Check(verdict.Check{Expr: "shutdown: the step passed and released every session, server process and file it held", Metric: "open_files",
		Measured: float64(after - before), Pass: res.Count(orchestrator.Passed) == 1 && after <= before,
		Detail: fmt.Sprintf("%d open files before, %d after; %d resources released", before, after, res.Steps[0].Released)})
}

// holdSessions starts a reference server and opens n sessions on it, all
// registered on env, and calls each once.
func holdSessions(ctx context.Context, env *orchestrator.StepEnv, n int) error {
	srv, err := mcptest.Start(ctx, mcptest.Options{})
	if err != nil {
		return err
	}
	env.Acquire(srv)
	tgt, err := client.ParseTarget(srv.Target(), client.Options{})
	if err != nil {
		return err
	}
	for range n {
		s, err := tgt.Connect(ctx)
		if err != nil {
			return err
		}
		env.Acquire(s)
		if r := s.Call(ctx, echo().Ops[0].Request()); r.Outcome != client.OK {
			return fmt.Errorf("call: %v %v", r.Outcome, r.Err)
		}
	}
	return nil
}

func openFiles(t *testing.T) int {
	t.Helper()
	runtime.GC()
	time.Sleep(50 * time.Millisecond) // closed sockets leave the table asynchronously
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

func runPlan(t *testing.T, steps ...orchestrator.Step) *orchestrator.Result {
	t.Helper()
	plan, err := orchestrator.NewPlan(steps...)
	if err != nil {
		t.Fatal(err)
	}
	return orchestrator.Run(suite.Context(), plan, orchestrator.Options{Workers: 2})
}

// TestTestResultReporter: an orchestrated run's tree (suite → tests →
// subtests, metrics, checks) written in every format and read back equal;
// a report that fails its schema is refused.
func TestTestResultReporter(t *testing.T) {
	tr := suite.Test(t)
	res := runPlan(t,
		orchestrator.Step{Name: "a", Run: func(context.Context, *orchestrator.StepEnv) (*report.Node, error) {
			n := &report.Node{}
			n.AddMetric("messages_per_second", "msg/s", 5000, report.BetterHigher)
			n.AddCheck(verdict.Check{Expr: "x > 1", Measured: 2, Pass: true})
			n.Children = append(n.Children, report.NewSubtest("child", report.StatusPassed, time.Millisecond))
			return n, nil
		}},
		orchestrator.Step{Name: "b", DependsOn: []string{"a"}, Run: func(context.Context, *orchestrator.StepEnv) (*report.Node, error) {
			return nil, errors.New("b fails on purpose")
		}},
	)
	run := &report.Run{ID: "reporter-test", Started: res.Started, Suites: []*report.Node{res.Report("reporter")}}
	dir := t.TempDir()
	paths, err := report.WriteAll(dir, run)
	if err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	back, err := report.ReadJSON(fh)
	if err != nil {
		t.Fatal(err)
	}
	s := back.Summary
	tr.Check(verdict.Check{Expr: "every format written, and report.json reads back with the run's counts (2 passed: a step and its subtest; 1 failed; a check)",
		Metric: "report_files", Measured: float64(len(paths)),
		Pass:   len(paths) >= 8 && s.PassedTests == 2 && s.FailedTests == 1 && s.Thresholds == 1 && len(back.Run.Suites[0].Children[0].Children) == 1,
		Detail: fmt.Sprintf("%d files; summary %+v", len(paths), s)})
	bad := strings.Replace(string(mustRead(t, filepath.Join(dir, "report.json"))), `"schema_version": 1`, `"schema_version": 99`, 1)
	_, err = report.ReadJSON(strings.NewReader(bad))
	tr.Check(verdict.Check{Expr: "a report of another schema version is refused", Metric: "schema", Pass: err != nil, Detail: fmt.Sprint(err)})
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRegressionDetector: with direction: a clearly slower run is a
// regression, a clearly faster one an improvement and never a regression,
// two runs a side are inconclusive.
func TestRegressionDetector(t *testing.T) {
	tr := suite.Test(t)
	sample := func(center float64, n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = center * (1 + 0.01*float64(i%5-2))
		}
		return out
	}
	m := regression.Metric{Name: "p95", Unit: "ms", Direction: regression.LowerIsBetter}
	cmp := func(base, cur []float64) regression.Verdict {
		rep, err := regression.Compare(regression.Config{}, []regression.Samples{{Metric: m, Values: base}}, []regression.Samples{{Metric: m, Values: cur}})
		if err != nil || len(rep.Comparisons) != 1 {
			t.Fatalf("compare: %v", err)
		}
		return rep.Comparisons[0].Verdict
	}
	slower, faster, few := cmp(sample(10, 12), sample(13, 12)), cmp(sample(10, 12), sample(7, 12)), cmp(sample(10, 2), sample(13, 2))
	tr.Check(verdict.Check{Expr: "a 30% slower p95 is a regression", Metric: "regression", Pass: slower == regression.Regression, Detail: slower.String()})
	tr.Check(verdict.Check{Expr: "a 30% faster p95 is an improvement, never a regression", Metric: "improvement", Pass: faster == regression.Improvement, Detail: faster.String()})
	tr.Check(verdict.Check{Expr: "two runs a side are inconclusive", Metric: "inconclusive", Pass: few == regression.Inconclusive, Detail: few.String()})
	o := overheads(t)
	tr.KeyMetric("regression_detection_ms", "ms", float64(o.RegressionDetection)/1e6, report.BetterLower)
}

// TestTestOrchestrator: dependencies in topological order, a cycle refused
// with the cycle named, a failed dependency skipping its dependents with
// the reason, a step's timeout.
func TestTestOrchestrator(t *testing.T) {
	tr := suite.Test(t)
	var order []string
	step := func(name string, deps ...string) orchestrator.Step {
		return orchestrator.Step{Name: name, DependsOn: deps, Run: func(context.Context, *orchestrator.StepEnv) (*report.Node, error) {
			order = append(order, name)
			return nil, nil
		}}
	}
	plan, err := orchestrator.NewPlan(step("c", "b"), step("b", "a"), step("a"))
	if err != nil {
		t.Fatal(err)
	}
	orchestrator.Run(suite.Context(), plan, orchestrator.Options{Workers: 1})
	tr.Check(verdict.Check{Expr: "dependencies run in topological order", Metric: "order", Pass: strings.Join(order, ",") == "a,b,c", Detail: strings.Join(order, ",")})
	_, err = orchestrator.NewPlan(step("x", "z"), step("y", "x"), step("z", "y"))
	tr.Check(verdict.Check{Expr: "a cycle is refused, named along its edges", Metric: "cycle", Pass: err != nil && strings.Contains(err.Error(), "→"), Detail: fmt.Sprint(err)})
	res := runPlan(t,
		orchestrator.Step{Name: "fails", Run: func(context.Context, *orchestrator.StepEnv) (*report.Node, error) {
			return nil, errors.New("on purpose")
		}},
		orchestrator.Step{Name: "dependent", DependsOn: []string{"fails"}, Run: func(context.Context, *orchestrator.StepEnv) (*report.Node, error) { return nil, nil }},
		orchestrator.Step{Name: "slow", Timeout: 100 * time.Millisecond, Run: func(ctx context.Context, _ *orchestrator.StepEnv) (*report.Node, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}},
	)
	dep, _ := res.Step("dependent")
	slow, _ := res.Step("slow")
	tr.Check(verdict.Check{Expr: "a step whose dependency failed is skipped with the reason", Metric: "skip",
		Pass: dep.Status == orchestrator.Skipped && strings.Contains(dep.Reason, "fails"), Detail: dep.Reason})
	tr.Check(verdict.Check{Expr: "a step past its timeout is timed out", Metric: "timeout", Pass: slow.Status == orchestrator.TimedOut, Detail: slow.Reason})
}

// TestFrameworkParallelExecution: the speed-up of independent CPU-bound
// steps on N workers over sequential, bounded by the machine's cores (2
// here: 2× at most), judged by orchestrator.Efficiency.Check beside the
// same work on plain goroutines in the same rounds.
func TestFrameworkParallelExecution(t *testing.T) {
	tr := suite.Test(t)
	o := overheads(t)
	e := o.Parallel
	tr.KeyMetric("parallel_speedup", "×", e.Speedup(), report.BetterHigher)
	tr.Metric("plain_goroutines_speedup", "×", e.RawSpeedup(), report.BetterHigher)
	tr.Check(e.Check())
}

// TestFrameworkResourceManagement: a step that holds sessions, a server
// process and a fault proxy releases them when it ends, on success, on
// failure and on timeout: open files and child processes are counted.
func TestFrameworkResourceManagement(t *testing.T) {
	tr := suite.Test(t)
	hold := func(fail bool) func(ctx context.Context, env *orchestrator.StepEnv) (*report.Node, error) {
		return func(ctx context.Context, env *orchestrator.StepEnv) (*report.Node, error) {
			if err := holdSessions(ctx, env, 20); err != nil {
				return nil, err
			}
			p, err := chaos.NewProxy(ctx, "127.0.0.1:1")
			if err != nil {
				return nil, err
			}
			env.Acquire(p)
			if fail {
				return nil, errors.New("fails holding its resources")
			}
			if _, ok := ctx.Deadline(); ok {
				<-ctx.Done()
				return nil, ctx.Err()
			}
			return nil, nil
		}
	}
	before, kids := openFiles(t), children(t)
	res := runPlan(t,
		orchestrator.Step{Name: "passes", Run: hold(false)},
		orchestrator.Step{Name: "fails", Run: hold(true)},
		orchestrator.Step{Name: "times-out", Timeout: 2 * time.Second, Run: hold(false)},
	)
	after, kidsAfter := openFiles(t), children(t)
	released := 0
	for _, s := range res.Steps {
		released += s.Released
	}
	tr.Check(verdict.Check{Expr: "every resource released however the step ended: no open file, no child process left", Metric: "leaked_files",
		Measured: float64(after - before), Pass: after <= before && kidsAfter <= kids && released >= 3*22,
		Detail: fmt.Sprintf("open files %d → %d; child processes %d → %d; %d released; statuses %s", before, after, kids, kidsAfter, released, statuses(res))})
}

func statuses(r *orchestrator.Result) string {
	var s []string
	for _, st := range r.Steps {
		s = append(s, fmt.Sprintf("%s=%s", st.Name, st.Status))
	}
	return strings.Join(s, " ")
}

// children counts this process's child processes.
func children(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	me := fmt.Sprint(os.Getpid())
	n := 0
	for _, e := range ents {
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 1 && f[1] == me && f[0] != "Z" {
			n++
		}
	}
	return n
}

// TestFrameworkErrorHandling: a step that fails, one that panics and one
// that returns an error while its dependents wait: each fails alone, the
// others run, the orchestrator returns.
func TestFrameworkErrorHandling(t *testing.T) {
	tr := suite.Test(t)
	res := runPlan(t,
		orchestrator.Step{Name: "panics", Run: func(context.Context, *orchestrator.StepEnv) (*report.Node, error) { panic("on purpose") }},
		orchestrator.Step{Name: "errs", Run: func(context.Context, *orchestrator.StepEnv) (*report.Node, error) {
			return nil, errors.New("on purpose")
		}},
		orchestrator.Step{Name: "works", Run: func(context.Context, *orchestrator.StepEnv) (*report.Node, error) { return nil, nil }},
	)
	p, _ := res.Step("panics")
	e, _ := res.Step("errs")
	w, _ := res.Step("works")
	tr.Check(verdict.Check{Expr: "a panicking and a failing step fail alone; the others pass", Metric: "isolation",
		Pass: p.Status == orchestrator.Failed && e.Status == orchestrator.Failed && w.Status == orchestrator.Passed, Detail: statuses(res)})
}

// TestFrameworkPerformanceMetrics: the orchestrator's own costs measured
// beside the seed's claims (scheduling < 1 ms per step, aggregation <
// 200 µs per result, report generation, regression detection).
func TestFrameworkPerformanceMetrics(t *testing.T) {
	tr := suite.Test(t)
	o := overheads(t)
	n := o.Node("overheads")
	for _, m := range n.Metrics {
		tr.Metric(m.Name, m.Unit, m.Value, m.Better)
	}
	for _, tab := range n.Tables {
		tr.Table(tab)
	}
	for _, c := range o.Checks() {
		tr.Check(c)
	}
	tr.KeyMetric("scheduling_us_per_step", "µs", float64(o.SchedulingPerStep)/1e3, report.BetterLower)
}
