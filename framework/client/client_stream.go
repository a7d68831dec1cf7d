package client

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpstress/mcpstress/internal/tailbuf"
	"github.com/mcpstress/mcpstress/wire"
)

// StreamSession is a session over a newline-framed byte stream: a TCP
// connection or a stdio server process.
type StreamSession struct {
	target string
	opts   Options
	dial   func(ctx context.Context) (streamIO, error)

	cur atomic.Pointer[streamState]
	sem chan struct{}

	// closing ends with Close, so a reconnect in progress stops at once.
	closing     context.Context
	closeCancel context.CancelFunc

	mu      sync.Mutex // serialises (re)connecting; guards the fields below
	attempt int
	nextTry time.Time
	rnd     *rand.Rand
	closed  bool

	nextID     atomic.Int64
	reconnects atomic.Int64
	// reconnectTries counts every reconnect attempt, failed ones too.
	reconnectTries atomic.Int64
	stats          connStats
	stderr         *tailbuf.Buffer // stdio only
	onClose        func()          // called once by the first Close (stdio: frees a process slot)
}

// streamState is one established connection and what its handshake found.
type streamState struct {
	conn       *streamConn
	protocol   string
	meta       []byte // 2026 _meta prefix; nil for legacy
	serverInfo json.RawMessage
}

var (
	_ ClientSession = (*StreamSession)(nil)
	_ TimeoutCaller = (*StreamSession)(nil)
)

func newStreamSession(target string, opts Options, ordinal uint64, dial func(context.Context) (streamIO, error)) *StreamSession {
	s := &StreamSession{
		target: target,
		opts:   opts,
		dial:   dial,
		sem:    make(chan struct{}, opts.Pipeline),
		rnd:    rand.New(rand.NewPCG(opts.Seed, ordinal)),
	}
	s.closing, s.closeCancel = context.WithCancel(context.Background())
	return s
}

// connect dials and performs the handshake; it is the first connection
// (from Target.Connect) and every reconnect.
func (s *StreamSession) connect(ctx context.Context) (*streamState, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.ConnectTimeout)
	defer cancel()
	rw, err := s.dial(ctx)
	if err != nil {
		return nil, err
	}
	conn := newStreamConn(rw, s.opts.MaxFrame, &s.stats, s.opts.OnNotification, s.opts.Timeout)
	st, err := handshake(ctx, s.opts, func(ctx context.Context, method string, params, meta []byte) Response {
		dl, _ := ctx.Deadline()
		return conn.roundTrip(ctx, time.Time{}, dl, 0, s.nextID.Add(1), method, params, meta, false)
	})
	if err != nil {
		conn.fail(ErrClosed)
		return nil, fmt.Errorf("%s: handshake: %w", s.target, err)
	}
	st.conn = conn
	if !wire.IsModern(st.protocol) {
		if err := conn.notify("notifications/initialized", nil, nil); err != nil {
			conn.fail(ErrClosed)
			return nil, fmt.Errorf("%s: notifications/initialized: %w", s.target, err)
		}
	}
	return st, nil
}

// state returns the live connection, reconnecting (with backoff) if it broke.
func (s *StreamSession) state(ctx context.Context) (*streamState, error) {
	if st := s.cur.Load(); st != nil && !st.conn.broken.Load() {
		return st, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if s.closed {
			return nil, ErrClosed
		}
		old := s.cur.Load()
		if old != nil && !old.conn.broken.Load() {
			return old, nil // another caller reconnected meanwhile
		}
		if s.opts.Reconnect.Disabled && old != nil {
			return nil, fmt.Errorf("%w (reconnect disabled)", ErrConnectionLost)
		}
		wait := time.Until(s.nextTry)
		if wait <= 0 {
			break
		}
		s.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			s.mu.Lock()
			return nil, ctx.Err()
		case <-s.closing.Done():
			t.Stop()
			s.mu.Lock()
			return nil, ErrClosed
		case <-t.C:
		}
		s.mu.Lock()
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.closing, cancel)
	defer stop()
	st, err := s.connect(cctx)
	s.reconnectTries.Add(1)
	if err != nil {
		s.nextTry = time.Now().Add(s.opts.Reconnect.Delay(s.attempt, s.rnd.Float64()))
		s.attempt++
		return nil, fmt.Errorf("%w: reconnect: %v", ErrConnectionLost, err)
	}
	s.attempt = 0
	s.reconnects.Add(1)
	s.cur.Store(st)
	return st, nil
}

// Call implements Session.
func (s *StreamSession) Call(ctx context.Context, req Request) Response {
	return s.CallTimeout(ctx, req, 0)
}

// CallTimeout implements TimeoutCaller.
func (s *StreamSession) CallTimeout(ctx context.Context, req Request, timeout time.Duration) Response {
	if timeout <= 0 || timeout > s.opts.Timeout {
		timeout = s.opts.Timeout
	}
	var start time.Time // zero: the timeout counts from the send
	if !trySlot(ctx, s.sem) {
		start = time.Now()
		if r, ok := waitSlot(ctx, s.sem, start.Add(timeout)); !ok {
			return r
		}
	}
	defer func() { <-s.sem }()
	for retried := false; ; retried = true {
		st, err := s.state(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return Response{Outcome: Cancelled, Err: ctx.Err()}
			}
			return Response{Outcome: TransportError, Err: err}
		}
		id := s.nextID.Add(1)
		r := st.conn.roundTrip(ctx, start, time.Time{}, timeout, id, req.Method, req.Params, st.meta, req.Discard)
		switch {
		case r.Outcome == Timeout || r.Outcome == Cancelled:
			if !r.Sent.IsZero() {
				st.conn.cancel(id, r.Outcome.String())
			}
		case r.Outcome == RPCError && r.Code == wire.CodeUnsupportedProtocolVersion && st.meta != nil && !retried:
			// The server no longer accepts our version: switch to one it
			// names and re-send under a new id.
			if v := supportedFrom(r.Err); v != "" && v != st.protocol && wire.IsModern(v) {
				s.cur.CompareAndSwap(st, &streamState{conn: st.conn, protocol: v, meta: modernMeta(v, s.opts.ClientName, s.opts.ClientVersion), serverInfo: st.serverInfo})
				continue
			}
		}
		return r
	}
}

// Notify implements ClientSession.
func (s *StreamSession) Notify(ctx context.Context, method string, params json.RawMessage) error {
	st, err := s.state(ctx)
	if err != nil {
		return err
	}
	return st.conn.notify(method, params, nil)
}

// Send writes raw bytes to the connection as they are (a newline is not
// added): the escape hatch for protocol-robustness tests. Answers to it are
// counted as strays unless they match a pending id.
func (s *StreamSession) Send(ctx context.Context, raw []byte) error {
	st, err := s.state(ctx)
	if err != nil {
		return err
	}
	return st.conn.writeRaw(raw)
}

// Protocol implements ClientSession.
func (s *StreamSession) Protocol() string {
	if st := s.cur.Load(); st != nil {
		return st.protocol
	}
	return ""
}

// ServerInfo implements ClientSession.
func (s *StreamSession) ServerInfo() json.RawMessage {
	if st := s.cur.Load(); st != nil {
		return st.serverInfo
	}
	return nil
}

// Reconnects implements ClientSession.
func (s *StreamSession) Reconnects() int64 { return s.reconnects.Load() }

// ReconnectAttempts counts every attempt to re-establish the connection,
// failed ones included (ReconnectCounter).
func (s *StreamSession) ReconnectAttempts() int64 { return s.reconnectTries.Load() }

// Stats implements ClientSession.
func (s *StreamSession) Stats() SessionStats {
	return SessionStats{
		Notifications:  s.stats.notifications.Load(),
		ServerRequests: s.stats.serverRequests.Load(),
		Strays:         s.stats.strays.Load(),
		InvalidFrames:  s.stats.invalid.Load(),
	}
}

// Stderr returns the last bytes the stdio server wrote to stderr (nil for
// TCP sessions).
func (s *StreamSession) Stderr() []byte {
	if s.stderr == nil {
		return nil
	}
	return s.stderr.Bytes()
}

// Close implements Session: it closes the connection (for stdio: closes
// stdin, then kills and reaps the process). Safe to call more than once.
func (s *StreamSession) Close() error {
	s.closeCancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if st := s.cur.Load(); st != nil {
		st.conn.fail(ErrClosed)
	}
	if s.onClose != nil {
		s.onClose()
	}
	return nil
}
