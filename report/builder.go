package report

import (
	"sync"
	"sync/atomic"
	"time"
)

// Builder collects a run while it happens: tests add their results as they
// finish (from any goroutine, e.g. a suite's TestMain and its parallel
// tests), and subscribers receive the same values as a stream of Events.
// The zero value is not usable; call NewBuilder.
type Builder struct {
	mu   sync.Mutex
	run  Run
	now  func() time.Time
	subs map[*Subscription]struct{}
}

// NewBuilder starts a run. now is the clock used to stamp events and the
// run's duration; nil means time.Now.
func NewBuilder(id string, started time.Time, env Environment, now func() time.Time) *Builder {
	if now == nil {
		now = time.Now
	}
	return &Builder{
		run:  Run{ID: id, Started: started, Env: env},
		now:  now,
		subs: map[*Subscription]struct{}{},
	}
}

// EventType says what an Event carries.
type EventType string

// The event types.
const (
	// EventProgress carries interim Metrics of a running test.
	EventProgress EventType = "progress"
	// EventResult carries a finished test (Node).
	EventResult EventType = "result"
	// EventFault carries a fault that started or ended (Fault).
	EventFault EventType = "fault"
	// EventWarning carries a warning (Warning).
	EventWarning EventType = "warning"
)

// Event is one item of the progress stream. It holds the same value types
// as the tree; Node and the slices are copies the receiver may keep.
type Event struct {
	Type    EventType     `json:"type"`
	At      time.Duration `json:"at_ns"`
	Suite   string        `json:"suite"`
	Test    string        `json:"test,omitempty"`
	Metrics []Metric      `json:"metrics,omitempty"`
	Node    *Node         `json:"node,omitempty"`
	Fault   *FaultEvent   `json:"fault,omitempty"`
	Warning string        `json:"warning,omitempty"`
}

// Subscription is a subscriber's end of the stream. Events are delivered
// without blocking the producer: when the buffer is full the event is not
// delivered and Dropped counts it.
type Subscription struct {
	C       <-chan Event
	c       chan Event
	dropped atomic.Uint64
	b       *Builder
}

// Dropped is how many events this subscriber missed because its buffer was
// full.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close ends the subscription and closes C. It is safe to call twice.
func (s *Subscription) Close() {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if _, ok := s.b.subs[s]; ok {
		delete(s.b.subs, s)
		close(s.c)
	}
}

// Subscribe returns a subscription with room for buffer undelivered events
// (at least 1).
func (b *Builder) Subscribe(buffer int) *Subscription {
	if buffer < 1 {
		buffer = 1
	}
	c := make(chan Event, buffer)
	s := &Subscription{C: c, c: c, b: b}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// publish must be called with b.mu held.
func (b *Builder) publish(e Event) {
	e.At = b.now().Sub(b.run.Started)
	for s := range b.subs {
		select {
		case s.c <- e:
		default:
			s.dropped.Add(1)
		}
	}
}

// suite returns the named suite, creating it; b.mu must be held.
func (b *Builder) suite(name string) *Node {
	for _, s := range b.run.Suites {
		if s.Name == name {
			return s
		}
	}
	s := NewSuite(name)
	b.run.Suites = append(b.run.Suites, s)
	return s
}

// AddResult adds a finished test (with its subtests) to the named suite,
// creating the suite on first use, and publishes it. The builder keeps its
// own copy: the caller may reuse n.
func (b *Builder) AddResult(suite string, n *Node) {
	c := n.Clone()
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.suite(suite)
	s.Children = append(s.Children, c)
	b.publish(Event{Type: EventResult, Suite: suite, Test: n.Name, Node: n.Clone()})
}

// UpdateSuite lets fn change the named suite's own fields (status, metrics,
// faults, series) under the builder's lock; fn must not keep the pointer.
func (b *Builder) UpdateSuite(suite string, fn func(s *Node)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fn(b.suite(suite))
}

// Progress publishes interim values of a running test. They are not stored
// in the tree; the final values come with AddResult.
func (b *Builder) Progress(suite, test string, metrics ...Metric) {
	m := cloneSlice(metrics)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.publish(Event{Type: EventProgress, Suite: suite, Test: test, Metrics: m})
}

// AddFault records a fault event on the named suite and publishes it.
func (b *Builder) AddFault(suite string, f FaultEvent) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.suite(suite)
	s.Faults = append(s.Faults, f)
	b.publish(Event{Type: EventFault, Suite: suite, Fault: &f})
}

// Warn adds a run-level warning (suite empty) or a suite warning and
// publishes it.
func (b *Builder) Warn(suite, warning string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if suite == "" {
		b.run.Warnings = append(b.run.Warnings, warning)
	} else {
		s := b.suite(suite)
		s.Warnings = append(s.Warnings, warning)
	}
	b.publish(Event{Type: EventWarning, Suite: suite, Warning: warning})
}

// Snapshot returns a normalized deep copy of the run so far, with Duration
// measured up to now.
func (b *Builder) Snapshot() *Run {
	b.mu.Lock()
	r := b.run.Clone()
	r.Duration = b.now().Sub(b.run.Started)
	b.mu.Unlock()
	r.Normalize()
	return r
}

// Close ends every subscription. The builder still accepts results.
func (b *Builder) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		delete(b.subs, s)
		close(s.c)
	}
}
