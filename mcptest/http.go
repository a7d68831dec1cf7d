package mcptest

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpstress/mcpstress/wire"
)

// codeSessionNotFound is the implementation-defined code (in -32000..-32019)
// sent with a 404 for an unknown or expired legacy session.
const codeSessionNotFound = -32001

// codeTooManySessions is the implementation-defined code sent with a 503
// when initialize would exceed Options.MaxSessions.
const codeTooManySessions = -32003

// httpHandler serves Streamable HTTP on /mcp: every POST carries one
// message; legacy sessions are minted by initialize and named by
// Mcp-Session-Id; 2026-07-28 requests are stateless and their headers are
// checked against the body.
type httpHandler struct {
	h    *handler
	opts Options

	mu        sync.Mutex
	sessions  map[string]*httpSession
	reserved  int // initializes admitted under MaxSessions, not yet in sessions
	lastSweep time.Time
}

type httpSession struct {
	sess     *session
	lastUsed atomic.Int64 // unix nanoseconds
}

// newHTTPHandler serves h over HTTP; opts must have its defaults filled.
func newHTTPHandler(h *handler, opts Options) *httpHandler {
	return &httpHandler{h: h, opts: opts, sessions: make(map[string]*httpSession)}
}

func (s *httpHandler) now() time.Time { return s.opts.clock() }

var _ http.Handler = (*httpHandler)(nil)

// statusRecorder notes the status a handler sends, for Stats.HTTPStatus.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the real writer (Flush).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (s *httpHandler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	s.h.stats.httpReqs.Add(1)
	w := &statusRecorder{ResponseWriter: rw}
	defer func() {
		if w.status != 0 { // 0: the client went away before any answer
			s.h.stats.countStatus(w.status)
		}
	}()
	if r.URL.Path != "/mcp" {
		http.NotFound(w, r)
		return
	}
	if !originAllowed(headerValue(r, "Origin")) {
		http.Error(w, "403 Origin not allowed: this server accepts only loopback origins", http.StatusForbidden)
		return
	}
	if s.opts.Token != "" && !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="mcptest"`)
		http.Error(w, "401 unauthorized: a valid bearer token is required", http.StatusUnauthorized)
		return
	}
	modernHeader := wire.IsModern(headerValue(r, wire.HeaderProtocolVersion))
	switch r.Method {
	case http.MethodPost:
		s.post(w, r)
	case http.MethodDelete:
		if modernHeader {
			methodNotAllowed(w, "POST")
			return
		}
		s.deleteSession(w, r)
	default:
		// No standalone GET stream is offered (the spec allows 405).
		if modernHeader {
			methodNotAllowed(w, "POST")
		} else {
			methodNotAllowed(w, "POST, DELETE")
		}
	}
}

// headerValue returns the named request header's value without the
// optional whitespace (spaces and horizontal tabs) that RFC 9110 §5.5
// allows around a field value and says is not part of it. Every header
// the transport reads or compares goes through here, so " tools/call\t"
// matches a body's "tools/call" and a padded Mcp-Session-Id finds its
// session. net/http's HTTP/1 parser already strips it on the wire, but
// HTTP/2, a handler that wraps this one, or an in-process caller may
// hand over a value that still carries it.
func headerValue(r *http.Request, name string) string {
	return strings.Trim(r.Header.Get(name), " \t")
}

// connIndexKey is the request-context key under which the server's
// ConnContext stores the accept index of the HTTP connection a request
// came on: what Faults.SlowEvery slows a request outside a legacy session
// by.
type connIndexKey struct{}

func withConnIndex(ctx context.Context, index int64) context.Context {
	return context.WithValue(ctx, connIndexKey{}, index)
}

// connIndex returns the accept index of r's connection; 0 for a request
// that did not come through the server's listener (a direct ServeHTTP).
func connIndex(r *http.Request) int64 {
	i, _ := r.Context().Value(connIndexKey{}).(int64)
	return i
}

// originAllowed implements the spec's Origin check against DNS
// rebinding: no Origin (non-browser clients) or a loopback one.
func originAllowed(origin string) bool {
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
}

func (s *httpHandler) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(headerValue(r, "Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(s.opts.Token)) == 1
}

// acceptsBoth reports whether the Accept header lists application/json
// and text/event-stream (or a wildcard covering them).
func acceptsBoth(accept string) bool {
	var js, sse bool
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "*/*":
			js, sse = true, true
		case "application/*", "application/json":
			js = true
		case "text/*", "text/event-stream":
			sse = true
		}
	}
	return js && sse
}

func (s *httpHandler) post(w http.ResponseWriter, r *http.Request) {
	if mt, _, err := mime.ParseMediaType(headerValue(r, "Content-Type")); err != nil || mt != "application/json" {
		http.Error(w, "415 Content-Type must be application/json", http.StatusUnsupportedMediaType)
		return
	}
	if !acceptsBoth(headerValue(r, "Accept")) {
		http.Error(w, "406 Accept must list application/json and text/event-stream", http.StatusNotAcceptable)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(s.opts.MaxFrame)+1))
	if err != nil {
		http.Error(w, "400 reading body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if len(body) > s.opts.MaxFrame {
		s.h.stats.tooLarge.Add(1)
		s.rpcError(w, http.StatusRequestEntityTooLarge, nil, errorf(wire.CodeInvalidRequest,
			"request body exceeds the "+strconv.Itoa(s.opts.MaxFrame)+"-byte frame limit"))
		return
	}
	req, id, perr := parseRequest(body)
	if perr != nil {
		s.rpcError(w, http.StatusBadRequest, id, perr)
		return
	}
	hdrVersion := headerValue(r, wire.HeaderProtocolVersion)
	if req.Modern || wire.IsModern(hdrVersion) {
		s.postModern(w, r, &req, hdrVersion)
		return
	}
	s.postLegacy(w, r, &req, hdrVersion)
}

// rpcError answers with a JSON-RPC error outside the normal handler and
// counts it.
func (s *httpHandler) rpcError(w http.ResponseWriter, status int, id []byte, e *rpcError) {
	s.h.stats.count(methodInvalid, OutcomeRPCError, e.Code)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(appendErrorResponse(nil, id, e))
}

// methodRPCError is rpcError for a request whose method is known.
func (s *httpHandler) methodRPCError(w http.ResponseWriter, status int, req *request, e *rpcError) {
	s.h.stats.count(req.Method, OutcomeRPCError, e.Code)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(appendErrorResponse(nil, req.ID, e))
}

// decodeHeaderValue undoes the =?base64?…?= encoding of Mcp-Name.
func decodeHeaderValue(v string) (string, bool) {
	inner, ok := strings.CutPrefix(v, "=?base64?")
	if !ok {
		return v, true
	}
	inner, ok = strings.CutSuffix(inner, "?=")
	if !ok {
		return "", false
	}
	b, err := base64.StdEncoding.DecodeString(inner)
	if err != nil {
		return "", false
	}
	return string(b), true
}

// checkModernHeaders validates the 2026-07-28 request headers against the
// body (mcp-wire.md §3.3).
func checkModernHeaders(r *http.Request, req *request, hdrVersion string) *rpcError {
	mismatch := func(msg string) *rpcError { return errorf(wire.CodeHeaderMismatch, msg) }
	if hdrVersion == "" {
		return mismatch("missing required " + wire.HeaderProtocolVersion + " header")
	}
	var bodyVersion string
	if req.P.Meta != nil {
		bodyVersion, _ = jsonString(req.P.Meta.ProtocolVersion)
	}
	if bodyVersion == "" {
		return errorf(wire.CodeInvalidParams, `missing or invalid _meta field "`+wire.MetaProtocolVersion+`"`)
	}
	if bodyVersion != hdrVersion {
		return mismatch(wire.HeaderProtocolVersion + " header " + strconv.Quote(hdrVersion) +
			" does not match request " + wire.MetaProtocolVersion + " " + strconv.Quote(bodyVersion))
	}
	if req.IsNotification() {
		return nil
	}
	hm := headerValue(r, wire.HeaderMethod)
	if hm == "" {
		return mismatch("missing required " + wire.HeaderMethod + " header")
	}
	if hm != req.Method {
		return mismatch(wire.HeaderMethod + " header value " + strconv.Quote(hm) + " does not match body value " + strconv.Quote(req.Method))
	}
	var want string
	switch req.Method {
	case "tools/call", "prompts/get":
		want = req.P.Name
	case "resources/read":
		want = req.P.URI
	default:
		return nil
	}
	raw := headerValue(r, wire.HeaderName)
	if raw == "" {
		return mismatch("missing required " + wire.HeaderName + " header")
	}
	got, ok := decodeHeaderValue(raw)
	if !ok {
		return mismatch("malformed " + wire.HeaderName + " header")
	}
	if got != want {
		return mismatch(wire.HeaderName + " header value " + strconv.Quote(got) + " does not match body value " + strconv.Quote(want))
	}
	return nil
}

// modernStatus maps a 2026-07-28 JSON-RPC error code to its HTTP status.
func modernStatus(code int) int {
	switch code {
	case 0:
		return http.StatusOK
	case wire.CodeMethodNotFound:
		return http.StatusNotFound
	case wire.CodeInvalidParams, wire.CodeHeaderMismatch, wire.CodeMissingRequiredClientCapability,
		wire.CodeUnsupportedProtocolVersion, wire.CodeInvalidRequest:
		return http.StatusBadRequest
	}
	return http.StatusOK
}

func (s *httpHandler) postModern(w http.ResponseWriter, r *http.Request, req *request, hdrVersion string) {
	if req.Response {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	if e := checkModernHeaders(r, req, hdrVersion); e != nil {
		if req.IsNotification() {
			s.h.stats.count(req.Method, OutcomeRPCError, e.Code)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		s.methodRPCError(w, http.StatusBadRequest, req, e)
		return
	}
	if req.IsNotification() {
		s.h.notify(&session{}, req)
		w.WriteHeader(http.StatusAccepted)
		return
	}
	st := s.stream(w, req)
	out, code, ok := s.h.answer(r.Context(), &session{index: connIndex(r)}, req, nil)
	if !ok {
		return // the client went away: closing the stream is the 2026 cancel
	}
	s.finish(w, st, modernStatus(code), out)
}

func (s *httpHandler) postLegacy(w http.ResponseWriter, r *http.Request, req *request, hdrVersion string) {
	if hdrVersion != "" && hdrVersion != wire.Version20250618 && hdrVersion != wire.Version20251125 {
		http.Error(w, "400 unsupported "+wire.HeaderProtocolVersion+" "+strconv.Quote(hdrVersion)+
			" (supported: "+wire.Version20260728+", "+wire.Version20251125+", "+wire.Version20250618+")", http.StatusBadRequest)
		return
	}
	sid := headerValue(r, wire.HeaderSessionID)
	if req.Method == "initialize" && sid == "" && !req.IsNotification() {
		s.initialize(w, r, req)
		return
	}
	if sid == "" {
		if req.IsNotification() || req.Response {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		s.methodRPCError(w, http.StatusBadRequest, req, errorf(wire.CodeInvalidRequest,
			"missing "+wire.HeaderSessionID+" header: send initialize first, or use "+wire.Version20260728))
		return
	}
	if err := s.h.faults.waitRegistry(r.Context()); err != nil {
		return
	}
	hs := s.lookup(sid)
	if hs == nil {
		if req.IsNotification() || req.Response {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		s.methodRPCError(w, http.StatusNotFound, req, errorf(codeSessionNotFound,
			"session not found (expired or deleted): initialize again"))
		return
	}
	w.Header().Set(wire.HeaderSessionID, sid)
	if req.Response {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	if req.IsNotification() {
		s.h.notify(hs.sess, req)
		w.WriteHeader(http.StatusAccepted)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	if !hs.sess.begin(req.ID, cancel) {
		s.methodRPCError(w, http.StatusBadRequest, req, errorf(wire.CodeInvalidRequest,
			"duplicate in-flight request id "+string(req.ID)))
		return
	}
	st := s.stream(w, req)
	out, _, ok := s.h.answer(ctx, hs.sess, req, nil)
	hs.sess.end(req.ID)
	if !ok {
		return
	}
	s.finish(w, st, http.StatusOK, out)
}

func (s *httpHandler) initialize(w http.ResponseWriter, r *http.Request, req *request) {
	if !s.admit() {
		s.h.stats.refused.Add(1)
		s.methodRPCError(w, http.StatusServiceUnavailable, req, errorf(codeTooManySessions,
			"too many sessions: "+strconv.Itoa(s.opts.MaxSessions)+" are alive (Options.MaxSessions); "+
				"end one with DELETE, or retry once idle ones expire"))
		return
	}
	// Until it exists, the session's initialize is slowed (SlowEvery) by
	// its connection's index, like any request outside a session.
	sess := &session{index: connIndex(r)}
	out, code, ok := s.h.answer(r.Context(), sess, req, nil)
	s.mu.Lock()
	s.reserved--
	if ok && code == 0 {
		sid := newSessionID()
		// Nothing else sees sess before it is in the map: from now on
		// its requests are slowed by its creation index.
		sess.index = s.h.stats.sessions.Add(1) - 1
		hs := &httpSession{sess: sess}
		hs.lastUsed.Store(s.now().UnixNano())
		s.sessions[sid] = hs
		s.h.stats.live.Add(1)
		s.mu.Unlock()
		w.Header().Set(wire.HeaderSessionID, sid)
	} else {
		s.mu.Unlock()
	}
	if !ok {
		return
	}
	s.reply(w, http.StatusOK, out)
}

// admit reserves room for one more session under MaxSessions, sweeping
// idle sessions first; false means the cap is reached.
func (s *httpHandler) admit() bool {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(now, false)
	if max := s.opts.MaxSessions; max > 0 && len(s.sessions)+s.reserved >= max {
		// Full: expired sessions may still be held between periodic
		// sweeps, so sweep now (at most once a second under a flood).
		s.sweepLocked(now, true)
		if len(s.sessions)+s.reserved >= max {
			return false
		}
	}
	s.reserved++
	return true
}

func newSessionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// lookup returns the live session sid, expiring it if it has been idle
// longer than SessionIdleTimeout.
func (s *httpHandler) lookup(sid string) *httpSession {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	hs := s.sessions[sid]
	if hs == nil {
		return nil
	}
	if s.idle(hs, now) {
		s.removeLocked(sid, hs)
		return nil
	}
	hs.lastUsed.Store(now.UnixNano())
	return hs
}

// idle reports whether hs has been unused longer than SessionIdleTimeout
// (never when it is negative).
func (s *httpHandler) idle(hs *httpSession, now time.Time) bool {
	t := s.opts.SessionIdleTimeout
	return t > 0 && now.Sub(time.Unix(0, hs.lastUsed.Load())) > t
}

// removeLocked ends session sid: its in-flight requests are cancelled.
func (s *httpHandler) removeLocked(sid string, hs *httpSession) {
	delete(s.sessions, sid)
	s.h.stats.live.Add(-1)
	hs.sess.cancelAll()
}

// sweepLocked drops idle sessions at most once per idle timeout (force:
// at most once per second, or per timeout if shorter), so memory stays
// bounded by the sessions active within one timeout.
func (s *httpHandler) sweepLocked(now time.Time, force bool) {
	t := s.opts.SessionIdleTimeout
	if t <= 0 {
		return
	}
	every := t
	if force {
		every = min(t, time.Second)
	}
	if now.Sub(s.lastSweep) < every {
		return
	}
	s.lastSweep = now
	for id, hs := range s.sessions {
		if s.idle(hs, now) {
			s.removeLocked(id, hs)
		}
	}
}

func (s *httpHandler) deleteSession(w http.ResponseWriter, r *http.Request) {
	sid := headerValue(r, wire.HeaderSessionID)
	if sid == "" {
		http.Error(w, "400 missing "+wire.HeaderSessionID, http.StatusBadRequest)
		return
	}
	if s.lookup(sid) == nil {
		http.Error(w, "404 session not found", http.StatusNotFound)
		return
	}
	s.mu.Lock()
	if hs := s.sessions[sid]; hs != nil {
		s.removeLocked(sid, hs)
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// sseStream is one request's SSE reply once a notification has opened it:
// the status (200) and headers are sent, events follow as they come.
type sseStream struct {
	w       http.ResponseWriter
	started bool
}

func setSSEHeaders(h http.Header) {
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
}

func (st *sseStream) event(msg []byte) {
	if !st.started {
		setSSEHeaders(st.w.Header())
		st.w.WriteHeader(http.StatusOK)
		st.started = true
	}
	buf := make([]byte, 0, len(msg)+24)
	buf = append(buf, "event: message\ndata: "...)
	buf = append(buf, msg...)
	buf = append(buf, "\n\n"...)
	_, _ = st.w.Write(buf)
	_ = http.NewResponseController(st.w).Flush()
}

// stream arranges for req's notifications (progress) to open an SSE
// stream in SSE mode; in JSON mode they are dropped, as only one JSON
// object can answer a POST.
func (s *httpHandler) stream(w http.ResponseWriter, req *request) *sseStream {
	if s.opts.HTTPResponse != HTTPResponseSSE {
		return nil
	}
	st := &sseStream{w: w}
	req.emit = func(msg []byte) {
		s.h.stats.notes.Add(1)
		st.event(msg)
	}
	return st
}

// finish sends the response: as the last event of an opened stream, or
// as a whole reply.
func (s *httpHandler) finish(w http.ResponseWriter, st *sseStream, status int, msg []byte) {
	if st != nil && st.started {
		st.event(msg)
		return
	}
	s.reply(w, status, msg)
}

// reply writes one JSON-RPC response as application/json or as a
// one-event SSE stream, per Options.HTTPResponse.
func (s *httpHandler) reply(w http.ResponseWriter, status int, msg []byte) {
	h := w.Header()
	if s.opts.HTTPResponse == HTTPResponseSSE {
		setSSEHeaders(h)
		w.WriteHeader(status)
		buf := make([]byte, 0, len(msg)+24)
		buf = append(buf, "event: message\ndata: "...)
		buf = append(buf, msg...)
		buf = append(buf, "\n\n"...)
		_, _ = w.Write(buf)
		return
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(msg)))
	w.WriteHeader(status)
	_, _ = w.Write(msg)
}
