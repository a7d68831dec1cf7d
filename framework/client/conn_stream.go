package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mcpstress/mcpstress/wire"
)

// streamIO is a byte stream with deadlines: a net.Conn, or the pipes of a
// stdio server process.
type streamIO interface {
	io.ReadWriteCloser
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}

// connStats are the per-session counters of what a connection saw besides
// answers to its own requests.
type connStats struct {
	notifications  atomic.Int64 // notifications received
	serverRequests atomic.Int64 // server→client requests answered
	strays         atomic.Int64 // responses for no pending request (late or unknown id)
	invalid        atomic.Int64 // frames that were not valid JSON-RPC or over the limit
}

// call is one request waiting for its answer; ch receives exactly one
// Response, from whoever removes the call from the pending list.
type call struct {
	id      int64
	discard bool // leave Response.Result nil
	ch      chan Response
}

var callPool = sync.Pool{New: func() any { return &call{ch: make(chan Response, 1)} }}

// readBufSize is the read buffer of a stream connection: small, so that ten
// thousand idle sessions stay cheap; longer frames are accumulated.
const readBufSize = 4 << 10

// streamConn is one newline-framed JSON-RPC connection. It has no goroutine
// of its own: a caller waiting for an answer takes the read token and reads
// frames, handing answers for other pending calls to their channels, until
// its own answer arrives or its deadline passes ("leader reads"). With one
// request in flight that is a plain write-then-read with no hand-off, and an
// idle connection costs only its buffers.
type streamConn struct {
	rw       streamIO
	fr       *wire.FrameReader
	stats    *connStats
	onNotify func(method string, params []byte)
	wtimeout time.Duration

	wmu  sync.Mutex
	wbuf []byte
	wdl  time.Time // the write deadline armed now (under wmu)

	raw syscall.RawConn // TCP: the request is written from inside the poller's read (writeThenRead)
	// The state of writeThenRead's poller callback, kept here so that the
	// callback (a method value made once) allocates nothing per request.
	rawFn       func(fd uintptr) bool
	rawCalled   bool
	rawPeek     bool      // the connection was idle: look for an EOF the poller no longer reports
	rawLast     time.Time // when the last writeThenRead sent
	rawBuf      []byte
	rawDeadline time.Time
	rawErr      error

	readTok chan struct{}
	rdl     time.Time               // the read deadline armed now (under readTok)
	hook    atomic.Pointer[ctxHook] // the cancel hook of the context the reader watches

	mu      sync.Mutex
	pending []*call
	err     error
	broken  atomic.Bool
}

func newStreamConn(rw streamIO, maxFrame int, stats *connStats, onNotify func(string, []byte), wtimeout time.Duration) *streamConn {
	c := &streamConn{
		rw:       rw,
		fr:       wire.NewFrameReaderSize(rw, maxFrame, readBufSize),
		stats:    stats,
		onNotify: onNotify,
		wtimeout: wtimeout,
		readTok:  make(chan struct{}, 1),
	}
	c.readTok <- struct{}{}
	if tc, ok := rw.(*net.TCPConn); ok {
		c.raw, _ = tc.SyscallConn()
		c.rawFn = c.rawStep
	}
	return c
}

var longAgo = time.Unix(1, 0)

// ctxHook is a cancel hook registered on one context: when it ends, the
// read deadline is moved to the past so the reader wakes up. It stays
// registered while callers keep passing the same context (the engine passes
// one for the whole run), so a request costs no registration.
type ctxHook struct {
	ctx  context.Context
	stop func() bool
}

// watch makes sure a hook wakes the reader when ctx ends.
func (c *streamConn) watch(ctx context.Context) {
	if ctx.Done() == nil {
		if c.hook.Load() != nil {
			c.unwatch() // an earlier context's hook need not stay registered
		}
		return
	}
	if h := c.hook.Load(); h != nil && h.ctx == ctx {
		return
	}
	h := &ctxHook{ctx: ctx}
	h.stop = context.AfterFunc(ctx, func() { _ = c.rw.SetReadDeadline(longAgo) })
	if old := c.hook.Swap(h); old != nil {
		old.stop()
	}
	if c.broken.Load() { // fail ran meanwhile and may have missed h
		c.unwatch()
	}
}

func (c *streamConn) unwatch() {
	if h := c.hook.Swap(nil); h != nil {
		h.stop()
	}
}

// roundTrip sends one request and waits for its outcome. It always returns
// exactly one classified Response. The deadline is deadline when set, else
// timeout after start, or after the send when start is zero (so the hot
// path reads the clock once).
func (c *streamConn) roundTrip(ctx context.Context, start, deadline time.Time, timeout time.Duration, id int64, method string, params, meta []byte, discard bool) Response {
	cl := callPool.Get().(*call)
	cl.id, cl.discard = id, discard
	defer callPool.Put(cl)

	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return Response{Outcome: TransportError, Err: err}
	}
	c.pending = append(c.pending, cl)
	alone := len(c.pending) == 1
	c.mu.Unlock()

	if alone && c.raw != nil {
		select {
		case <-c.readTok:
			r := c.writeThenRead(ctx, start, deadline, timeout, cl, id, method, params, meta)
			c.readTok <- struct{}{}
			return r
		default:
		}
	}
	if deadline.IsZero() {
		if start.IsZero() {
			start = time.Now()
		}
		deadline = start.Add(timeout)
	}
	sent, err := c.write(deadline, id, method, params, meta)
	if err != nil {
		c.fail(fmt.Errorf("%w: write: %v", ErrConnectionLost, err))
		r := <-cl.ch
		r.Sent = sent
		return r
	}
	r := c.wait(ctx, deadline, cl)
	r.Sent = sent
	return r
}

func (c *streamConn) write(deadline time.Time, id int64, method string, params, meta []byte) (time.Time, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wbuf = appendRequest(c.wbuf[:0], id, method, params, meta)
	// The deadline is armed lazily: one armed earlier than ours (an
	// earlier request's) is left in place, and when it passes mid-write
	// ours is armed and the write goes on. Writes rarely block, so the
	// deadline is rarely touched.
	if c.wdl.IsZero() || c.wdl.After(deadline) {
		_ = c.rw.SetWriteDeadline(deadline)
		c.wdl = deadline
	}
	sent := time.Now()
	err := c.writeAll(c.wbuf, deadline)
	if cap(c.wbuf) > 64<<10 {
		c.wbuf = nil // do not keep a large request's buffer on an idle session
	}
	return sent, err
}

// writeThenRead is a round trip of the only request in flight, by the
// holder of the read token. The request is written from inside the
// poller's read call (RawConn.Read: it clears the connection's readiness,
// calls us, and parks until the socket is readable), so the answer's
// arrival wakes us directly: no read that can only say EAGAIN between the
// write and the answer, one syscall fewer per request than write-then-read.
// Nothing can be lost: the answer can only arrive after the write, which
// comes after the readiness was cleared.
func (c *streamConn) writeThenRead(ctx context.Context, start, deadline time.Time, timeout time.Duration, cl *call, id int64, method string, params, meta []byte) Response {
	c.wmu.Lock()
	c.wbuf = appendRequest(c.wbuf[:0], id, method, params, meta)
	b := c.wbuf
	if cap(c.wbuf) > 64<<10 {
		c.wbuf = nil
	}
	sent := time.Now()
	if deadline.IsZero() {
		if start.IsZero() {
			start = sent
		}
		deadline = start.Add(timeout)
	}
	if c.wdl.IsZero() || c.wdl.After(deadline) || c.wdl.Before(sent) {
		_ = c.rw.SetWriteDeadline(deadline)
		c.wdl = deadline
	}
	// An armed read deadline already past would fail the poller's read
	// before it calls us.
	if c.rdl.IsZero() || c.rdl.After(deadline) || c.rdl.Before(sent) {
		_ = c.rw.SetReadDeadline(deadline)
		c.rdl = deadline
	}
	c.watch(ctx)
	// RawConn.Read clears the connection's readiness before it calls us:
	// an end of stream (or bytes) that arrived while the connection sat
	// idle would no longer wake us, and the request would wait for its
	// deadline on a connection its peer closed. After an idle spell the
	// callback therefore also looks (MSG_PEEK) for what is already there;
	// back-to-back requests skip it (the close of a busy connection is
	// seen by the read in progress).
	c.rawPeek = sent.Sub(c.rawLast) > rawIdle
	c.rawLast = sent
	c.rawCalled, c.rawBuf, c.rawDeadline, c.rawErr = false, b, deadline, nil
	_ = c.raw.Read(c.rawFn)
	werr := c.rawErr
	if !c.rawCalled { // the poller refused at once (closed, cancelled): the ordinary way
		werr = c.writeAll(b, deadline)
		c.wmu.Unlock()
	}
	c.rawBuf, c.rawErr = nil, nil
	if werr != nil {
		c.fail(fmt.Errorf("%w: write: %v", ErrConnectionLost, werr))
		r := <-cl.ch
		r.Sent = sent
		return r
	}
	r := c.readFor(ctx, deadline, cl)
	r.Sent = sent
	return r
}

// rawStep is the poller callback of writeThenRead: the first call writes
// the request (and releases the write lock), and asks to wait for
// readability; the next one says the socket is readable (or a deadline
// woke us: readFor sorts that out).
func (c *streamConn) rawStep(fd uintptr) bool {
	if c.rawCalled {
		return true
	}
	c.rawCalled = true
	c.rawErr = c.writeFD(int(fd), c.rawBuf, c.rawDeadline)
	c.wmu.Unlock()
	return c.rawErr != nil || c.fr.Buffered() > 0 || (c.rawPeek && readable(int(fd)))
}

// rawIdle is how long a connection may sit between requests before
// writeThenRead looks for an end of stream the poller no longer reports.
const rawIdle = time.Millisecond

// readable says whether a read on fd would not block: bytes, or the end of
// the stream, are waiting.
func readable(fd int) bool {
	var b [1]byte
	for {
		n, _, err := syscall.Recvfrom(fd, b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return false
		}
		return n > 0 || err != nil || n == 0 // data, an error, or the end of the stream
	}
}

// writeFD writes b with write(2) on the socket; what the socket buffer
// cannot take at once is written the ordinary way (under wmu).
func (c *streamConn) writeFD(fd int, b []byte, deadline time.Time) error {
	for len(b) > 0 {
		n, err := syscall.Write(fd, b)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return c.writeAll(b, deadline)
		case err != nil:
			return err
		}
		b = b[n:]
	}
	return nil
}

// writeAll writes b, re-arming the deadline when an earlier one armed for
// another write passes before deadline (under wmu).
func (c *streamConn) writeAll(b []byte, deadline time.Time) error {
	for {
		n, err := c.rw.Write(b)
		if err == nil {
			return nil
		}
		b = b[n:]
		if len(b) == 0 || !errors.Is(err, os.ErrDeadlineExceeded) || !time.Now().Before(deadline) || c.wdl.Equal(deadline) {
			return err
		}
		_ = c.rw.SetWriteDeadline(deadline)
		c.wdl = deadline
	}
}

// writeRaw writes pre-built bytes (notifications, answers to server
// requests, raw frames) under the write lock.
func (c *streamConn) writeRaw(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wdl = time.Now().Add(c.wtimeout)
	_ = c.rw.SetWriteDeadline(c.wdl)
	_, err := c.rw.Write(b)
	return err
}

func (c *streamConn) wait(ctx context.Context, deadline time.Time, cl *call) Response {
	select {
	case r := <-cl.ch:
		return r
	case <-c.readTok:
		r := c.readFor(ctx, deadline, cl)
		c.readTok <- struct{}{}
		return r
	default:
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case r := <-cl.ch:
		return r
	case <-c.readTok:
		r := c.readFor(ctx, deadline, cl)
		c.readTok <- struct{}{}
		return r
	case <-ctx.Done():
		return c.abandon(cl, Cancelled, ctx.Err())
	case <-timer.C:
		return c.abandon(cl, Timeout, ErrTimeout)
	}
}

// readFor reads frames, dispatching each, until cl has its answer, the
// deadline passes or ctx ends.
func (c *streamConn) readFor(ctx context.Context, deadline time.Time, cl *call) Response {
	// The deadline is armed lazily, like the write deadline: one armed
	// earlier than ours stays, and when it passes while we still wait,
	// ours is armed (below). Armed before the cancel hook, so a hook that
	// fires at once (ctx already done) is not overwritten.
	if c.rdl.IsZero() || c.rdl.After(deadline) {
		_ = c.rw.SetReadDeadline(deadline)
		c.rdl = deadline
	}
	c.watch(ctx)
	for {
		select {
		case r := <-cl.ch:
			return r
		default:
		}
		frame, err := c.fr.Next()
		if err != nil {
			switch {
			case errors.Is(err, os.ErrDeadlineExceeded):
				if err := ctx.Err(); err != nil {
					return c.abandon(cl, Cancelled, err)
				}
				if !time.Now().Before(deadline) {
					return c.abandon(cl, Timeout, ErrTimeout)
				}
				// An earlier deadline, or the hook of a context no longer
				// watched, fired: re-arm ours, then look again, since the
				// hook may have fired meanwhile.
				_ = c.rw.SetReadDeadline(deadline)
				c.rdl = deadline
				if err := ctx.Err(); err != nil {
					return c.abandon(cl, Cancelled, err)
				}
			case errors.Is(err, wire.ErrFrameTooLarge):
				c.stats.invalid.Add(1)
				c.failPending(fmt.Errorf("%w: %v", ErrInvalidResponse, err))
			default:
				if errors.Is(err, io.ErrUnexpectedEOF) {
					err = fmt.Errorf("closed mid-frame: %w", err)
				}
				c.fail(fmt.Errorf("%w: %v", ErrConnectionLost, err))
			}
			continue
		}
		c.dispatch(frame)
	}
}

// abandon ends cl with the given outcome unless its answer already arrived,
// in which case the answer wins (each request ends in exactly one outcome).
func (c *streamConn) abandon(cl *call, o Outcome, err error) Response {
	c.mu.Lock()
	for i, p := range c.pending {
		if p == cl {
			c.removeAt(i)
			c.mu.Unlock()
			return Response{Outcome: o, Err: err}
		}
	}
	c.mu.Unlock()
	return <-cl.ch
}

func (c *streamConn) removeAt(i int) {
	last := len(c.pending) - 1
	c.pending[i] = c.pending[last]
	c.pending[last] = nil
	c.pending = c.pending[:last]
}

// take removes and returns the pending call with id (nil if none).
func (c *streamConn) take(id int64) *call {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, p := range c.pending {
		if p.id == id {
			c.removeAt(i)
			return p
		}
	}
	return nil
}

func (c *streamConn) dispatch(frame []byte) {
	env, err := wire.Scan(frame)
	if err != nil {
		c.stats.invalid.Add(1)
		c.failPending(fmt.Errorf("%w: %v", ErrInvalidResponse, err))
		return
	}
	if len(env.Method) > 0 {
		if env.HasID() {
			c.answerServerRequest(&env)
			return
		}
		c.stats.notifications.Add(1)
		if c.onNotify != nil {
			c.onNotify(env.MethodName(), env.Params)
		}
		return
	}
	var cl *call
	if env.HasID() {
		if id, ok := env.IntID(); ok {
			cl = c.take(id)
		}
	} else if len(env.Error) > 0 {
		// An error without id answers a request the server could not
		// read; it can be attributed only when exactly one is in flight.
		c.mu.Lock()
		if len(c.pending) == 1 {
			cl = c.pending[0]
			c.removeAt(0)
		}
		c.mu.Unlock()
	}
	if cl == nil {
		c.stats.strays.Add(1)
		return
	}
	cl.ch <- classifyAnswer(&env, !cl.discard)
}

// answerServerRequest answers a legacy server→client request: ping gets an
// empty result, anything else "method not found" (the load client declares
// no capabilities).
func (c *streamConn) answerServerRequest(env *wire.Envelope) {
	c.stats.serverRequests.Add(1)
	b := make([]byte, 0, 96)
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	b = append(b, env.ID...)
	if string(env.Method) == `"ping"` {
		b = append(b, `,"result":{}}`...)
	} else {
		b = append(b, `,"error":{"code":-32601,"message":"method not found"}}`...)
	}
	b = append(b, '\n')
	if err := c.writeRaw(b); err != nil {
		c.fail(fmt.Errorf("%w: write: %v", ErrConnectionLost, err))
	}
}

// failPending ends every pending call with a transport error but keeps the
// connection (the framing is intact).
func (c *streamConn) failPending(err error) {
	c.mu.Lock()
	ps := c.pending
	c.pending = nil
	c.mu.Unlock()
	for _, p := range ps {
		p.ch <- Response{Outcome: TransportError, Err: err}
	}
}

// fail breaks the connection: it is closed, and every pending call ends
// with a transport error.
func (c *streamConn) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
		c.broken.Store(true)
		_ = c.rw.Close()
	}
	c.unwatch()
	err = c.err
	ps := c.pending
	c.pending = nil
	c.mu.Unlock()
	for _, p := range ps {
		p.ch <- Response{Outcome: TransportError, Err: err}
	}
}

// notify sends a notification (no id).
func (c *streamConn) notify(method string, params, meta []byte) error {
	return c.writeRaw(appendRequest(nil, -1, method, params, meta))
}

// cancel tells the server to stop working on id (notifications/cancelled).
func (c *streamConn) cancel(id int64, reason string) {
	p := []byte(`{"requestId":`)
	p = strconv.AppendInt(p, id, 10)
	p = append(p, `,"reason":`...)
	p = appendString(p, reason)
	p = append(p, '}')
	_ = c.notify("notifications/cancelled", p, nil)
}
