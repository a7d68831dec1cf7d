package protocol

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mcpstress/mcpstress/wire"
)

// Protocol generations the probes speak.
const (
	Legacy = wire.Version20251125 // initialize handshake, sessions
	Modern = wire.Version20260728 // stateless, version in every request's _meta
)

// prober holds what every probe session of one run shares.
type prober struct {
	target wireTarget
	hc     *http.Client
	ids    atomic.Int64
}

// session is one probe session in one generation: a TCP connection, a stdio
// process, or (HTTP) a sequence of POSTs, carrying a legacy Mcp-Session-Id
// when the server minted one.
type session struct {
	p       *prober
	gen     string
	conn    *streamConn // tcp, stdio
	sid     string      // http legacy
	version string      // negotiated legacy version
	// serverInfo is "name version" from the initialize result.
	serverInfo string
}

// Answer is what the server did with one case's input.
type Answer struct {
	// Status is the HTTP status (0 on stream transports).
	Status int
	// WWWAuthenticate is the challenge header of an HTTP reply.
	WWWAuthenticate string
	// Msg is the JSON-RPC response, if one came.
	Msg *wire.Message
	// Raw is an excerpt of a reply that was not a JSON-RPC response.
	Raw string
	// NoReply: nothing came within the reply wait.
	NoReply bool
	// Closed: the server closed the connection (or the stdio process ended).
	Closed bool
	// Err is a transport error ("" if none).
	Err string
	// Extra is a case-specific note (e.g. the second reply of a duplicate id).
	Extra string

	dupOK bool // duplicate-id case: every request accounted for
}

// exchange is one message a case sends.
type exchange struct {
	body   []byte
	method string // for the 2026 Mcp-Method header ("" = none)
	name   string // for the 2026 Mcp-Name header ("" = none)
	// header adjusts the HTTP headers after the session's own are set.
	header func(http.Header)
}

func (p *prober) nextID() int64 { return 1000 + p.ids.Add(1) }

// open starts a session. With handshake, a legacy session is initialized
// (initialize + notifications/initialized); a modern one needs none.
func (p *prober) open(ctx context.Context, gen string, handshake bool) (*session, error) {
	s := &session{p: p, gen: gen, version: gen}
	var err error
	switch p.target.kind {
	case TCP:
		s.conn, err = dialTCP(ctx, p.target.addr)
	case Stdio:
		s.conn, err = startStdio(p.target.stdio)
	case HTTP:
	default:
		err = fmt.Errorf("protocol: unknown target kind %q", p.target.kind)
	}
	if err != nil {
		return nil, err
	}
	if handshake && gen == Legacy {
		if err := s.initialize(ctx); err != nil {
			s.close()
			return nil, err
		}
	}
	return s, nil
}

func (s *session) close() {
	if s.conn != nil {
		s.conn.close()
	}
	if s.sid != "" {
		// End the legacy HTTP session; the answer does not matter, but a
		// hung server must not hold the probe.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodDelete, s.p.target.url, nil)
		if err == nil {
			req.Header.Set(wire.HeaderSessionID, s.sid)
			if s.p.target.token != "" {
				req.Header.Set("Authorization", "Bearer "+s.p.target.token)
			}
			if resp, err := s.p.hc.Do(req); err == nil {
				resp.Body.Close()
			}
		}
	}
}

func (s *session) initialize(ctx context.Context) error {
	id := s.p.nextID()
	body := mustJSON(map[string]any{"jsonrpc": "2.0", "id": id, "method": "initialize", "params": map[string]any{
		"protocolVersion": Legacy,
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": "mcpstress-protocol", "version": "0.1.0"},
	}})
	a, sid := s.send(ctx, exchange{body: body, method: "initialize"})
	if a.Msg == nil || a.Msg.Result == nil {
		return fmt.Errorf("initialize: %s", a.Summary())
	}
	var res struct {
		ProtocolVersion string `json:"protocolVersion"`
		ServerInfo      struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"serverInfo"`
	}
	if json.Unmarshal(a.Msg.Result, &res) == nil && res.ProtocolVersion != "" {
		s.version = res.ProtocolVersion
	}
	if res.ServerInfo.Name != "" {
		s.serverInfo = res.ServerInfo.Name + " " + res.ServerInfo.Version
	}
	s.sid = sid
	s.send(ctx, exchange{body: []byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`), method: "notifications/initialized"})
	return nil
}

// request builds a well-formed request of the session's generation (with
// the 2026 _meta when modern) and sends it.
func (s *session) request(ctx context.Context, method string, params map[string]any) Answer {
	a, _ := s.send(ctx, s.requestExchange(s.p.nextID(), method, params))
	return a
}

func (s *session) requestExchange(id int64, method string, params map[string]any) exchange {
	p := map[string]any{}
	for k, v := range params {
		p[k] = v
	}
	if s.gen == Modern {
		p["_meta"] = modernMeta(Modern)
	}
	name, _ := params["name"].(string)
	return exchange{body: mustJSON(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": p}), method: method, name: name}
}

func modernMeta(version string) map[string]any {
	return map[string]any{
		wire.MetaProtocolVersion:    version,
		wire.MetaClientCapabilities: map[string]any{},
		wire.MetaClientInfo:         map[string]any{"name": "mcpstress-protocol", "version": "0.1.0"},
	}
}

// isNotification reports whether body is a JSON-RPC notification (method,
// no id): on a stream transport nothing comes back for it.
func isNotification(body []byte) bool {
	var m wire.Message
	return json.Unmarshal(body, &m) == nil && m.IsNotification()
}

// send writes one exchange and waits for its answer (until ctx ends). It
// returns the Mcp-Session-Id of an HTTP reply, if any.
func (s *session) send(ctx context.Context, ex exchange) (Answer, string) {
	if s.conn != nil {
		if err := s.conn.writeCtx(ctx, append(bytes.TrimRight(ex.body, "\n"), '\n')); err != nil {
			if _, done := s.conn.exitedEarly(); done || isClosedErr(err) {
				return Answer{Closed: true, Err: err.Error()}, ""
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				// The server stopped reading: nothing will come back in time.
				return Answer{NoReply: true, Err: "not read within the wait (write timed out)"}, ""
			}
			return Answer{Err: err.Error()}, ""
		}
		if isNotification(ex.body) {
			return Answer{}, ""
		}
		f, ok, closed := s.conn.await(ctx, nil)
		switch {
		case closed:
			return Answer{Closed: true}, ""
		case !ok:
			return Answer{NoReply: true}, ""
		case f.bad:
			return Answer{Raw: excerpt(string(f.raw), 200)}, ""
		}
		m := f.msg
		return Answer{Msg: &m}, ""
	}
	h := http.Header{}
	if s.p.target.token != "" {
		h.Set("Authorization", "Bearer "+s.p.target.token)
	}
	switch s.gen {
	case Legacy:
		if s.sid != "" {
			h.Set(wire.HeaderSessionID, s.sid)
		}
		if ex.method != "initialize" {
			h.Set(wire.HeaderProtocolVersion, s.version)
		}
	case Modern:
		h.Set(wire.HeaderProtocolVersion, Modern)
		if ex.method != "" {
			h.Set(wire.HeaderMethod, ex.method)
		}
		if ex.name != "" {
			h.Set(wire.HeaderName, ex.name)
		}
	}
	if ex.header != nil {
		ex.header(h)
	}
	r, err := post(ctx, s.p.hc, s.p.target.url, ex.body, h)
	if err != nil {
		if isTimeout(err) {
			return Answer{NoReply: true, Status: r.status}, ""
		}
		return Answer{Err: err.Error(), Status: r.status}, ""
	}
	a := Answer{Status: r.status, WWWAuthenticate: r.header.Get("WWW-Authenticate"), Msg: r.msg, Raw: r.body}
	return a, r.header.Get(wire.HeaderSessionID)
}

// isClosedErr reports whether a write failed because the peer is gone.
func isClosedErr(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("protocol: marshal %T: %v", v, err))
	}
	return b
}

// Summary is a one-line description of a for the report table.
func (a Answer) Summary() string {
	var parts []string
	if a.Status != 0 {
		parts = append(parts, "HTTP "+strconv.Itoa(a.Status))
	}
	if a.WWWAuthenticate != "" {
		parts = append(parts, "WWW-Authenticate: "+excerpt(a.WWWAuthenticate, 60))
	}
	switch {
	case a.Msg != nil && a.Msg.Error != nil:
		parts = append(parts, fmt.Sprintf("error %d %q", a.Msg.Error.Code, excerpt(a.Msg.Error.Message, 60)))
	case a.Msg != nil && a.Msg.Result != nil:
		if isToolError(a.Msg.Result) {
			parts = append(parts, "result isError:true")
		} else {
			parts = append(parts, "result")
		}
	case a.Raw != "":
		parts = append(parts, "body "+strconv.Quote(excerpt(a.Raw, 60)))
	}
	if a.NoReply {
		parts = append(parts, "no reply")
	}
	if a.Closed {
		parts = append(parts, "connection closed")
	}
	if a.Err != "" {
		parts = append(parts, "error: "+excerpt(a.Err, 80))
	}
	if a.Extra != "" {
		parts = append(parts, a.Extra)
	}
	if len(parts) == 0 {
		return "nothing"
	}
	out := parts[0]
	for _, p := range parts[1:] {
		out += "; " + p
	}
	return out
}

func isToolError(result json.RawMessage) bool {
	var r struct {
		IsError bool `json:"isError"`
	}
	return json.Unmarshal(result, &r) == nil && r.IsError
}
