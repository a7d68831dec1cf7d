package client

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// RawEchoTarget is not MCP: it speaks to a newline echo server (mcptest's
// rawecho transport) with a fixed 64-byte line per call, no JSON on either
// side. Driven by the engine like any target, through the same sessions,
// slots and shards as an MCP run, it measures the ceiling of this machine
// and this generator at a session count: what loopback round trips cost
// when the server does no work. Suites report MCP throughput as a fraction
// of it, measured in the same run.
type RawEchoTarget struct {
	Addr    string // host:port
	Options Options

	sessions atomic.Uint64
}

var _ Target = (*RawEchoTarget)(nil)

// String implements Target.
func (t *RawEchoTarget) String() string { return "rawecho://" + t.Addr }

// rawEchoLine is what every call sends and expects back.
var rawEchoLine = []byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n")

// Connect implements Target: it dials (from the next of Options.SourceAddrs,
// if any); there is no handshake.
func (t *RawEchoTarget) Connect(ctx context.Context) (Session, error) {
	opts := t.Options.withDefaults()
	n := t.sessions.Add(1)
	d := net.Dialer{Timeout: opts.ConnectTimeout}
	if k := len(opts.SourceAddrs); k > 0 {
		dialFrom(&d, opts.SourceAddrs[int((n-1)%uint64(k))])
	}
	c, err := d.DialContext(ctx, "tcp", t.Addr)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", t, err)
	}
	return &rawEchoSession{c: c, r: bufio.NewReaderSize(c, 256), timeout: opts.Timeout}, nil
}

// rawEchoSession sends one line at a time: calls queue on its mutex, as
// MCP calls queue for a session's pipeline slots.
type rawEchoSession struct {
	mu      sync.Mutex
	c       net.Conn
	r       *bufio.Reader
	timeout time.Duration
	closed  atomic.Bool
}

// Call implements Session.
func (s *rawEchoSession) Call(ctx context.Context, _ Request) Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return Response{Outcome: Cancelled, Err: err}
	}
	deadline := time.Time{}
	if s.timeout > 0 {
		deadline = time.Now().Add(s.timeout)
	}
	if d, ok := ctx.Deadline(); ok && (deadline.IsZero() || d.Before(deadline)) {
		deadline = d
	}
	_ = s.c.SetDeadline(deadline)
	sent := time.Now()
	if _, err := s.c.Write(rawEchoLine); err != nil {
		return s.failed(ctx, sent, err)
	}
	line, err := s.r.ReadSlice('\n')
	if err != nil {
		return s.failed(ctx, sent, err)
	}
	if len(line) != len(rawEchoLine) {
		return Response{Outcome: TransportError, Sent: sent, Err: fmt.Errorf("rawecho: %d bytes back for %d sent", len(line), len(rawEchoLine))}
	}
	return Response{Outcome: OK, Sent: sent}
}

func (s *rawEchoSession) failed(ctx context.Context, sent time.Time, err error) Response {
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		if ctx.Err() != nil {
			return Response{Outcome: Cancelled, Sent: sent, Err: ctx.Err()}
		}
		return Response{Outcome: Timeout, Sent: sent, Err: err}
	}
	return Response{Outcome: TransportError, Sent: sent, Err: err}
}

// Close implements Session.
func (s *rawEchoSession) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.c.Close()
}
