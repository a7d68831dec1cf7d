package orchestrator

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"

	"github.com/mcpstress/mcpstress/report"
)

// StepEnv is what a running step gets besides its context: the place to
// register the resources it holds (sessions, processes, proxies, files) so
// the orchestrator releases them when the step ends, in reverse order, on
// success, failure, timeout, cancellation and panic alike; and the nodes its
// dependencies returned. It is safe for concurrent use by the step's own
// goroutines.
type StepEnv struct {
	name string
	deps map[string]*report.Node

	mu       sync.Mutex
	releases []release
	released bool
	count    int
	errs     []error
}

type release struct {
	what string
	fn   func() error
}

// Name is the step's name.
func (e *StepEnv) Name() string { return e.name }

// Dependency returns the node a (direct) dependency returned; the step
// must treat it as read-only. ok is false for a name that is not a
// dependency of this step.
func (e *StepEnv) Dependency(name string) (n *report.Node, ok bool) {
	n, ok = e.deps[name]
	return n, ok
}

// Defer registers fn to run when the step ends; registered functions run
// in reverse order of registration, each once. A function registered after
// the step's resources were released (by a goroutine the step left behind)
// runs at once, so nothing registered is ever leaked. Errors are joined
// into the step's result and fail it.
func (e *StepEnv) Defer(fn func() error) {
	e.defer1(release{what: "deferred function", fn: fn})
}

// Acquire registers c to be closed when the step ends (see Defer) and
// returns it, so acquisition and registration are one line:
//
//	conn := env.Acquire(dial()).(net.Conn)
//
// A nil closer is ignored. Closing is also how a step blocked in I/O that
// ignores its context is unblocked after its deadline (see Options.Grace),
// so c.Close must be safe to call while the step still uses c, as it is
// for net.Conn, net.Listener and os.File. A closer the step already closed
// itself is fine: net.ErrClosed and os.ErrClosed are not errors here.
func (e *StepEnv) Acquire(c io.Closer) io.Closer {
	if c == nil {
		return nil
	}
	e.defer1(release{what: fmt.Sprintf("%T", c), fn: c.Close})
	return c
}

func (e *StepEnv) defer1(r release) {
	e.mu.Lock()
	if !e.released {
		e.releases = append(e.releases, r)
		e.mu.Unlock()
		return
	}
	e.mu.Unlock()
	e.run(r)
}

// releaseAll runs every registered release in reverse order, once, and
// returns their errors joined. Later registrations run at once (defer1).
func (e *StepEnv) releaseAll() error {
	e.mu.Lock()
	rs := e.releases
	e.releases, e.released = nil, true
	e.mu.Unlock()
	for i := len(rs) - 1; i >= 0; i-- {
		e.run(rs[i])
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return errors.Join(e.errs...)
}

// run calls one release, turning a panic into an error.
func (e *StepEnv) run(r release) {
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		return r.fn()
	}()
	if errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed) {
		err = nil // closed by the step itself: released all the same
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.count++
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("release %s: %w", r.what, err))
	}
}

// releasedCount is how many releases ran.
func (e *StepEnv) releasedCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.count
}
