package client

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mcpstress/mcpstress/wire"
)

// h1Pool is the lean HTTP/1.1 client of the Streamable HTTP hot path: POSTs
// over persistent plain-TCP connections, each request and its headers in
// one write, the reply parsed in place from the connection's read buffer,
// deadlines armed lazily and one cancel hook per connection and context
// (as on stream connections). net/http costs about as much CPU per request
// as the rest of the generator together (BenchmarkHTTPGeneratorCPU shows
// it); the rare requests (notifications, answers to server requests,
// DELETE) and https:// targets still go through net/http.
//
// Idle connections are kept in a LIFO stack shared by the target's
// sessions, like net/http's per-host pool.
type h1Pool struct {
	addr   string // host:port dialled
	prefix []byte // "POST <path> HTTP/1.1\r\nHost: <host>\r\n"
	dialer net.Dialer

	mu     sync.Mutex
	idle   []*h1Conn
	drains sync.WaitGroup // background drains of SSE bodies
}

// newH1Pool returns a pool for an http:// URL, or nil when the URL needs
// net/http (https, or anything unusual).
func newH1Pool(rawURL string, connectTimeout time.Duration) *h1Pool {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "http" || u.User != nil || u.Host == "" || u.Fragment != "" {
		return nil
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	p := &h1Pool{addr: addr, dialer: net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second}}
	p.prefix = append(p.prefix, "POST "+u.RequestURI()+" HTTP/1.1\r\nHost: "+u.Host+"\r\n"...)
	return p
}

// closeIdle closes the idle connections (sessions keep working and dial
// new ones).
func (p *h1Pool) closeIdle() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, c := range idle {
		c.close()
	}
}

func (p *h1Pool) get() *h1Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		return c
	}
	return nil
}

func (p *h1Pool) put(c *h1Conn) {
	// The connection keeps its cancel hook while idle, so the next request
	// with the same context (the engine has one per run) registers none; a
	// hook that fires meanwhile only moves the idle connection's deadline,
	// which the next request re-arms.
	p.mu.Lock()
	p.idle = append(p.idle, c)
	p.mu.Unlock()
}

func (p *h1Pool) dial(ctx context.Context, deadline time.Time) (*h1Conn, error) {
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	nc, err := p.dialer.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, err
	}
	c := &h1Conn{c: nc, br: bufio.NewReaderSize(nc, 4<<10)}
	if tc, ok := nc.(*net.TCPConn); ok {
		c.raw, _ = tc.SyscallConn()
		c.rawFn = c.rawStep
	}
	return c, nil
}

// h1Conn is one persistent connection; it serves one request at a time.
type h1Conn struct {
	c   net.Conn
	raw syscall.RawConn // the request is written from inside the poller's read (see streamConn.writeThenRead)
	// writeThenWait's callback state (see streamConn.rawFn).
	rawFn       func(fd uintptr) bool
	rawCalled   bool
	rawPeek     bool      // the connection was idle: look for an end of stream (see streamConn.writeThenRead)
	rawLast     time.Time // when the last writeThenWait wrote
	rawBuf      []byte
	rawDeadline time.Time
	rawErr      error
	br          *bufio.Reader
	wbuf        []byte
	rdl         time.Time // read deadline armed now
	wdl         time.Time // write deadline armed now
	hook        atomic.Pointer[ctxHook]
	body        h1Body
	used        bool // served a request before (a failure may be a stale keep-alive)
}

func (c *h1Conn) close() {
	c.unwatch()
	_ = c.c.Close()
}

func (c *h1Conn) watch(ctx context.Context) {
	if ctx.Done() == nil {
		c.unwatch() // a hook of an earlier context must not stop this request
		return
	}
	if h := c.hook.Load(); h != nil && h.ctx == ctx {
		return
	}
	h := &ctxHook{ctx: ctx}
	h.stop = context.AfterFunc(ctx, func() { _ = c.c.SetDeadline(longAgo) })
	if old := c.hook.Swap(h); old != nil {
		old.stop()
	}
}

func (c *h1Conn) unwatch() {
	if h := c.hook.Swap(nil); h != nil {
		h.stop()
	}
}

// arm sets the deadlines lazily: an earlier one still armed (a previous
// request's) stays, and is re-armed to ours when it passes (see retryable
// deadline errors in read and write).
func (c *h1Conn) arm(deadline time.Time) {
	if c.wdl.IsZero() || c.wdl.After(deadline) {
		_ = c.c.SetWriteDeadline(deadline)
		c.wdl = deadline
	}
	if c.rdl.IsZero() || c.rdl.After(deadline) {
		_ = c.c.SetReadDeadline(deadline)
		c.rdl = deadline
	}
}

// h1Reply is the part of an HTTP reply the session reads.
type h1Reply struct {
	status    int
	ctype     contentKind
	ctypeRaw  string // only for other content types
	sessionID string
	close     bool // the server will close the connection after the body
	body      io.Reader
	discard   bool // leave Response.Result nil (Request.Discard)
}

type contentKind uint8

const (
	contentOther contentKind = iota
	contentJSON
	contentSSE
)

var errStaleConn = errors.New("keep-alive connection closed by the server")

// h1Request is one POST: the header lines after the fixed prefix, and the
// body.
type h1Request struct {
	headers []byte // "Name: value\r\n"…, without Content-Length
	body    []byte
}

// roundTrip sends req on a pooled or new connection and reads the reply's
// head. On success the caller reads rep.body and then calls finish with the
// connection. A stale keep-alive connection (closed by the server while
// idle, nothing read back) is retried once on a fresh one.
func (p *h1Pool) roundTrip(ctx context.Context, deadline time.Time, req *h1Request, sent *time.Time) (*h1Conn, h1Reply, error) {
	for attempt := 0; ; attempt++ {
		c := p.get()
		if c == nil {
			var err error
			if c, err = p.dial(ctx, deadline); err != nil {
				return nil, h1Reply{}, err
			}
		}
		rep, err := c.exchange(ctx, deadline, p.prefix, req, sent)
		if err == nil {
			c.used = true
			return c, rep, nil
		}
		stale := c.used && errors.Is(err, errStaleConn)
		c.close()
		if !stale || attempt > 0 || ctx.Err() != nil || !time.Now().Before(deadline) {
			return nil, h1Reply{}, err
		}
	}
}

// finish returns c to the pool when its body was read to the end and the
// server keeps it open; otherwise it is closed. An SSE body still open
// after the answer is drained in the background (bounded), so that streams
// ending a moment after their answer keep their connection.
func (p *h1Pool) finish(c *h1Conn, rep *h1Reply, ok bool) {
	switch {
	case !ok || rep.close:
		c.close()
	case c.body.done:
		p.put(c)
	case rep.ctype == contentSSE:
		c.unwatch()
		p.drains.Add(1)
		go func() {
			defer p.drains.Done()
			dl := time.Now().Add(time.Second)
			_ = c.c.SetReadDeadline(dl)
			c.rdl, c.body.deadline = dl, dl
			if _, err := io.Copy(io.Discard, io.LimitReader(&c.body, 1<<20)); err == nil && c.body.done {
				p.put(c)
				return
			}
			c.close()
		}()
	default:
		// A JSON body the caller did not read to its end: drain what is
		// already buffered, else close.
		if n := c.br.Buffered(); n > 0 && !c.body.chunked && c.body.left <= int64(n) {
			_, _ = io.Copy(io.Discard, &c.body)
		}
		if c.body.done {
			p.put(c)
		} else {
			c.close()
		}
	}
}

// exchange writes the request and reads the status line and headers.
func (c *h1Conn) exchange(ctx context.Context, deadline time.Time, prefix []byte, req *h1Request, sent *time.Time) (h1Reply, error) {
	c.arm(deadline)
	c.watch(ctx)
	b := append(c.wbuf[:0], prefix...)
	b = append(b, req.headers...)
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(len(req.body)), 10)
	b = append(b, "\r\n\r\n"...)
	b = append(b, req.body...)
	c.wbuf = b
	if cap(c.wbuf) > 64<<10 {
		c.wbuf = nil
	}
	*sent = time.Now()
	if err := c.writeThenWait(b, deadline); err != nil {
		if isStale(err) {
			return h1Reply{}, fmt.Errorf("%w: %v", errStaleConn, err)
		}
		return h1Reply{}, err
	}
	for {
		rep, err := c.readHead(deadline)
		if err != nil {
			return rep, err
		}
		if rep.status >= 100 && rep.status < 200 && rep.status != 101 {
			continue // an interim reply (100 Continue): the real one follows
		}
		return rep, nil
	}
}

func isStale(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// writeThenWait writes the request from inside the poller's read call and
// returns when the reply can be read (or a deadline passed: the reads that
// follow tell), saving the read that could only say EAGAIN.
func (c *h1Conn) writeThenWait(b []byte, deadline time.Time) error {
	if c.raw == nil || c.br.Buffered() > 0 {
		return c.writeAll(b, deadline)
	}
	now := time.Now()
	if c.rdl.Before(now) {
		_ = c.c.SetReadDeadline(deadline)
		c.rdl = deadline
	}
	// A server that closed this keep-alive connection while it sat idle
	// sent its FIN before the poller's readiness was cleared: look for it.
	c.rawPeek, c.rawLast = now.Sub(c.rawLast) > rawIdle, now
	c.rawCalled, c.rawBuf, c.rawDeadline, c.rawErr = false, b, deadline, nil
	_ = c.raw.Read(c.rawFn)
	werr := c.rawErr
	c.rawBuf, c.rawErr = nil, nil
	if !c.rawCalled {
		return c.writeAll(b, deadline)
	}
	return werr
}

// rawStep is writeThenWait's poller callback: write, then wait.
func (c *h1Conn) rawStep(fd uintptr) bool {
	if c.rawCalled {
		return true
	}
	c.rawCalled = true
	b := c.rawBuf
	for len(b) > 0 {
		n, err := syscall.Write(int(fd), b)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			c.rawErr = c.writeAll(b, c.rawDeadline)
			return true
		case err != nil:
			c.rawErr = err
			return true
		}
		b = b[n:]
	}
	return c.rawPeek && readable(int(fd))
}

// writeAll writes b, re-arming the write deadline when an earlier one
// passes before ours: a previous request's deadline still armed, or the
// cancel hook of a previous context that fired late, after this request
// armed its own (each can happen once per request, so twice is the bound).
func (c *h1Conn) writeAll(b []byte, deadline time.Time) error {
	for rearmed := 0; ; rearmed++ {
		n, err := c.c.Write(b)
		if err == nil {
			return nil
		}
		b = b[n:]
		if len(b) == 0 || !errors.Is(err, os.ErrDeadlineExceeded) || !time.Now().Before(deadline) || rearmed == 2 {
			return err
		}
		if h := c.hook.Load(); h != nil && h.ctx.Err() != nil {
			return err // this request's context ended
		}
		_ = c.c.SetWriteDeadline(deadline)
		c.wdl = deadline
	}
}

// line reads one header line (without CRLF), re-arming the read deadline
// when an earlier one passes before ours.
func (c *h1Conn) line(deadline time.Time) ([]byte, error) {
	for {
		l, err := c.br.ReadSlice('\n')
		if err == nil {
			l = l[:len(l)-1]
			if n := len(l); n > 0 && l[n-1] == '\r' {
				l = l[:n-1]
			}
			return l, nil
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, errors.New("HTTP header line longer than 4 KiB")
		}
		if !c.rearm(err, deadline) {
			return nil, err
		}
		// ReadSlice keeps what it had buffered; reading again goes on.
	}
}

// rearm handles a read deadline error: true (re-armed, read again) when it
// was an earlier deadline than ours that passed.
func (c *h1Conn) rearm(err error, deadline time.Time) bool {
	if !errors.Is(err, os.ErrDeadlineExceeded) || !time.Now().Before(deadline) {
		return false
	}
	if h := c.hook.Load(); h != nil && h.ctx.Err() != nil {
		return false // the hook fired: the caller's context ended
	}
	_ = c.c.SetReadDeadline(deadline)
	c.rdl = deadline
	return true
}

func (c *h1Conn) readHead(deadline time.Time) (h1Reply, error) {
	var rep h1Reply
	l, err := c.line(deadline)
	if err != nil {
		if c.br.Buffered() == 0 && isStale(err) {
			return rep, fmt.Errorf("%w: %v", errStaleConn, err)
		}
		return rep, err
	}
	// HTTP/1.x SP 3DIGIT SP reason
	if len(l) < 12 || !bytes.HasPrefix(l, []byte("HTTP/1.")) || l[8] != ' ' {
		return rep, fmt.Errorf("malformed HTTP status line %.60q", l)
	}
	code, err := strconv.Atoi(string(l[9:12]))
	if err != nil || code < 100 {
		return rep, fmt.Errorf("malformed HTTP status line %.60q", l)
	}
	rep.status = code
	rep.close = l[7] == '0' // HTTP/1.0: closes unless told otherwise (we do not ask)
	length, chunked := int64(-1), false
	for {
		l, err := c.line(deadline)
		if err != nil {
			return rep, err
		}
		if len(l) == 0 {
			break
		}
		colon := bytes.IndexByte(l, ':')
		if colon <= 0 {
			return rep, fmt.Errorf("malformed HTTP header line %.60q", l)
		}
		name, val := l[:colon], bytes.TrimSpace(l[colon+1:])
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, err := strconv.ParseInt(string(val), 10, 64)
			if err != nil || n < 0 {
				return rep, fmt.Errorf("bad Content-Length %.40q", val)
			}
			length = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			if !bytes.EqualFold(val, []byte("chunked")) {
				return rep, fmt.Errorf("unsupported Transfer-Encoding %.40q", val)
			}
			chunked = true
		case bytes.EqualFold(name, []byte("Content-Type")):
			mt := val
			if i := bytes.IndexByte(mt, ';'); i >= 0 {
				mt = bytes.TrimSpace(mt[:i])
			}
			switch {
			case bytes.EqualFold(mt, []byte("application/json")):
				rep.ctype = contentJSON
			case bytes.EqualFold(mt, []byte("text/event-stream")):
				rep.ctype = contentSSE
			default:
				rep.ctype, rep.ctypeRaw = contentOther, string(val)
			}
		case bytes.EqualFold(name, []byte("Connection")):
			if bytes.EqualFold(val, []byte("close")) {
				rep.close = true
			} else if bytes.EqualFold(val, []byte("keep-alive")) {
				rep.close = false
			}
		case bytes.EqualFold(name, []byte("Mcp-Session-Id")):
			rep.sessionID = string(val)
		}
	}
	b := &c.body
	*b = h1Body{c: c, deadline: deadline}
	switch {
	case rep.status == 204 || rep.status == 304:
		b.done = true
	case chunked:
		b.chunked = true
	case length >= 0:
		b.left = length
		b.done = length == 0
	default:
		b.left = -1 // until the server closes
		rep.close = true
	}
	rep.body = b
	return rep, nil
}

// h1Body reads one reply body: Content-Length, chunked, or until EOF.
type h1Body struct {
	c        *h1Conn
	deadline time.Time
	chunked  bool
	left     int64 // bytes left (length or current chunk); -1: until EOF
	done     bool
	err      error
}

func (b *h1Body) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	if b.err != nil {
		return 0, b.err
	}
	if b.chunked && b.left == 0 {
		if err := b.nextChunk(); err != nil {
			b.err = err
			return 0, err
		}
		if b.done {
			return 0, io.EOF
		}
	}
	if b.left >= 0 && int64(len(p)) > b.left {
		p = p[:b.left]
	}
	for {
		n, err := b.c.br.Read(p)
		if n > 0 {
			if b.left >= 0 {
				b.left -= int64(n)
				if b.left == 0 && !b.chunked {
					b.done = true
				}
				if b.left == 0 && b.chunked {
					if err := b.chunkEnd(); err != nil {
						b.err = err
						return n, nil
					}
				}
			}
			return n, nil
		}
		if err == nil {
			continue
		}
		if b.left < 0 && err == io.EOF {
			b.done = true
			return 0, io.EOF
		}
		if b.c.rearm(err, b.deadline) {
			continue
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		b.err = err
		return 0, err
	}
}

// nextChunk reads a chunk-size line; a zero size ends the body (after the
// trailer lines).
func (b *h1Body) nextChunk() error {
	l, err := b.c.line(b.deadline)
	if err != nil {
		return eofUnexpected(err)
	}
	if i := bytes.IndexByte(l, ';'); i >= 0 {
		l = l[:i]
	}
	n, err := strconv.ParseUint(string(bytes.TrimSpace(l)), 16, 62)
	if err != nil {
		return fmt.Errorf("bad chunk size %.40q", l)
	}
	if n == 0 {
		for {
			l, err := b.c.line(b.deadline)
			if err != nil {
				return eofUnexpected(err)
			}
			if len(l) == 0 {
				b.done = true
				return nil
			}
		}
	}
	b.left = int64(n)
	return nil
}

// chunkEnd reads the CRLF after a chunk's data.
func (b *h1Body) chunkEnd() error {
	l, err := b.c.line(b.deadline)
	if err != nil {
		return eofUnexpected(err)
	}
	if len(l) != 0 {
		return errors.New("chunk data not followed by CRLF")
	}
	return nil
}

func eofUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// h1Buf holds one POST's header lines and body while it is written.
type h1Buf struct{ hdr, body []byte }

var h1BufPool = sync.Pool{New: func() any { return &h1Buf{hdr: make([]byte, 0, 512), body: make([]byte, 0, 512)} }}

// mcpHeaderKeys are the headers the session sets itself; an Options.Headers
// value for one of them is sent only when the session sets none.
var mcpHeaderKeys = []string{"Mcp-Protocol-Version", "Mcp-Session-Id", "Mcp-Method", "Mcp-Name"}

// h1StaticHeaders are the header lines of every POST of a session:
// Options.Headers (but those the session sets itself), the content
// negotiation and the token.
func h1StaticHeaders(opts Options) []byte {
	var b []byte
	for k, vs := range opts.Headers {
		ck := http.CanonicalHeaderKey(k)
		switch ck {
		case "Content-Type", "Accept", "Content-Length", "Host", "Transfer-Encoding", "Connection":
			continue
		case "Authorization":
			if opts.Token != "" {
				continue
			}
		}
		if slices.Contains(mcpHeaderKeys, ck) {
			continue
		}
		for _, v := range vs {
			b = append(b, ck+": "+v+"\r\n"...)
		}
	}
	b = append(b, "User-Agent: mcpstress\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"...)
	if opts.Token != "" {
		b = append(b, "Authorization: Bearer "+opts.Token+"\r\n"...)
	}
	return b
}

func appendHeader(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, ": "...)
	b = append(b, value...)
	return append(b, "\r\n"...)
}

// userHeader is Options.Headers' value for one of mcpHeaderKeys ("" if none).
func (s *HTTPSession) userHeader(key string) string {
	if len(s.opts.Headers) == 0 {
		return ""
	}
	return http.Header(s.opts.Headers).Get(key)
}

// postH1 is post over the lean HTTP/1.1 client.
func (s *HTTPSession) postH1(ctx context.Context, deadline time.Time, st httpState, id int64, method, name string, params []byte, discard bool) (Response, string) {
	buf := h1BufPool.Get().(*h1Buf)
	defer func() {
		if cap(buf.body) > 64<<10 || cap(buf.hdr) > 64<<10 {
			return // do not keep a large request's buffers
		}
		h1BufPool.Put(buf)
	}()
	buf.body = appendRequest(buf.body[:0], id, method, params, st.meta)
	buf.body = buf.body[:len(buf.body)-1] // no newline in an HTTP body
	h := append(buf.hdr[:0], s.static...)
	set := func(key, ours string) {
		if ours == "" {
			ours = s.userHeader(key)
		}
		if ours != "" {
			h = appendHeader(h, key, ours)
		}
	}
	set(wire.HeaderProtocolVersion, st.protocol)
	set(wire.HeaderSessionID, st.sessionID)
	if st.meta != nil {
		set(wire.HeaderMethod, method)
		n := mcpName(method, name, params)
		if n != "" {
			n = encodeHeaderValue(n)
		}
		set(wire.HeaderName, n)
	} else {
		set(wire.HeaderMethod, "")
		set(wire.HeaderName, "")
	}
	buf.hdr = h
	var sent time.Time
	c, rep, err := s.h1.roundTrip(ctx, deadline, &h1Request{headers: h, body: buf.body}, &sent)
	if err != nil {
		r := s.ctxOutcome(ctx, deadline, fmt.Errorf("%w: %v", ErrConnectionLost, err))
		if !sent.IsZero() {
			r.Sent = sent
		}
		return r, ""
	}
	rep.discard = discard
	r := s.readReply(ctx, deadline, &rep, id)
	r.Sent = sent
	// A call that did not end in an answer (timeout, cancellation, broken
	// stream) closes the connection: in 2026-07-28 that is how a request is
	// cancelled.
	s.h1.finish(c, &rep, r.Outcome != Timeout && r.Outcome != Cancelled && !errors.Is(r.Err, ErrConnectionLost))
	return r, rep.sessionID
}
