package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpstress/mcpstress/wire"
)

// HTTPSession is a session over Streamable HTTP: one POST per message, JSON
// or SSE replies. In the legacy generations it carries Mcp-Session-Id and
// MCP-Protocol-Version, re-initializes when the server forgets the session
// (404, or 400 "No valid session ID"), and DELETEs the session on Close. In
// 2026-07-28 it sends the _meta triple and the MCP-Protocol-Version, Mcp-Method
// and Mcp-Name headers, and cancels by closing the response stream.
type HTTPSession struct {
	url    string
	client *http.Client
	h1     *h1Pool // the lean path for http:// targets; nil: net/http
	static []byte  // h1: the header lines every POST carries
	opts   Options
	sem    chan struct{}
	// onClose, when set, runs once at the end of Close (the target's
	// live-session count).
	onClose func()

	mu         sync.Mutex // guards the fields below
	sessionID  string
	protocol   string
	meta       []byte
	serverInfo json.RawMessage
	closed     bool

	reinitMu   sync.Mutex     // one re-initialization at a time
	wg         sync.WaitGroup // background notifications/cancelled posts
	nextID     atomic.Int64
	reconnects atomic.Int64
	// reconnectTries counts every re-initialisation attempt, failed ones too.
	reconnectTries atomic.Int64
	stats          connStats
}

var (
	_ ClientSession = (*HTTPSession)(nil)
	_ TimeoutCaller = (*HTTPSession)(nil)
)

type httpState struct {
	sessionID, protocol string
	meta                []byte
}

func (s *HTTPSession) state() httpState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return httpState{s.sessionID, s.protocol, s.meta}
}

// establish runs the handshake and, for legacy, notifications/initialized.
func (s *HTTPSession) establish(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.ConnectTimeout)
	defer cancel()
	var sid string
	st, err := handshake(ctx, s.opts, func(ctx context.Context, method string, params, meta []byte) Response {
		h := httpState{meta: meta}
		if meta != nil {
			h.protocol = metaVersion(meta)
		}
		dl, _ := ctx.Deadline()
		r, hdrSID := s.post(ctx, dl, h, s.nextID.Add(1), method, "", params, false)
		if id := hdrSID; id != "" && method == "initialize" {
			sid = id
		}
		return r
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.sessionID, s.protocol, s.meta, s.serverInfo = sid, st.protocol, st.meta, st.serverInfo
	s.mu.Unlock()
	if !wire.IsModern(st.protocol) {
		return s.notify(ctx, httpState{sid, st.protocol, nil}, "notifications/initialized", nil)
	}
	return nil
}

func metaVersion(meta []byte) string {
	m := wire.Member(append(append([]byte(nil), meta...), '}'), "_meta")
	var v string
	_ = json.Unmarshal(wire.Member(m, wire.MetaProtocolVersion), &v)
	return v
}

// Call implements Session.
func (s *HTTPSession) Call(ctx context.Context, req Request) Response {
	return s.CallTimeout(ctx, req, 0)
}

// CallTimeout implements TimeoutCaller.
func (s *HTTPSession) CallTimeout(ctx context.Context, req Request, timeout time.Duration) Response {
	if timeout <= 0 || timeout > s.opts.Timeout {
		timeout = s.opts.Timeout
	}
	var start time.Time // zero: the timeout counts from now
	if !trySlot(ctx, s.sem) {
		start = time.Now()
		if r, ok := waitSlot(ctx, s.sem, start.Add(timeout)); !ok {
			return r
		}
	}
	defer func() { <-s.sem }()
	for retried := false; ; retried = true {
		st := s.state()
		if s.isClosed() {
			return Response{Outcome: TransportError, Err: ErrClosed}
		}
		id := s.nextID.Add(1)
		base := start
		if base.IsZero() {
			base = time.Now()
		}
		dl := base.Add(timeout)
		r, _ := s.post(ctx, dl, st, id, req.Method, req.Name, req.Params, req.Discard)
		switch {
		case (r.Outcome == Timeout || r.Outcome == Cancelled) && !r.Sent.IsZero() && !wire.IsModern(st.protocol):
			// Legacy HTTP: a dropped stream is not a cancellation; say so.
			s.postCancel(st, id, r.Outcome.String())
		case retried:
		case st.meta == nil && st.sessionID != "" && sessionGone(r):
			if err := s.reinitialize(ctx, st); err != nil {
				return Response{Outcome: TransportError, Err: fmt.Errorf("%w: re-initialize: %v", ErrConnectionLost, err), Sent: r.Sent}
			}
			continue
		case st.meta != nil && r.Outcome == RPCError && r.Code == wire.CodeUnsupportedProtocolVersion:
			if v := supportedFrom(r.Err); v != "" && v != st.protocol && wire.IsModern(v) {
				s.mu.Lock()
				s.protocol, s.meta = v, modernMeta(v, s.opts.ClientName, s.opts.ClientVersion)
				s.mu.Unlock()
				continue
			}
		}
		return r
	}
}

// sessionGone reports a legacy server that no longer knows the session: 404
// (spec), or 400 "No valid session ID" (TypeScript SDK).
func sessionGone(r Response) bool {
	if r.Code == http.StatusNotFound && r.Outcome == TransportError {
		return true
	}
	return r.Err != nil && (r.Code == http.StatusBadRequest || r.Code == -32000) && strings.Contains(r.Err.Error(), "No valid session ID")
}

func (s *HTTPSession) reinitialize(ctx context.Context, old httpState) error {
	s.reinitMu.Lock()
	defer s.reinitMu.Unlock()
	s.mu.Lock()
	if s.sessionID != old.sessionID { // another caller did it already
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	s.reconnectTries.Add(1)
	if err := s.establish(ctx); err != nil {
		return err
	}
	s.reconnects.Add(1)
	return nil
}

func (s *HTTPSession) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

var ssePool = sync.Pool{New: func() any { return wire.NewSSEReader(nil, 0) }}

// post sends one request and reads its reply. It returns exactly one
// classified Response, and the reply's Mcp-Session-Id ("" if none).
func (s *HTTPSession) post(ctx context.Context, deadline time.Time, st httpState, id int64, method, name string, params []byte, discard bool) (Response, string) {
	if s.h1 != nil {
		return s.postH1(ctx, deadline, st, id, method, name, params, discard)
	}
	// Not pooled: the transport may still read the body after Do returns.
	body := appendRequest(make([]byte, 0, 128+len(params)+len(st.meta)), id, method, params, st.meta)

	rctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	hreq, err := http.NewRequestWithContext(rctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return Response{Outcome: TransportError, Err: err}, ""
	}
	s.setHeaders(hreq.Header, st)
	if st.meta != nil {
		hreq.Header[wire.HeaderMethod] = []string{method}
		if n := mcpName(method, name, params); n != "" {
			hreq.Header[wire.HeaderName] = []string{encodeHeaderValue(n)}
		}
	}
	sent := time.Now()
	resp, err := s.client.Do(hreq)
	if err != nil {
		r := s.ctxOutcome(ctx, deadline, fmt.Errorf("%w: %v", ErrConnectionLost, err))
		r.Sent = sent
		return r, ""
	}
	defer resp.Body.Close()
	rep := h1Reply{status: resp.StatusCode, body: resp.Body, discard: discard}
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct == "application/json" {
		rep.ctype = contentJSON
	} else if ct == "text/event-stream" {
		rep.ctype = contentSSE
	} else {
		rep.ctypeRaw = ct
	}
	r := s.readReply(ctx, deadline, &rep, id)
	r.Sent = sent
	return r, resp.Header.Get(wire.HeaderSessionID)
}

func (s *HTTPSession) setHeaders(h http.Header, st httpState) {
	for k, vs := range s.opts.Headers {
		h[http.CanonicalHeaderKey(k)] = vs
	}
	h["Content-Type"] = []string{"application/json"}
	h["Accept"] = []string{"application/json, text/event-stream"}
	if s.opts.Token != "" {
		h["Authorization"] = []string{"Bearer " + s.opts.Token}
	}
	if st.protocol != "" {
		h[wire.HeaderProtocolVersion] = []string{st.protocol}
	}
	if st.sessionID != "" {
		h[wire.HeaderSessionID] = []string{st.sessionID}
	}
}

// ctxOutcome classifies a failure: the run's context ended → Cancelled; the
// per-request deadline passed → Timeout; otherwise the given error.
func (s *HTTPSession) ctxOutcome(ctx context.Context, deadline time.Time, err error) Response {
	switch {
	case ctx.Err() != nil:
		return Response{Outcome: Cancelled, Err: ctx.Err()}
	case !time.Now().Before(deadline), errors.Is(err, os.ErrDeadlineExceeded):
		// A deadline of ours passed (the poller's clock may run a hair
		// ahead of time.Now): no answer in time, not a lost connection.
		return Response{Outcome: Timeout, Err: ErrTimeout}
	}
	return Response{Outcome: TransportError, Err: err}
}

func (s *HTTPSession) readReply(ctx context.Context, deadline time.Time, resp *h1Reply, id int64) Response {
	switch {
	case resp.ctype == contentSSE && resp.status/100 == 2:
		return s.readSSE(ctx, deadline, resp.body, id, resp.discard)
	case resp.ctype == contentJSON:
		bp := bufPool.Get().(*[]byte)
		defer bufPool.Put(bp)
		b, err := readLimited((*bp)[:0], resp.body, s.opts.MaxFrame)
		*bp = b[:0]
		if err != nil {
			if errors.Is(err, wire.ErrFrameTooLarge) {
				s.stats.invalid.Add(1)
				return Response{Outcome: TransportError, Code: resp.status, Err: fmt.Errorf("%w: %v", ErrInvalidResponse, err)}
			}
			return s.ctxOutcome(ctx, deadline, fmt.Errorf("%w: reading body: %v", ErrConnectionLost, err))
		}
		if r, ok := s.answer(b, id, resp.discard); ok {
			return r
		}
		if resp.status/100 != 2 {
			return statusError(resp, b)
		}
		return Response{Outcome: TransportError, Err: fmt.Errorf("%w: JSON body is not the answer to request %d: %.120s", ErrInvalidResponse, id, b)}
	}
	b, _ := readLimited(nil, resp.body, 512)
	if resp.status/100 != 2 {
		return statusError(resp, b)
	}
	ct := resp.ctypeRaw
	if resp.ctype == contentSSE {
		ct = "text/event-stream"
	}
	return Response{Outcome: TransportError, Code: resp.status, Err: fmt.Errorf("%w: %d with Content-Type %q to a request", ErrHTTPStatus, resp.status, ct)}
}

func statusError(resp *h1Reply, body []byte) Response {
	return Response{Outcome: TransportError, Code: resp.status,
		Err: fmt.Errorf("%w: %d %s: %.200s", ErrHTTPStatus, resp.status, http.StatusText(resp.status), bytes.TrimSpace(body))}
}

// answer classifies one JSON message if it is the answer to id (or an
// id-less error). Notifications and strays are counted; ok=false otherwise.
func (s *HTTPSession) answer(msg []byte, id int64, discard bool) (Response, bool) {
	env, err := wire.Scan(msg)
	if err != nil {
		s.stats.invalid.Add(1)
		return Response{Outcome: TransportError, Err: fmt.Errorf("%w: %v", ErrInvalidResponse, err)}, true
	}
	if len(env.Method) > 0 {
		if env.HasID() {
			s.answerServerRequest(&env)
		} else {
			s.stats.notifications.Add(1)
			if s.opts.OnNotification != nil {
				s.opts.OnNotification(env.MethodName(), env.Params)
			}
		}
		return Response{}, false
	}
	if !env.HasID() {
		if len(env.Error) > 0 {
			// An id-less error answers the request the server could not
			// take (for example the TypeScript SDK's -32000 "No valid
			// session ID"): on HTTP it can only be about this POST.
			return classify(&env), true
		}
		s.stats.strays.Add(1)
		return Response{}, false
	}
	if got, ok := env.IntID(); !ok || got != id {
		s.stats.strays.Add(1)
		return Response{}, false
	}
	return classifyAnswer(&env, !discard), true
}

func (s *HTTPSession) readSSE(ctx context.Context, deadline time.Time, body io.Reader, id int64, discard bool) Response {
	sr := ssePool.Get().(*wire.SSEReader)
	sr.Reset(body)
	sr.SetLimit(s.opts.MaxFrame)
	defer func() { sr.Reset(nil); ssePool.Put(sr) }()
	for {
		ev, err := sr.Next()
		if err != nil {
			if errors.Is(err, wire.ErrEventTooLarge) {
				s.stats.invalid.Add(1)
				return Response{Outcome: TransportError, Err: fmt.Errorf("%w: %v", ErrInvalidResponse, err)}
			}
			if err == io.EOF {
				err = errors.New("event stream ended without the response")
			}
			return s.ctxOutcome(ctx, deadline, fmt.Errorf("%w: %v", ErrConnectionLost, err))
		}
		if len(bytes.TrimSpace(ev.Data)) == 0 {
			continue // priming event, or an event with no data
		}
		if r, ok := s.answer(ev.Data, id, discard); ok {
			return r
		}
	}
}

// readLimited appends r to dst up to max bytes; more is ErrFrameTooLarge.
func readLimited(dst []byte, r io.Reader, max int) ([]byte, error) {
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		n, err := r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if len(dst) > max {
			return dst[:0], fmt.Errorf("%w (limit %d bytes)", wire.ErrFrameTooLarge, max)
		}
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
}

// notify POSTs a notification and expects 202 Accepted.
func (s *HTTPSession) notify(ctx context.Context, st httpState, method string, params []byte) error {
	body := appendRequest(nil, -1, method, params, nil)
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	s.setHeaders(hreq.Header, st)
	if st.protocol != "" && wire.IsModern(st.protocol) {
		hreq.Header[wire.HeaderMethod] = []string{method}
	}
	resp, err := s.client.Do(hreq)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%w: %s to %s", ErrHTTPStatus, resp.Status, method)
	}
	return nil
}

// answerServerRequest POSTs the answer to a legacy server→client request
// that arrived on a response stream: ping gets an empty result, anything else
// "method not found" (the load client declares no capabilities). It runs in
// the background because the server may hold the stream until answered.
func (s *HTTPSession) answerServerRequest(env *wire.Envelope) {
	s.stats.serverRequests.Add(1)
	b := append([]byte(`{"jsonrpc":"2.0","id":`), env.ID...)
	if string(env.Method) == `"ping"` {
		b = append(b, `,"result":{}}`...)
	} else {
		b = append(b, `,"error":{"code":-32601,"message":"method not found"}}`...)
	}
	st := s.state()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), s.opts.Timeout)
		defer cancel()
		_ = s.postRaw(ctx, st, b)
	}()
}

// postRaw POSTs a message that expects no answer but 202 (a notification or
// a response).
func (s *HTTPSession) postRaw(ctx context.Context, st httpState, body []byte) error {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	s.setHeaders(hreq.Header, st)
	resp, err := s.client.Do(hreq)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%w: %s", ErrHTTPStatus, resp.Status)
	}
	return nil
}

func (s *HTTPSession) postCancel(st httpState, id int64, reason string) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		p, _ := json.Marshal(map[string]any{"requestId": id, "reason": reason})
		_ = s.notify(ctx, st, "notifications/cancelled", p)
	}()
}

// Notify implements ClientSession.
func (s *HTTPSession) Notify(ctx context.Context, method string, params json.RawMessage) error {
	return s.notify(ctx, s.state(), method, params)
}

// Protocol implements ClientSession.
func (s *HTTPSession) Protocol() string { return s.state().protocol }

// SessionID is the legacy Mcp-Session-Id ("" when the server minted none).
func (s *HTTPSession) SessionID() string { return s.state().sessionID }

// ServerInfo implements ClientSession.
func (s *HTTPSession) ServerInfo() json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.serverInfo
}

// Reconnects implements ClientSession: re-initializations after the server
// forgot the session.
func (s *HTTPSession) Reconnects() int64 { return s.reconnects.Load() }

// ReconnectAttempts counts every attempt to re-establish the session,
// failed ones included (ReconnectCounter).
func (s *HTTPSession) ReconnectAttempts() int64 { return s.reconnectTries.Load() }

// Stats implements ClientSession.
func (s *HTTPSession) Stats() SessionStats {
	return SessionStats{
		Notifications:  s.stats.notifications.Load(),
		ServerRequests: s.stats.serverRequests.Load(),
		Strays:         s.stats.strays.Load(),
		InvalidFrames:  s.stats.invalid.Load(),
	}
}

// Close implements Session: legacy sessions are DELETEd (any status is
// accepted). Safe to call more than once.
func (s *HTTPSession) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	st := httpState{s.sessionID, s.protocol, s.meta}
	s.mu.Unlock()
	if s.onClose != nil {
		defer s.onClose() // after the DELETE, so its connection is idle too
	}
	s.wg.Wait()
	if st.sessionID == "" || wire.IsModern(st.protocol) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodDelete, s.url, nil)
	if err != nil {
		return err
	}
	s.setHeaders(hreq.Header, st)
	resp, err := s.client.Do(hreq)
	if err != nil {
		return nil // the server may already be gone; nothing to release
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	return resp.Body.Close()
}

// mcpName is the 2026 Mcp-Name header value: params.name for tools/call and
// prompts/get, params.uri for resources/read ("" for other methods).
func mcpName(method, name string, params []byte) string {
	var key string
	switch method {
	case "tools/call", "prompts/get":
		key = "name"
	case "resources/read":
		key = "uri"
	default:
		return ""
	}
	if name != "" {
		return name
	}
	var v string
	_ = json.Unmarshal(wire.Member(params, key), &v)
	return v
}

// encodeHeaderValue applies the 2026 header encoding: values that are not
// plain visible ASCII without surrounding space become =?base64?…?=.
func encodeHeaderValue(v string) string {
	safe := v != "" && v[0] != ' ' && v[len(v)-1] != ' ' && !strings.HasPrefix(v, "=?base64?")
	for i := 0; safe && i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			safe = false
		}
	}
	if safe {
		return v
	}
	return "=?base64?" + base64.StdEncoding.EncodeToString([]byte(v)) + "?="
}
