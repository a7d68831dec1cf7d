package orchestrator_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mcpstress/mcpstress/orchestrator"
	"github.com/mcpstress/mcpstress/report"
)

func mustPlan(t *testing.T, steps ...orchestrator.Step) *orchestrator.Plan {
	t.Helper()
	p, err := orchestrator.NewPlan(steps...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSequentialRunFollowsThePlanOrder(t *testing.T) {
	var mu sync.Mutex
	var ran []string
	rec := func(name string, deps ...string) orchestrator.Step {
		return orchestrator.Step{Name: name, DependsOn: deps, Run: func(context.Context, *orchestrator.StepEnv) (*report.Node, error) {
			mu.Lock()
			ran = append(ran, name)
			mu.Unlock()
			return nil, nil
		}}
	}
	p := mustPlan(t, rec("report", "load", "chaos"), rec("load", "connect"), rec("chaos", "connect"), rec("connect"), rec("lint"))
	res := orchestrator.Run(context.Background(), p, orchestrator.Options{})
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if want := p.Order(); !slices.Equal(ran, want) {
		t.Errorf("ran %v, want the plan order %v", ran, want)
	}
	if res.MaxRunning != 1 {
		t.Errorf("max running %d, want 1", res.MaxRunning)
	}
	for i, name := range ran[1:] {
		prev, _ := res.Step(ran[i])
		cur, _ := res.Step(name)
		if cur.Start < prev.Start+prev.Duration {
			t.Errorf("%s started at %v, before %s ended at %v", name, cur.Start, ran[i], prev.Start+prev.Duration)
		}
	}
}

// barrier releases its waiters in groups of n.
type barrier struct {
	mu    sync.Mutex
	n     int
	count int
	gen   chan struct{}
}

func newBarrier(n int) *barrier { return &barrier{n: n, gen: make(chan struct{})} }

func (b *barrier) wait(ctx context.Context) error {
	b.mu.Lock()
	ch := b.gen
	if b.count++; b.count == b.n {
		close(ch)
		b.gen, b.count = make(chan struct{}), 0
		b.mu.Unlock()
		return nil
	}
	b.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestParallelWorkersOverlapAndAreBounded proves, with the steps' own
// timestamps and a counter, that N workers run N independent steps at
// once and never more: each step waits at a barrier for N-1 others, so a
// run with fewer than N at once times out (the one-worker case shows the
// test can fail), and more than N at once shows in the counter.
func TestParallelWorkersOverlapAndAreBounded(t *testing.T) {
	tests := []struct {
		name       string
		workers    int
		group      int
		wantPassed bool
	}{
		{"three workers meet a barrier of three", 3, 3, true},
		{"two workers meet a barrier of two", 2, 2, true},
		{"one worker cannot meet a barrier of two (the test can fail)", 1, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const steps = 6
			b := newBarrier(tt.group)
			var mu sync.Mutex
			active, most := 0, 0
			type span struct{ start, end time.Time }
			spans := map[string]span{}
			timeout := 5 * time.Second
			if !tt.wantPassed {
				timeout = 100 * time.Millisecond
			}
			var ss []orchestrator.Step
			for i := range steps {
				name := string(rune('a' + i))
				ss = append(ss, orchestrator.Step{Name: name, Timeout: timeout, Run: func(ctx context.Context, _ *orchestrator.StepEnv) (*report.Node, error) {
					start := time.Now()
					mu.Lock()
					active++
					most = max(most, active)
					mu.Unlock()
					err := b.wait(ctx)
					mu.Lock()
					active--
					spans[name] = span{start, time.Now()}
					mu.Unlock()
					return nil, err
				}})
			}
			res := orchestrator.Run(context.Background(), mustPlan(t, ss...), orchestrator.Options{Workers: tt.workers, Grace: time.Second})
			if !tt.wantPassed {
				if res.Count(orchestrator.TimedOut) == 0 {
					t.Fatalf("no step timed out with %d worker(s) and a barrier of %d: %v", tt.workers, tt.group, res.Err())
				}
				return
			}
			if err := res.Err(); err != nil {
				t.Fatal(err)
			}
			if most != tt.workers || res.MaxRunning != tt.workers {
				t.Errorf("at most %d steps ran at once (orchestrator counted %d), want exactly %d", most, res.MaxRunning, tt.workers)
			}
			// The first group started before any of them ended.
			var latestStart, earliestEnd time.Time
			for _, name := range []string{"a", "b", "c"}[:tt.group] {
				s := spans[name]
				if s.start.After(latestStart) {
					latestStart = s.start
				}
				if earliestEnd.IsZero() || s.end.Before(earliestEnd) {
					earliestEnd = s.end
				}
			}
			if !latestStart.Before(earliestEnd) {
				t.Errorf("the first %d steps did not overlap: last start %v, first end %v", tt.group, latestStart, earliestEnd)
			}
		})
	}
}

func TestFailedDependencySkipsDependentsWithTheReason(t *testing.T) {
	var mu sync.Mutex
	ran := map[string]bool{}
	mk := func(name string, err error, deps ...string) orchestrator.Step {
		return orchestrator.Step{Name: name, DependsOn: deps, Run: func(context.Context, *orchestrator.StepEnv) (*report.Node, error) {
			mu.Lock()
			ran[name] = true
			mu.Unlock()
			return nil, err
		}}
	}
	p := mustPlan(t, mk("connect", errors.New("dial tcp: connection refused")), mk("load", nil, "connect"), mk("report", nil, "load"), mk("lint", nil))
	for _, workers := range []int{1, 2} {
		clear(ran)
		res := orchestrator.Run(context.Background(), p, orchestrator.Options{Workers: workers})
		want := map[string]struct {
			status orchestrator.Status
			reason string
		}{
			"connect": {orchestrator.Failed, "dial tcp: connection refused"},
			"load":    {orchestrator.Skipped, "dependency connect failed: dial tcp: connection refused"},
			"report":  {orchestrator.Skipped, "dependency load skipped: dependency connect failed: dial tcp: connection refused"},
			"lint":    {orchestrator.Passed, ""},
		}
		for name, w := range want {
			got, _ := res.Step(name)
			if got.Status != w.status || got.Reason != w.reason {
				t.Errorf("workers %d: %s: %v %q, want %v %q", workers, name, got.Status, got.Reason, w.status, w.reason)
			}
		}
		if ran["load"] || ran["report"] {
			t.Errorf("workers %d: a skipped step ran: %v", workers, ran)
		}
	}
}

func TestTimeoutAndCancellation(t *testing.T) {
	t.Run("a step past its timeout is timed out, and others still run", func(t *testing.T) {
		p := mustPlan(t,
			orchestrator.Step{Name: "slow", Timeout: 50 * time.Millisecond, Run: func(ctx context.Context, _ *orchestrator.StepEnv) (*report.Node, error) {
				<-ctx.Done()
				return nil, ctx.Err()
			}},
			step("after", "slow"), step("other"))
		res := orchestrator.Run(context.Background(), p, orchestrator.Options{Workers: 2})
		slow, _ := res.Step("slow")
		if slow.Status != orchestrator.TimedOut || slow.Reason != "timed out after 50ms" {
			t.Errorf("slow: %v %q", slow.Status, slow.Reason)
		}
		if slow.Duration < 50*time.Millisecond || slow.Duration > time.Second {
			t.Errorf("slow took %v", slow.Duration)
		}
		if after, _ := res.Step("after"); after.Status != orchestrator.Skipped || !strings.Contains(after.Reason, "dependency slow timed out") {
			t.Errorf("after: %v %q", after.Status, after.Reason)
		}
		if other, _ := res.Step("other"); other.Status != orchestrator.Passed {
			t.Errorf("other: %v", other.Status)
		}
	})
	t.Run("a step that ignores its context is unblocked by releasing what it holds", func(t *testing.T) {
		p := mustPlan(t, orchestrator.Step{Name: "stuck", Timeout: 30 * time.Millisecond, Run: func(_ context.Context, env *orchestrator.StepEnv) (*report.Node, error) {
			a, b := net.Pipe()
			env.Acquire(a)
			env.Acquire(b)
			_, err := a.Read(make([]byte, 1)) // nothing ever arrives; ignores ctx
			return nil, err
		}})
		res := orchestrator.Run(context.Background(), p, orchestrator.Options{Grace: 20 * time.Millisecond})
		st := res.Steps[0]
		if st.Status != orchestrator.TimedOut || st.Abandoned || st.Released != 2 {
			t.Errorf("stuck: %v abandoned=%v released=%d: %s", st.Status, st.Abandoned, st.Released, st.Reason)
		}
	})
	t.Run("cancelling the run cancels the running step and the ones not started", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		p := mustPlan(t,
			orchestrator.Step{Name: "first", Run: func(ctx context.Context, _ *orchestrator.StepEnv) (*report.Node, error) {
				cancel()
				<-ctx.Done()
				return nil, ctx.Err()
			}},
			step("second", "first"), step("third"))
		res := orchestrator.Run(ctx, p, orchestrator.Options{})
		for _, w := range []struct {
			name   string
			ran    bool
			reason string
		}{
			{"first", true, "cancelled while running: context canceled"},
			{"second", false, "not started: the run was cancelled"},
			{"third", false, "not started: the run was cancelled"},
		} {
			st, _ := res.Step(w.name)
			if st.Status != orchestrator.Cancelled || st.Ran != w.ran || st.Reason != w.reason {
				t.Errorf("%s: %v ran=%v %q", w.name, st.Status, st.Ran, st.Reason)
			}
		}
	})
	t.Run("a panic fails its step, not the orchestrator", func(t *testing.T) {
		p := mustPlan(t, orchestrator.Step{Name: "boom", Run: func(context.Context, *orchestrator.StepEnv) (*report.Node, error) {
			var m map[string]int
			m["x"] = 1
			return nil, nil
		}}, step("fine"))
		res := orchestrator.Run(context.Background(), p, orchestrator.Options{Workers: 2})
		boom, _ := res.Step("boom")
		if boom.Status != orchestrator.Failed || !strings.HasPrefix(boom.Reason, "panic: assignment to entry in nil map") {
			t.Errorf("boom: %v %q", boom.Status, boom.Reason)
		}
		if !strings.Contains(boom.Err.Error(), "goroutine") {
			t.Errorf("the panic's stack is not kept in Err: %v", boom.Err)
		}
		if fine, _ := res.Step("fine"); fine.Status != orchestrator.Passed {
			t.Errorf("fine: %v", fine.Status)
		}
	})
}

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count open files: %v", err)
	}
	return len(ents)
}

// TestResourcesAreReleasedHoweverAStepEnds gives every step a listener, a
// connection pair over it, a temporary file and a server goroutine, ends
// the steps in every way, and checks that the releases ran in reverse
// order and that no file descriptor or goroutine is left.
func TestResourcesAreReleasedHoweverAStepEnds(t *testing.T) {
	ends := []struct {
		name   string
		end    func(ctx context.Context) error
		want   orchestrator.Status
		ignore bool // the step ignores its context, blocked in a read
	}{
		{"success", func(context.Context) error { return nil }, orchestrator.Passed, false},
		{"failure", func(context.Context) error { return errors.New("failed") }, orchestrator.Failed, false},
		{"timeout", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, orchestrator.TimedOut, false},
		{"timeout-ignoring-context", nil, orchestrator.TimedOut, true},
		{"panic", func(context.Context) error { panic("step panicked") }, orchestrator.Failed, false},
	}
	before := openFDs(t)
	var mu sync.Mutex
	order := map[string][]string{}
	note := func(step, what string) {
		mu.Lock()
		order[step] = append(order[step], what)
		mu.Unlock()
	}
	var ss []orchestrator.Step
	for _, e := range ends {
		ss = append(ss, orchestrator.Step{Name: e.name, Timeout: 100 * time.Millisecond, Run: func(ctx context.Context, env *orchestrator.StepEnv) (*report.Node, error) {
			env.Defer(func() error { note(e.name, "first registered"); return nil })
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return nil, err
			}
			env.Acquire(ln)
			var wg sync.WaitGroup
			env.Defer(func() error { wg.Wait(); return nil })
			accepted := make(chan net.Conn, 1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := ln.Accept()
				if err != nil {
					close(accepted)
					return
				}
				env.Acquire(c)
				accepted <- c
				c.Read(make([]byte, 1)) // the server holds the connection until it is closed
			}()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				return nil, err
			}
			env.Acquire(c)
			<-accepted
			f, err := os.CreateTemp(t.TempDir(), "step")
			if err != nil {
				return nil, err
			}
			env.Acquire(f)
			env.Defer(func() error { note(e.name, "last registered"); return nil })
			if e.ignore {
				_, err := c.Read(make([]byte, 1))
				return nil, err
			}
			return nil, e.end(ctx)
		}})
	}
	res := orchestrator.Run(context.Background(), mustPlan(t, ss...), orchestrator.Options{Workers: 2, Grace: 50 * time.Millisecond})
	for _, e := range ends {
		st, _ := res.Step(e.name)
		if st.Status != e.want || st.Abandoned {
			t.Errorf("%s: %v (abandoned %v): %s", e.name, st.Status, st.Abandoned, st.Reason)
		}
		// first deferred, listener, wait, server conn, client conn, file, last deferred
		if st.Released != 7 {
			t.Errorf("%s: %d releases, want 7", e.name, st.Released)
		}
		if got := order[e.name]; !slices.Equal(got, []string{"last registered", "first registered"}) {
			t.Errorf("%s: releases ran in the order %v, want reverse registration", e.name, got)
		}
	}
	goleak.VerifyNone(t)
	if after := openFDs(t); after != before {
		t.Errorf("%d file descriptors open before, %d after: a resource leaked", before, after)
	}
}

func TestReportAggregatesEveryStep(t *testing.T) {
	p := mustPlan(t,
		orchestrator.Step{Name: "measure", Run: func(context.Context, *orchestrator.StepEnv) (*report.Node, error) {
			n := &report.Node{}
			n.AddMetric("p95", "ms", 2.5, report.BetterLower)
			return n, nil
		}},
		orchestrator.Step{Name: "broken", Run: func(context.Context, *orchestrator.StepEnv) (*report.Node, error) {
			return nil, errors.New("no server")
		}},
		step("needs-broken", "broken"),
		orchestrator.Step{Name: "uses-measure", DependsOn: []string{"measure"}, Run: func(_ context.Context, env *orchestrator.StepEnv) (*report.Node, error) {
			n, ok := env.Dependency("measure")
			if !ok || len(n.Metrics) != 1 {
				return nil, errors.New("the dependency's node is not visible")
			}
			return nil, nil
		}},
	)
	var lines bytes.Buffer
	started := time.Now()
	res := orchestrator.Run(context.Background(), p, orchestrator.Options{Workers: 2, Progress: orchestrator.Lines(&lines), Epoch: started.Add(-time.Second)})
	suite := res.Report("integration")
	run := &report.Run{ID: "t", Started: started.Add(-time.Second), Suites: []*report.Node{suite}}
	if err := run.Validate(); err != nil {
		t.Fatal(err)
	}
	want := map[string]report.Status{"measure": report.StatusPassed, "broken": report.StatusFailed, "needs-broken": report.StatusSkipped, "uses-measure": report.StatusPassed}
	for _, c := range suite.Children {
		if c.Status != want[c.Name] {
			t.Errorf("%s: %s (%s), want %s", c.Name, c.Status, c.Message, want[c.Name])
		}
		if c.Start < time.Second {
			t.Errorf("%s starts at %v, not measured from the epoch", c.Name, c.Start)
		}
	}
	if m, ok := suite.Children[0].Metric("p95"); !ok || m.Value != 2.5 {
		t.Errorf("the step's metric did not reach the report: %+v", suite.Children[0].Metrics)
	}
	if suite.Children[2].Message != "dependency broken failed: no server" {
		t.Errorf("skip message %q", suite.Children[2].Message)
	}
	if len(suite.Tables) != 1 || len(suite.Tables[0].Rows) != 4 {
		t.Errorf("steps table %+v", suite.Tables)
	}
	if _, err := report.WriteAll(t.TempDir(), run, report.FormatJSON, report.FormatText); err != nil {
		t.Fatal(err)
	}
	out := lines.String()
	for _, w := range []string{"start     measure", "passed    measure (", "failed    broken (", "skipped   needs-broken: dependency broken failed: no server", "[4/4]"} {
		if !strings.Contains(out, w) {
			t.Errorf("progress lines lack %q:\n%s", w, out)
		}
	}
}

func TestMeasureOverheads(t *testing.T) {
	t0 := time.Now()
	o, err := orchestrator.MeasureOverheads(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("MeasureOverheads took %v, want a couple of seconds at most", d)
	}
	if o.Startup <= 0 || o.SchedulingPerStep <= 0 || o.AggregationPerResult <= 0 || o.ReportGeneration <= 0 || o.RegressionDetection <= 0 || o.Parallel.Speedup() <= 0 {
		t.Errorf("a figure was not measured: %+v", o)
	}
	n := o.Node("framework overhead")
	run := &report.Run{ID: "t", Started: time.Now(), Suites: []*report.Node{report.NewSuite("integration", n)}}
	if err := run.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range o.Checks() {
		t.Log(c)
	}
	t.Logf("parallel: %+v speed-up %.2f", o.Parallel, o.Parallel.Speedup())
}

// The speed-up check can fail: steps that take turns on one lock cannot
// run in parallel, and on 2 workers their speed-up stays near 1.
func TestParallelSpeedupCheckFailsWhenStepsSerialize(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one core: no speed-up is possible either way")
	}
	var mu sync.Mutex
	e, err := orchestrator.MeasureParallel(context.Background(), 4, 2, "serialized", func(ctx context.Context, _ *orchestrator.StepEnv) error {
		mu.Lock()
		defer mu.Unlock()
		_, err := orchestrator.BurnCPU(ctx, 250) // about 15 ms here
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range (orchestrator.Overheads{Parallel: e}).Checks() {
		if c.Metric == "parallel_speedup" {
			if c.Pass || c.Skip != "" {
				t.Errorf("serialized steps passed the speed-up check: %v (%+v)", c, e)
			}
			return
		}
	}
	t.Fatal("no parallel_speedup check")
}

// The speed-up check on figures: a quiet machine, a busy one (the plain
// goroutines' speed-up is down too), an orchestrator that ran the steps
// one at a time while the machine offered two cores, and work that
// serializes on its own (the machine offers no speed-up to judge).
func TestParallelSpeedupCheckJudgesAgainstTheMachinesOwnSpeedup(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	e := func(seq, par, raw int) orchestrator.Efficiency {
		return orchestrator.Efficiency{Work: "cpu", Steps: 8, Workers: 2, Cores: 2, Sequential: ms(seq), Parallel: ms(par), RawParallel: ms(raw)}
	}
	cases := []struct {
		name string
		e    orchestrator.Efficiency
		pass bool
	}{
		{"quiet machine", e(120, 62, 61), true},
		{"busy machine, CI's 1.39x", e(78, 56, 54), true},
		{"steps one at a time", e(78, 77, 41), false},
		{"busy and behind the machine", e(78, 70, 54), false},
		{"the work serializes itself", e(78, 76, 75), false},
		{"not measured", e(78, 40, 0), false},
	}
	for _, tc := range cases {
		if c := tc.e.Check(); c.Pass != tc.pass || c.Skip != "" {
			t.Errorf("%s: %v, want pass %v", tc.name, c, tc.pass)
		}
	}
}
