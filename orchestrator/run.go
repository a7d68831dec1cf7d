package orchestrator

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/mcpstress/mcpstress/report"
)

// Status is how a step ended.
type Status int

// The statuses. Only Passed lets dependents run.
const (
	// Passed: Run returned nil and every resource was released cleanly.
	Passed Status = iota + 1
	// Failed: Run returned an error or panicked, or a release failed.
	Failed
	// Skipped: a dependency did not pass; Reason names it.
	Skipped
	// TimedOut: the step's Timeout passed before Run returned.
	TimedOut
	// Cancelled: the run's context ended before the step started or
	// before it returned.
	Cancelled
)

// String returns "passed", "failed", "skipped", "timed out" or
// "cancelled".
func (s Status) String() string {
	switch s {
	case Passed:
		return "passed"
	case Failed:
		return "failed"
	case Skipped:
		return "skipped"
	case TimedOut:
		return "timed out"
	case Cancelled:
		return "cancelled"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// MarshalText implements encoding.TextMarshaler.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Options control a run. The zero value runs the steps one at a time.
type Options struct {
	// Workers is how many steps may run at once. Zero or one runs them
	// sequentially, in Plan.Order.
	Workers int
	// Grace is how long a step whose context ended (timeout or
	// cancellation) may take to return before the orchestrator releases
	// its resources to unblock it (closing a connection ends a blocked
	// read), and then how long again before it gives up waiting: the step
	// is then reported as abandoned and its goroutine may leak. Zero
	// means one second.
	Grace time.Duration
	// Progress, when set, is called as each step starts and ends, from the
	// scheduling goroutine, one call at a time; it must not block long.
	// Lines(w) writes them as progress lines.
	Progress func(ProgressEvent)
	// Epoch is the time report offsets are measured from (report.Run's
	// Started); zero means the run's own start.
	Epoch time.Time
}

// StepResult is how one step ended.
type StepResult struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	// Reason says in one line why a step did not pass: its error, the
	// timeout, the dependency that did not pass.
	Reason string `json:"reason,omitempty"`
	// Err is the step's error (or panic, or release error); nil when it
	// passed or never ran.
	Err error `json:"-"`
	// Ran is whether Run was called.
	Ran bool `json:"ran"`
	// Start is the offset from Result.Started at which the step started;
	// Duration how long it ran, releases included.
	Start    time.Duration `json:"start_ns"`
	Duration time.Duration `json:"duration_ns"`
	// Released counts the resources and deferred functions released.
	Released int `json:"released"`
	// Abandoned is set when the step did not return within twice
	// Options.Grace after its context ended.
	Abandoned bool `json:"abandoned,omitempty"`
	// Node is what Run returned (nil when it returned none); Result.Report
	// stamps a copy with the step's name, status and times.
	Node *report.Node `json:"-"`
}

// Result is the outcome of a run: every step's result in declaration
// order and the run's timing.
type Result struct {
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
	Workers  int           `json:"workers"`
	// MaxRunning is the most steps that ran at once.
	MaxRunning int          `json:"max_running"`
	Steps      []StepResult `json:"steps"`

	epoch time.Time
	index map[string]int
}

// Step returns the named step's result.
func (r *Result) Step(name string) (StepResult, bool) {
	i, ok := r.index[name]
	if !ok {
		return StepResult{}, false
	}
	return r.Steps[i], true
}

// Count returns how many steps ended with status s.
func (r *Result) Count(s Status) int {
	n := 0
	for _, st := range r.Steps {
		if st.Status == s {
			n++
		}
	}
	return n
}

// Err is nil when every step passed, else every step that did not pass
// with its reason, joined.
func (r *Result) Err() error {
	var errs []error
	for _, st := range r.Steps {
		if st.Status != Passed {
			errs = append(errs, fmt.Errorf("step %s %s: %s", st.Name, st.Status, st.Reason))
		}
	}
	return errors.Join(errs...)
}

// errStepTimeout is the cause of a step context that ended at its Timeout.
var errStepTimeout = errors.New("step timeout")

// finish is what a step's watcher hands the scheduler.
type finish struct {
	i   int
	res StepResult
}

// Run runs the plan: each step once its dependencies passed, at most
// opt.Workers at a time, in Plan.Order among the ready ones. A step whose
// dependency did not pass is skipped with the reason; when ctx ends,
// running steps see their contexts end and steps not yet started are
// cancelled. Run returns when every step has an outcome; no goroutine it
// started outlives it unless a step ignored its context and the
// resources released for it for twice Options.Grace (then the step is
// marked Abandoned).
func Run(ctx context.Context, p *Plan, opt Options) *Result {
	workers := max(1, opt.Workers)
	grace := opt.Grace
	if grace <= 0 {
		grace = time.Second
	}
	n := len(p.steps)
	res := &Result{Started: time.Now(), Workers: workers, Steps: make([]StepResult, n), index: p.index, epoch: opt.Epoch}
	if res.epoch.IsZero() {
		res.epoch = res.Started
	}
	for i, s := range p.steps {
		res.Steps[i].Name = s.Name
	}
	pending := make([]int, n)
	ready := &intHeap{}
	for i := range p.steps {
		pending[i] = len(p.deps[i])
		if pending[i] == 0 {
			*ready = append(*ready, i)
		}
	}
	heap.Init(ready)
	done := make([]bool, n)
	finished, running := 0, 0
	doneCh := make(chan finish, workers)
	progress := func(ev ProgressEvent) {
		if opt.Progress != nil {
			ev.Done, ev.Total, ev.Running, ev.Elapsed = finished, n, running, time.Since(res.Started)
			opt.Progress(ev)
		}
	}
	var settle func(i int, sr StepResult)
	settle = func(i int, sr StepResult) {
		if done[i] {
			return
		}
		done[i] = true
		finished++
		res.Steps[i] = sr
		progress(ProgressEvent{Step: sr.Name, Status: sr.Status, Reason: sr.Reason, Duration: sr.Duration})
		for _, d := range p.dependents[i] {
			switch {
			case done[d]:
			case sr.Status == Passed:
				if pending[d]--; pending[d] == 0 {
					heap.Push(ready, d)
				}
			case ctx.Err() != nil:
				settle(d, StepResult{Name: p.steps[d].Name, Status: Cancelled,
					Reason: "not started: the run was cancelled"})
			default:
				why := sr.Status.String()
				if sr.Reason != "" {
					why += ": " + sr.Reason
				}
				settle(d, StepResult{Name: p.steps[d].Name, Status: Skipped,
					Reason: fmt.Sprintf("dependency %s %s", sr.Name, why)})
			}
		}
	}
	for finished < n {
		for running < workers && ready.Len() > 0 {
			i := heap.Pop(ready).(int)
			if ctx.Err() != nil {
				settle(i, StepResult{Name: p.steps[i].Name, Status: Cancelled, Reason: "not started: the run was cancelled"})
				continue
			}
			depNodes := make(map[string]*report.Node, len(p.deps[i]))
			for _, d := range p.deps[i] {
				depNodes[p.steps[d].Name] = res.Steps[d].Node
			}
			running++
			res.MaxRunning = max(res.MaxRunning, running)
			start := time.Since(res.Started)
			progress(ProgressEvent{Step: p.steps[i].Name, Started: true})
			go func() {
				sr := execute(ctx, p.steps[i], depNodes, grace)
				sr.Start = start
				doneCh <- finish{i, sr}
			}()
		}
		if running == 0 {
			break // nothing ready and nothing running: every step settled
		}
		f := <-doneCh
		running--
		settle(f.i, f.res)
	}
	res.Duration = time.Since(res.Started)
	return res
}

// execute runs one step in its own goroutine, waits for it (see
// Options.Grace), releases its resources and classifies the outcome.
func execute(ctx context.Context, s Step, deps map[string]*report.Node, grace time.Duration) StepResult {
	began := time.Now()
	env := &StepEnv{name: s.Name, deps: deps}
	sctx, cancel := ctx, context.CancelFunc(func() {})
	if s.Timeout > 0 {
		sctx, cancel = context.WithTimeoutCause(ctx, s.Timeout, errStepTimeout)
	}
	defer cancel()
	type ret struct {
		node     *report.Node
		err      error
		panicked bool
		late     error // the context's cause when Run returned after it ended
	}
	retCh := make(chan ret, 1)
	go func() {
		var r ret
		defer func() {
			if p := recover(); p != nil {
				r = ret{err: fmt.Errorf("panic: %v\n%s", p, debug.Stack()), panicked: true}
			}
			if sctx.Err() != nil {
				r.late = context.Cause(sctx)
			}
			retCh <- r
		}()
		r.node, r.err = s.Run(sctx, env)
	}()
	var out ret
	abandoned := false
	select {
	case out = <-retCh:
	case <-sctx.Done():
		t := time.NewTimer(grace)
		select {
		case out = <-retCh:
		case <-t.C:
			env.releaseAll() // closing what it holds unblocks its I/O
			t.Reset(grace)
			select {
			case out = <-retCh:
			case <-t.C:
				abandoned = true
				out.late = context.Cause(sctx)
			}
		}
		t.Stop()
	}
	relErr := env.releaseAll()
	sr := StepResult{Name: s.Name, Ran: true, Node: out.node, Released: env.releasedCount(), Abandoned: abandoned}
	switch {
	case out.panicked:
		sr.Status, sr.Err = Failed, out.err
	case out.late != nil && errors.Is(out.late, errStepTimeout):
		sr.Status, sr.Err = TimedOut, errors.Join(fmt.Errorf("timed out after %v", s.Timeout), out.err)
	case out.late != nil:
		sr.Status, sr.Err = Cancelled, errors.Join(fmt.Errorf("cancelled while running: %v", out.late), out.err)
	case out.err != nil:
		sr.Status, sr.Err = Failed, out.err
	case relErr != nil:
		sr.Status = Failed
	default:
		sr.Status = Passed
	}
	if relErr != nil {
		sr.Err = errors.Join(sr.Err, relErr)
	}
	if sr.Err != nil {
		sr.Reason = firstLine(sr.Err.Error())
	}
	if abandoned {
		sr.Reason += fmt.Sprintf("; did not return within %v after its context ended: abandoned, its goroutine may leak", 2*grace)
	}
	sr.Duration = time.Since(began)
	return sr
}

// firstLine keeps the first line of s (a panic's stack stays in Err).
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
