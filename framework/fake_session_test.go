package framework

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpstress/mcpstress/framework/client"
)

// fakeServer is a test double of an MCP server with a controllable latency,
// outcome and stall, shared by every fakeSession of a fakeTarget. It is
// meant to run inside a testing/synctest bubble, where its timers are the
// bubble's fake clock, so every run is deterministic and instant.
type fakeServer struct {
	// latency is the service time of request n (default 1ms).
	latency func(n uint64) time.Duration
	// outcome is how request n ends (default OK).
	outcome func(n uint64) client.Outcome
	// stallFrom/stallTo: nothing is served in [from, to); requests in
	// service then finish after to.
	stallFrom, stallTo time.Time
	// connectErr makes Connect fail for sessions i where it returns non-nil.
	connectErr func(i int) error
	// pipeline is how many requests a session serves at once (default 1);
	// more wait in the session, like the lean client's pipeline slots.
	pipeline int

	calls    atomic.Uint64
	connects atomic.Int64
	closed   atomic.Int64
}

type fakeTarget struct{ srv *fakeServer }

var (
	_ client.Target  = fakeTarget{}
	_ client.Session = (*fakeSession)(nil)
)

func (t fakeTarget) String() string { return "fake://server" }

func (t fakeTarget) Connect(ctx context.Context) (client.Session, error) {
	i := int(t.srv.connects.Add(1) - 1)
	if t.srv.connectErr != nil {
		if err := t.srv.connectErr(i); err != nil {
			return nil, err
		}
	}
	p := t.srv.pipeline
	if p <= 0 {
		p = 1
	}
	return &fakeSession{srv: t.srv, slots: make(chan struct{}, p)}, nil
}

type fakeSession struct {
	srv       *fakeServer
	slots     chan struct{}
	closeOnce sync.Once
}

var errFakeTransport = errors.New("fake: connection reset")

func (s *fakeSession) Call(ctx context.Context, req client.Request) client.Response {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return ctxResponse(ctx, time.Time{})
	}
	defer func() { <-s.slots }()
	sent := time.Now()
	n := s.srv.calls.Add(1) - 1
	d := time.Millisecond
	if s.srv.latency != nil {
		d = s.srv.latency(n)
	}
	done := sent.Add(d)
	if !s.srv.stallTo.IsZero() && done.After(s.srv.stallFrom) && sent.Before(s.srv.stallTo) {
		done = s.srv.stallTo.Add(d)
	}
	t := time.NewTimer(time.Until(done))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return ctxResponse(ctx, sent)
	}
	o := client.OK
	if s.srv.outcome != nil {
		o = s.srv.outcome(n)
	}
	switch o {
	case client.OK, client.ToolError:
		return client.Response{Outcome: o, Result: []byte(`{"content":[]}`), Sent: sent}
	case client.RPCError:
		return client.Response{Outcome: o, Code: -32603, Err: errors.New("fake: internal error"), Sent: sent}
	default:
		return client.Response{Outcome: o, Err: fmt.Errorf("fake: %v", o), Sent: sent}
	}
}

// ctxResponse classifies a context end the way the lean client does.
func ctxResponse(ctx context.Context, sent time.Time) client.Response {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return client.Response{Outcome: client.Timeout, Err: ctx.Err(), Sent: sent}
	}
	return client.Response{Outcome: client.Cancelled, Err: ctx.Err(), Sent: sent}
}

func (s *fakeSession) Close() error {
	s.closeOnce.Do(func() { s.srv.closed.Add(1) })
	return nil
}
