package mcptest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Faults are the server-side fault hooks used by the chaos and cascading
// suites. All are off in the zero value. They can be set only by the
// process that started the server: at start (Options.Faults, command-line
// flags), or at run time through Server.SetFaults, which goes through the
// loopback-only control endpoint for a child process. Nothing on the MCP
// port can change them.
type Faults struct {
	// Delay is added to the handling of every request.
	Delay time.Duration `json:"delay"`
	// DelayMax, when above Delay, makes the delay a range: each delayed
	// request waits a duration drawn uniformly from [Delay, DelayMax] (a
	// latency injection of 100–500 ms, say). The draw is a fixed
	// function of the request's order since the range was set (the n-th
	// delayed request always gets the same delay), so a run replays.
	DelayMax time.Duration `json:"delayMax,omitempty"`
	// FailFraction of tools/call requests (0..1) are answered with a
	// JSON-RPC -32603 error "injected fault (FailFraction)" instead of
	// running the tool (see FailToolError).
	// The choice is deterministic: call n (counting from 1 since the
	// fraction was set) fails when floor(n*f) > floor((n-1)*f), so exactly
	// floor(N*f) of N calls fail.
	FailFraction float64 `json:"failFraction"`
	// FailToolError answers the failing calls with an execution error
	// (a result with isError:true, "injected fault") instead of -32603.
	FailToolError bool `json:"failToolError"`
	// Stall holds every request unanswered until Stall is set back to
	// false or, when StallFor > 0, until the request has been held for
	// StallFor.
	Stall    bool          `json:"stall"`
	StallFor time.Duration `json:"stallFor"`
	// BlockRegistry blocks the session registry: initialize (every
	// transport) and every legacy HTTP session lookup wait until it is
	// lifted or the request ends.
	BlockRegistry bool `json:"blockRegistry"`
	// LeakBytesPerCall makes every tools/call retain that many bytes in a
	// server-held slice (written, so the pages count in the RSS) that is
	// never freed while the fault is on: the negative control of a memory
	// criterion. The total retained is capped at MaxLeakBytes to keep the
	// machine safe (calls beyond it retain nothing more); switching the
	// fault off (0) releases it all to the garbage collector. Stats
	// reports the bytes retained as LeakedBytes.
	LeakBytesPerCall int `json:"leakBytesPerCall"`
	// SlowEvery and SlowEveryDelay slow one connection in SlowEvery, the
	// negative control of the message-distribution criterion: every
	// answer on a slowed connection is held SlowEveryDelay longer (on top
	// of Delay), in the server, while every other connection is answered
	// as before, so a closed-loop load generator sends those sessions
	// visibly fewer messages than the rest. A connection is slowed when
	// its accept index i — 0 for the first connection the server
	// accepted, in the order Stats.Connections counts them — satisfies
	// i % SlowEvery == 0: connections 0, k, 2k, …, so ⌈n/k⌉ of the first
	// n. The index is fixed when the connection is accepted, so setting
	// the fault at run time slows connections already open, and lifting
	// it speeds them up again. Over HTTP a legacy session (Mcp-Session-Id)
	// is slowed by its session index instead — 0 for the first session
	// created, in the order Stats.Sessions counts them — whichever TCP
	// connection carries its requests; a request outside a session (a
	// stateless 2026-07-28 request, or the initialize that creates one)
	// by the accept index of its HTTP connection. A stdio server serves
	// one stream, index 0, which is therefore slowed. SlowEvery 0 is off;
	// the two are set together.
	SlowEvery      int           `json:"slowEvery"`
	SlowEveryDelay time.Duration `json:"slowEveryDelay"`
	// Serial makes the server a single-worker one: every tools/call waits
	// for the one server-wide worker and holds it for Serial, as calls
	// sharing one backend connection would, so the server answers at most
	// 1/Serial calls a second whatever its cores. The calls it cannot
	// take yet wait in order in their connections (the reader is held, so
	// the queue is in the sockets), and a call whose client has given up
	// is still worked through: past its capacity the queue outgrows the
	// client's timeout and fewer and fewer answers arrive in time. It is
	// the negative control of graceful degradation (throughput that
	// collapses past the knee). 0 is off.
	Serial time.Duration `json:"serial,omitempty"`
}

// MaxLeakBytes caps the memory the LeakBytesPerCall fault retains: 1 GiB.
const MaxLeakBytes = 1 << 30

// Validate reports every problem with f at once.
func (f Faults) Validate() error {
	var errs []error
	if f.Delay < 0 {
		errs = append(errs, fmt.Errorf("mcptest: Faults.Delay %v is negative", f.Delay))
	}
	if !(f.FailFraction >= 0 && f.FailFraction <= 1) {
		errs = append(errs, fmt.Errorf("mcptest: Faults.FailFraction %v is not in [0,1]", f.FailFraction))
	}
	if f.DelayMax < 0 || (f.DelayMax > 0 && f.DelayMax < f.Delay) {
		errs = append(errs, fmt.Errorf("mcptest: Faults.DelayMax %v is negative or below Delay %v", f.DelayMax, f.Delay))
	}
	if f.StallFor < 0 {
		errs = append(errs, fmt.Errorf("mcptest: Faults.StallFor %v is negative", f.StallFor))
	}
	if f.LeakBytesPerCall < 0 || f.LeakBytesPerCall > MaxLeakBytes {
		errs = append(errs, fmt.Errorf("mcptest: Faults.LeakBytesPerCall %d is not in [0, %d] (MaxLeakBytes)", f.LeakBytesPerCall, MaxLeakBytes))
	}
	if f.StallFor > 0 && !f.Stall {
		errs = append(errs, errors.New("mcptest: Faults.StallFor is set but Stall is false"))
	}
	if f.Serial < 0 {
		errs = append(errs, fmt.Errorf("mcptest: Faults.Serial %v is negative", f.Serial))
	}
	if f.SlowEvery < 0 {
		errs = append(errs, fmt.Errorf("mcptest: Faults.SlowEvery %d is negative", f.SlowEvery))
	}
	if f.SlowEveryDelay < 0 {
		errs = append(errs, fmt.Errorf("mcptest: Faults.SlowEveryDelay %v is negative", f.SlowEveryDelay))
	}
	// One without the other would be a negative control that slows
	// nothing, and a check that passes for the wrong reason.
	if f.SlowEvery > 0 && f.SlowEveryDelay == 0 {
		errs = append(errs, errors.New("mcptest: Faults.SlowEvery is set but SlowEveryDelay is 0"))
	}
	if f.SlowEveryDelay > 0 && f.SlowEvery == 0 {
		errs = append(errs, errors.New("mcptest: Faults.SlowEveryDelay is set but SlowEvery is 0"))
	}
	return errors.Join(errs...)
}

// faultState is the live fault configuration of one server.
type faultState struct {
	mu       sync.Mutex
	cur      Faults
	stallCh  chan struct{} // closed when no stall is in force
	blockCh  chan struct{} // closed when the registry is not blocked
	failN    atomic.Uint64 // tools/call counter for FailFraction
	delayN   atomic.Uint64 // delayed-request counter for DelayMax
	active   atomic.Bool   // any fault on: the hot path checks only this
	delayNs  atomic.Int64
	failFrac atomic.Uint64 // math.Float64bits
	waiting  atomic.Int64  // requests blocked in waitRegistry now

	leakPer  atomic.Int64 // LeakBytesPerCall
	leakMu   sync.Mutex   // guards leaked
	leaked   [][]byte     // retained by the leak fault; nil when it is off
	leakSize atomic.Int64 // bytes in leaked

	serialNs atomic.Int64  // Serial
	worker   chan struct{} // the one worker Serial makes calls share
}

func newFaultState(f Faults) *faultState {
	s := &faultState{stallCh: closedChan(), blockCh: closedChan(), worker: make(chan struct{}, 1)}
	s.set(f)
	return s
}

func closedChan() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// set installs f, releasing stalled and blocked requests as needed.
func (s *faultState) set(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Stall && !s.cur.Stall {
		s.stallCh = make(chan struct{})
	} else if !f.Stall && s.cur.Stall {
		close(s.stallCh)
	}
	if f.BlockRegistry && !s.cur.BlockRegistry {
		s.blockCh = make(chan struct{})
	} else if !f.BlockRegistry && s.cur.BlockRegistry {
		close(s.blockCh)
	}
	if f.FailFraction != s.cur.FailFraction {
		s.failN.Store(0)
	}
	if f.Delay != s.cur.Delay || f.DelayMax != s.cur.DelayMax {
		s.delayN.Store(0)
	}
	s.cur = f
	s.leakPer.Store(int64(f.LeakBytesPerCall))
	if f.LeakBytesPerCall == 0 {
		s.leakMu.Lock()
		s.leaked = nil
		s.leakSize.Store(0)
		s.leakMu.Unlock()
	}
	s.delayNs.Store(int64(f.Delay))
	s.serialNs.Store(int64(f.Serial))
	s.failFrac.Store(math.Float64bits(f.FailFraction))
	s.active.Store(f != Faults{})
}

func (s *faultState) get() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

// slow reports whether requests of connection conn (its SlowEvery index,
// see Faults.SlowEvery) should leave the inline fast path because a
// delay or stall may hold them. Connections SlowEvery does not slow stay
// on it.
func (s *faultState) slow(conn int64) bool {
	if !s.active.Load() {
		return false
	}
	f := s.get()
	return f.Delay > 0 || f.DelayMax > 0 || f.Stall || f.BlockRegistry || slowedConn(conn, f.SlowEvery)
}

// slowedConn reports whether SlowEvery k slows the connection with index
// conn.
func slowedConn(conn int64, k int) bool { return k > 0 && conn%int64(k) == 0 }

// hold applies Stall, Delay and SlowEvery to one request of connection
// conn. It holds no lock while it waits, so only this request waits. It
// returns ctx's error if the request ended while held.
func (s *faultState) hold(ctx context.Context, conn int64) error {
	if !s.active.Load() {
		return nil
	}
	s.mu.Lock()
	stall, stallFor, delay := s.stallCh, s.cur.StallFor, s.cur.Delay
	if spread := s.cur.DelayMax - delay; spread > 0 {
		delay += time.Duration(splitmix64(s.delayN.Add(1)) % uint64(spread+1))
	}
	if slowedConn(conn, s.cur.SlowEvery) {
		delay += s.cur.SlowEveryDelay
	}
	s.mu.Unlock()
	select {
	case <-stall:
	default:
		var timeout <-chan time.Time
		if stallFor > 0 {
			t := time.NewTimer(stallFor)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-stall:
		case <-timeout:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return sleep(ctx, delay)
}

// sleep waits d (nothing when d <= 0), or returns ctx's error if it ends
// first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// splitmix64 is a fixed, well-mixed function of n: the DelayMax draw of
// the n-th delayed request.
func splitmix64(n uint64) uint64 {
	z := n*0x9e3779b97f4a7c15 + 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// waitRegistry blocks while the session registry is blocked.
func (s *faultState) waitRegistry(ctx context.Context) error {
	if !s.active.Load() {
		return nil
	}
	s.mu.Lock()
	ch := s.blockCh
	s.mu.Unlock()
	select {
	case <-ch:
		return nil
	default:
	}
	s.waiting.Add(1)
	defer s.waiting.Add(-1)
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// shouldFail counts one tools/call and reports whether it is to fail.
func (s *faultState) shouldFail() bool {
	if !s.active.Load() {
		return false
	}
	f := math.Float64frombits(s.failFrac.Load())
	if f <= 0 {
		return false
	}
	n := s.failN.Add(1)
	return failAt(n, f)
}

// failAt reports whether call n (from 1) fails under fraction f.
func failAt(n uint64, f float64) bool {
	return uint64(float64(n)*f) > uint64(float64(n-1)*f)
}

// serial applies Serial to one tools/call: it waits for the server's one
// worker and holds it for Serial. It returns ctx's error if the call ended
// first (the server shutting down or the connection closing).
func (s *faultState) serial(ctx context.Context) error {
	if !s.active.Load() {
		return nil
	}
	d := time.Duration(s.serialNs.Load())
	if d <= 0 {
		return nil
	}
	select {
	case s.worker <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.worker }()
	return sleep(ctx, d)
}

// leak retains LeakBytesPerCall bytes for one tools/call, up to
// MaxLeakBytes in all.
func (s *faultState) leak() { s.leakUpTo(MaxLeakBytes) }

// leakUpTo is leak with the cap as a parameter (tests use a small one).
func (s *faultState) leakUpTo(limit int64) {
	if !s.active.Load() {
		return
	}
	n := s.leakPer.Load()
	if n <= 0 {
		return
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i) | 1 // touch every page: untouched pages are not resident
	}
	s.leakMu.Lock()
	defer s.leakMu.Unlock()
	if s.leakPer.Load() != n || s.leakSize.Load()+n > limit {
		return // switched off or changed meanwhile, or at the cap
	}
	s.leaked = append(s.leaked, b)
	s.leakSize.Add(n)
}
