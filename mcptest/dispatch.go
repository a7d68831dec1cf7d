package mcptest

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mcpstress/mcpstress/wire"
)

// handler is the transport-independent core of the server: it answers one
// decoded request, in the generation the request itself selects
// (shared/reference/mcp-wire.md §2B "dual-era server"): a request whose
// params._meta carries a 2026-07-28-or-later protocolVersion is served
// statelessly under 2026-07-28; anything else is served under the legacy
// generation of its session.
type handler struct {
	faults *faultState
	stats  *counters
	tools  *toolset
}

// newHandler returns a handler with its own fault state, counters and
// tool table.
func newHandler(f Faults) *handler {
	return &handler{faults: newFaultState(f), stats: newCounters(), tools: newToolset()}
}

// session is the legacy-generation state of one TCP connection, one stdio
// stream or one Mcp-Session-Id.
type session struct {
	// gate makes legacy requests other than initialize and ping wait for
	// initialize (TCP and stdio; an HTTP session exists only after it).
	gate bool
	// index is what Faults.SlowEvery slows by: the accept index of the TCP
	// connection, stdio stream or HTTP connection, or a legacy HTTP
	// session's creation index (see Faults.SlowEvery).
	index       int64
	initialized atomic.Bool

	mu       sync.Mutex
	version  string
	inflight map[string]context.CancelFunc
}

// begin registers an in-flight request id; false means it is already in
// flight (a duplicate).
func (s *session) begin(id json.RawMessage, cancel context.CancelFunc) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight == nil {
		s.inflight = make(map[string]context.CancelFunc)
	}
	if _, dup := s.inflight[string(id)]; dup {
		return false
	}
	s.inflight[string(id)] = cancel
	return true
}

func (s *session) end(id json.RawMessage) {
	s.mu.Lock()
	delete(s.inflight, string(id))
	s.mu.Unlock()
}

// inFlight reports whether id is in flight.
func (s *session) inFlight(id json.RawMessage) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.inflight[string(id)]
	return ok
}

// cancel cancels the in-flight request with id, if any.
func (s *session) cancel(id json.RawMessage) {
	s.mu.Lock()
	c := s.inflight[string(id)]
	s.mu.Unlock()
	if c != nil {
		c()
	}
}

// cancelAll cancels every in-flight request (the connection is gone).
func (s *session) cancelAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.inflight {
		c()
	}
}

// slow reports whether r, on sess, may take long, so a connection's read
// loop should hand it to a goroutine instead of answering inline.
func (h *handler) slow(sess *session, r *request) bool {
	if r.Method == "tools/call" {
		if t := h.tools.lookup(r.P.Name); t != nil && t.slow {
			return true
		}
	}
	return h.faults.slow(sess.index)
}

// newConn counts a connection (or stdio stream) the server accepted and
// returns its accept index: 0 for the first. Counting where connections
// are accepted, in order, keeps the index that Faults.SlowEvery slows by
// the order in which clients connected.
func (h *handler) newConn() int64 { return h.stats.conns.Add(1) - 1 }

// notify handles a notification (no answer is ever sent).
func (h *handler) notify(sess *session, r *request) {
	switch r.Method {
	case "notifications/cancelled":
		if len(r.P.RequestID) > 0 {
			sess.cancel(r.P.RequestID)
		}
	}
	h.stats.count(r.Method, OutcomeNotified, 0)
}

// answer appends the complete response to r (no trailing newline) to dst.
// ok is false when the request ended (ctx done: connection gone,
// notifications/cancelled, server shutting down) before an answer, in
// which case it is counted as abandoned, nothing is appended and nothing
// must be sent: whatever the route produced (a result, a tool error, a
// JSON-RPC error) is discarded, as the MCP spec sends no response to a
// cancelled request.
func (h *handler) answer(ctx context.Context, sess *session, r *request, dst []byte) (out []byte, code int, ok bool) {
	start := len(dst)
	h.stats.inflight.Add(1)
	defer h.stats.inflight.Add(-1)
	if err := h.faults.hold(ctx, sess.index); err != nil {
		h.stats.count(r.Method, OutcomeAbandoned, 0)
		return dst, 0, false
	}
	dst = appendResultHeader(dst, r.ID)
	fields := len(dst)
	var (
		isError bool
		e       *rpcError
	)
	switch {
	case r.paramsErr != nil:
		e = r.paramsErr
	case r.Modern:
		dst, isError, e = h.routeModern(ctx, r, dst)
	default:
		dst, isError, e = h.routeLegacy(ctx, sess, r, dst)
	}
	if ctx.Err() != nil {
		h.stats.count(r.Method, OutcomeAbandoned, 0)
		return dst[:start], 0, false
	}
	if e != nil {
		h.stats.count(r.Method, OutcomeRPCError, e.Code)
		return appendErrorResponse(dst[:start], r.ID, e), e.Code, true
	}
	dst = appendResultTrailer(dst, r.Modern, len(dst) == fields)
	if isError {
		h.stats.count(r.Method, OutcomeToolError, 0)
	} else {
		h.stats.count(r.Method, OutcomeOK, 0)
	}
	return dst, 0, true
}

// supportedVersions is what server/discover and -32022 list.
const supportedVersionsJSON = `["` + wire.Version20260728 + `","` + wire.Version20251125 + `","` + wire.Version20250618 + `"]`

const capabilitiesJSON = `{"tools":{},"resources":{},"prompts":{}}`

const instructions = "mcpstress reference server: tools echo, add, sleep, cpu, large, fail, error."

const cacheFields = `,"ttlMs":0,"cacheScope":"public"`

func (h *handler) routeModern(ctx context.Context, r *request, dst []byte) ([]byte, bool, *rpcError) {
	if r.Version != wire.Version20260728 {
		e := errorf(wire.CodeUnsupportedProtocolVersion, "unsupported protocol version")
		e.Data = appendString([]byte(`{"supported":`+supportedVersionsJSON+`,"requested":`), r.Version)
		e.Data = append(e.Data, '}')
		return dst, false, e
	}
	if caps := r.P.Meta.ClientCapabilities; len(caps) == 0 || caps[0] != '{' {
		return dst, false, errorf(wire.CodeInvalidParams, `missing or invalid _meta field "`+wire.MetaClientCapabilities+`"`)
	}
	if r.Method == "server/discover" {
		dst = append(dst, `"supportedVersions":`+supportedVersionsJSON+`,"capabilities":`+capabilitiesJSON+
			`,"instructions":`...)
		dst = appendString(dst, instructions)
		return append(dst, cacheFields...), false, nil
	}
	return h.routeCommon(ctx, r, dst, true)
}

func (h *handler) routeLegacy(ctx context.Context, sess *session, r *request, dst []byte) ([]byte, bool, *rpcError) {
	switch r.Method {
	case "initialize":
		return h.initialize(ctx, sess, r, dst)
	case "ping":
		return dst, false, nil
	case "server/discover":
		return dst, false, errorf(wire.CodeMethodNotFound,
			`server/discover needs params._meta["`+wire.MetaProtocolVersion+`"] = "`+wire.Version20260728+`"`)
	}
	if !isCommonMethod(r.Method) {
		return dst, false, errorf(wire.CodeMethodNotFound, "method not found: "+strconv.Quote(r.Method))
	}
	if sess.gate && !sess.initialized.Load() {
		return dst, false, errorf(wire.CodeInvalidRequest, "session not initialized: send initialize first, "+
			`or send params._meta["`+wire.MetaProtocolVersion+`"] = "`+wire.Version20260728+`" for a stateless request`)
	}
	return h.routeCommon(ctx, r, dst, false)
}

func (h *handler) initialize(ctx context.Context, sess *session, r *request, dst []byte) ([]byte, bool, *rpcError) {
	if r.P.ProtocolVersion == nil {
		return dst, false, errorf(wire.CodeInvalidParams, `initialize: missing "protocolVersion"`)
	}
	if err := h.faults.waitRegistry(ctx); err != nil {
		return dst, false, errorf(wire.CodeInternalError, "initialize: "+err.Error())
	}
	v := *r.P.ProtocolVersion
	if v != wire.Version20250618 && v != wire.Version20251125 {
		v = wire.Version20251125
	}
	sess.mu.Lock()
	already := sess.initialized.Load()
	if !already {
		sess.version = v
		sess.initialized.Store(true)
	}
	sess.mu.Unlock()
	if already {
		return dst, false, errorf(wire.CodeInvalidRequest, "initialize: session is already initialized")
	}
	dst = append(dst, `"protocolVersion":`...)
	dst = appendString(dst, v)
	dst = append(dst, `,"capabilities":`+capabilitiesJSON+`,"serverInfo":`+serverInfoJSON+`,"instructions":`...)
	return appendString(dst, instructions), false, nil
}

func isCommonMethod(m string) bool {
	switch m {
	case "tools/list", "tools/call", "resources/list", "resources/templates/list",
		"resources/read", "prompts/list", "prompts/get":
		return true
	}
	return false
}

// routeCommon serves the methods both generations share.
func (h *handler) routeCommon(ctx context.Context, r *request, dst []byte, modern bool) ([]byte, bool, *rpcError) {
	list := func(fields string) ([]byte, bool, *rpcError) {
		if r.P.Cursor != nil {
			return dst, false, errorf(wire.CodeInvalidParams, "invalid cursor: this list has a single page")
		}
		dst = append(dst, fields...)
		if modern {
			dst = append(dst, cacheFields...)
		}
		return dst, false, nil
	}
	switch r.Method {
	case "tools/call":
		return h.callTool(ctx, r, dst)
	case "tools/list":
		return list(h.tools.listFields)
	case "resources/list":
		return list(resourcesListFields)
	case "resources/templates/list":
		return list(templatesListFields)
	case "prompts/list":
		return list(promptsListFields)
	case "resources/read":
		if r.P.URI == "" {
			return dst, false, errorf(wire.CodeInvalidParams, `resources/read: missing "uri"`)
		}
		out, e := readResource(dst, r.P.URI, modern)
		if e == nil && modern {
			out = append(out, cacheFields...)
		}
		return out, false, e
	case "prompts/get":
		if r.P.Name == "" {
			return dst, false, errorf(wire.CodeInvalidParams, `prompts/get: missing "name"`)
		}
		var args map[string]string
		if e := decodeArgs("prompts/get", r.P.Arguments, &args); e != nil {
			return dst, false, errorf(wire.CodeInvalidParams, "prompts/get: arguments must be an object of strings")
		}
		out, e := getPrompt(dst, r.P.Name, args)
		return out, false, e
	}
	return dst, false, errorf(wire.CodeMethodNotFound, "method not found: "+strconv.Quote(r.Method))
}

func (h *handler) callTool(ctx context.Context, r *request, dst []byte) ([]byte, bool, *rpcError) {
	if r.P.Name == "" {
		return dst, false, errorf(wire.CodeInvalidParams, `tools/call: missing "name"`)
	}
	t := h.tools.lookup(r.P.Name)
	if t == nil {
		return dst, false, errorf(wire.CodeInvalidParams, "unknown tool: "+strconv.Quote(r.P.Name))
	}
	if a := r.P.Arguments; len(a) > 0 && a[0] != '{' && !strings.HasPrefix(string(a), "null") {
		return dst, false, errorf(wire.CodeInvalidParams, "tools/call: arguments must be an object")
	}
	h.faults.leak()
	if h.faults.serial(ctx) != nil {
		return dst, false, nil // ended while queued: answer counts it abandoned
	}
	if h.faults.shouldFail() {
		if h.faults.get().FailToolError {
			return toolError(dst, "injected fault (FailFraction)")
		}
		return dst, false, errorf(wire.CodeInternalError, "injected fault (FailFraction)")
	}
	token := r.progressToken()
	if token != nil {
		r.emit(appendProgress(nil, token, 0))
	}
	out, isError, e := t.run(ctx, r.P.Arguments, dst)
	if token != nil && e == nil {
		r.emit(appendProgress(nil, token, 1))
	}
	return out, isError, e
}

// progressToken returns the request's _meta.progressToken when progress
// can be sent for it (a string or integer token and a transport that
// delivers notifications), else nil.
func (r *request) progressToken() json.RawMessage {
	if r.emit == nil || r.P.Meta == nil {
		return nil
	}
	if tok, ok := checkID(r.P.Meta.ProgressToken); ok && tok != nil {
		return tok
	}
	return nil
}

// appendProgress appends a notifications/progress message. Every
// tools/call that carries a progressToken gets exactly two, before its
// result: progress 0 of 1 when the tool starts, 1 of 1 when it is done.
func appendProgress(dst []byte, token json.RawMessage, progress int) []byte {
	dst = append(dst, `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":`...)
	dst = append(dst, token...)
	dst = append(dst, `,"progress":`...)
	dst = strconv.AppendInt(dst, int64(progress), 10)
	return append(dst, `,"total":1}}`...)
}
