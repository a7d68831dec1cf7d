package framework

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/mcpstress/mcpstress/framework/client"
)

// errRequestTimeout is the cause of a request's own deadline, to tell it
// from a stop of the run.
var errRequestTimeout = errors.New("request timed out (message_timeout)")

// Executor generates load on open sessions until ctx ends or its plan does.
// Every request it schedules must reach rec exactly once, whatever happens;
// Scheduled counts them, so the conservation check can hold it to that.
// Run calls Execute ahead of env.Start (the shared epoch, or a lead for
// the executor's workers to start): an executor sends nothing before
// env.Start.
type Executor interface {
	Execute(ctx context.Context, env *ExecEnv)
}

var (
	_ Executor = OpenExecutor{}
	_ Executor = ClosedExecutor{}
)

// ExecEnv is what an executor drives: the opened sessions, the workload, the
// recorder and the stop signals.
type ExecEnv struct {
	// Sessions are the open sessions; Pipeline slots each.
	Sessions []client.Session
	Pipeline int
	// Start is the load start; intended times are offsets from it.
	Start time.Time
	// Duration bounds scheduling (0: until the pacer ends or ctx is done).
	Duration time.Duration
	// Calls is the context of in-flight requests. It outlives the
	// scheduling context by the graceful stop and ends with the run.
	Calls context.Context
	// Timeout bounds each request (0: none beyond the session's own).
	Timeout time.Duration
	// Slice is the part of the scenario's hits this process sends; the
	// zero value is all of them.
	Slice Slice

	rec       *Recorder
	wl        *compiledWorkload
	reqs      []client.Request       // wl.reqs marked Discard: the engine reads outcomes only
	callers   []client.TimeoutCaller // per session; nil where the session is not one
	onSample  func(op string, outcome client.Outcome, latency time.Duration)
	scheduled atomic.Uint64
	hits      atomic.Uint64 // the closed model's shared hit counter
}

// NewExecEnv prepares an environment for Execute. The workload must be
// valid and its operation names must be rec's.
func NewExecEnv(sessions []client.Session, pipeline int, wl Workload, rec *Recorder) (*ExecEnv, error) {
	c, err := compileWorkload(wl)
	if err != nil {
		return nil, err
	}
	if len(sessions) == 0 {
		return nil, errors.New("executor: no sessions")
	}
	if pipeline <= 0 {
		pipeline = 1
	}
	reqs := append([]client.Request(nil), c.reqs...)
	for i := range reqs {
		reqs[i].Discard = true
	}
	callers := make([]client.TimeoutCaller, len(sessions))
	for i, s := range sessions {
		callers[i], _ = s.(client.TimeoutCaller)
	}
	return &ExecEnv{Sessions: sessions, Pipeline: pipeline, Calls: context.Background(), rec: rec, wl: c, reqs: reqs, callers: callers}, nil
}

// Scheduled is how many requests the executor scheduled (sent, dropped or
// cancelled): the left-hand side of the conservation equation.
func (e *ExecEnv) Scheduled() uint64 { return e.scheduled.Load() }

// Schedule counts hit n as scheduled and returns its operation (an index
// for Send and Drop). Every scheduled hit must then be sent or dropped.
func (e *ExecEnv) Schedule(n uint64) (op int) {
	e.scheduled.Add(1)
	return e.wl.pick(n)
}

// NextHit hands out the slice's hit numbers to executors whose workers
// number hits themselves (the closed model).
func (e *ExecEnv) NextHit() uint64 { return e.Slice.Hit(e.hits.Add(1) - 1) }

// Drop records a scheduled hit as dropped: no slot was free, it is never
// sent. worker picks the recorder shard.
func (e *ExecEnv) Drop(worker int, op int) {
	e.rec.Record(worker, Sample{Op: op, Session: -1, Outcome: client.Dropped})
	if e.onSample != nil {
		e.onSample(e.wl.names[op], client.Dropped, 0)
	}
}

// Send sends a scheduled hit's request on session sess from slot worker and
// records how it ended; intended is when it should have been sent, the
// origin of its corrected latency.
func (e *ExecEnv) Send(worker, sess, op int, intended time.Time) {
	e.send(worker, sess, op, intended)
}

// send is Send returning when the request ended.
func (e *ExecEnv) send(worker, sess, op int, intended time.Time) (done time.Time) {
	ctx := e.Calls
	var cancel context.CancelFunc
	var before time.Time // zero: the session reports when it sent
	var resp client.Response
	if tc := e.callerOf(sess); tc != nil {
		// The request's timeout as a value: no context and no timer per
		// request, and the clock read once per end (the session reads it
		// when it sends). The session reports the timeout as Timeout.
		resp = tc.CallTimeout(ctx, e.reqs[op], e.Timeout)
	} else {
		before = time.Now()
		if e.Timeout > 0 {
			ctx, cancel = context.WithTimeoutCause(ctx, e.Timeout, errRequestTimeout)
		}
		resp = e.Sessions[sess].Call(ctx, e.reqs[op])
	}
	done = time.Now()
	outcome := resp.Outcome
	// Only a context end is reinterpreted: an answer or a transport error
	// stays what it was even if the run stopped meanwhile (a failure must
	// not hide as a cancellation). A Cancelled or Timeout is ours to
	// classify: our per-request deadline is a Timeout; otherwise the run's
	// stop (which may itself be a deadline of the caller's context) is a
	// Cancelled.
	if outcome == client.Cancelled || outcome == client.Timeout {
		switch {
		case ctx != e.Calls && errors.Is(context.Cause(ctx), errRequestTimeout):
			outcome = client.Timeout
		case e.Calls.Err() != nil:
			outcome = client.Cancelled
		case outcome == client.Cancelled:
			// Nothing stopped it: the session gave up by itself, and a
			// cancellation would drop out of every error rate.
			outcome = client.TransportError
		}
	}
	if cancel != nil {
		cancel()
	}
	if int(outcome) >= client.NumOutcomes {
		outcome = client.TransportError // a session bug must not break the count
	}
	sent := resp.Sent
	switch {
	case !before.IsZero() && (sent.IsZero() || sent.Before(before)):
		sent = before
	case sent.IsZero():
		sent = done // never sent: no service time; the lag runs to the end
	}
	e.rec.Record(worker, Sample{
		Op:          op,
		Session:     sess,
		Outcome:     outcome,
		Code:        resp.Code,
		Corrected:   done.Sub(intended),
		Uncorrected: done.Sub(sent),
		Lag:         sent.Sub(intended),
	})
	if e.onSample != nil {
		lat := done.Sub(intended)
		if !HasLatency(outcome) {
			lat = 0
		}
		e.onSample(e.wl.names[op], outcome, lat)
	}
	return done
}

// sleepUntil waits for t or ctx, reusing timer; it reports false when ctx
// ended first.
func sleepUntil(ctx context.Context, timer *time.Timer, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer.Reset(d)
	select {
	case <-ctx.Done():
		timer.Stop()
		return false
	case <-timer.C:
		return true
	}
}

func (e *ExecEnv) callerOf(sess int) client.TimeoutCaller {
	if sess < len(e.callers) {
		return e.callers[sess]
	}
	return nil
}
