package protocol

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/mcpstress/mcpstress/wire"
)

// Category groups cases as seed 004 counts them.
type Category string

// Seed 004's three kinds of error case.
const (
	Malformed      Category = "malformed"
	InvalidCommand Category = "invalid command"
	Auth           Category = "auth"
)

// Setting is where one case runs: the transport, the generation and what
// the runner learned about the server.
type Setting struct {
	Kind string // TCP, HTTP or Stdio
	Gen  string // Legacy or Modern
	// Token: a bearer token is configured for the target.
	Token bool
	// Sessions: the server minted an Mcp-Session-Id on a legacy HTTP
	// initialize (a stateless server does not).
	Sessions bool
	// OversizeBytes is the size of the oversized frame.
	OversizeBytes int
}

// Case is one error-handling case: what is sent, what the spec allows back,
// and where it applies.
type Case struct {
	Name     string
	Category Category
	// Applies returns "" when the case runs in st, or why it does not.
	Applies func(st Setting) string
	// Fresh opens the case's session without the legacy handshake.
	Fresh bool
	// AllowClose: the server closing the connection is an accepted answer
	// (the same-connection follow-up is then skipped).
	AllowClose bool
	// SlowReply gives the case four reply waits, at least 25 s (a big
	// frame takes time to send, parse and, if served, echo back).
	SlowReply bool
	// ReplyWaits is how many reply waits the case's own exchange gets
	// (1 when zero): for cases that run a slow tool first.
	ReplyWaits int
	// Expect describes the answers the spec allows in st.
	Expect func(st Setting) string
	// Do sends the case's input on s and returns what came back.
	Do func(ctx context.Context, s *session, st Setting) Answer
	// Check reports whether a is one of the allowed answers.
	Check func(st Setting, a Answer) bool
}

// Cases returns the case table, in report order.
func Cases() []Case {
	return []Case{
		{
			Name: "malformed JSON", Category: Malformed, Applies: always,
			Expect: rejectExpect(wire.CodeParseError),
			Do:     sendRaw(`{"jsonrpc":"2.0","id":7001,"method":"tools/list",`, "tools/list"),
			Check:  rejectCheck(wire.CodeParseError),
		},
		{
			Name: "non-JSON bytes", Category: Malformed, Applies: always,
			Expect: rejectExpect(wire.CodeParseError),
			Do:     sendRaw("\x01\x02 this is not json \xff\xfe", "tools/list"),
			Check:  rejectCheck(wire.CodeParseError),
		},
		{
			Name: "envelope without method", Category: Malformed, Applies: always,
			Expect: rejectExpect(wire.CodeInvalidRequest),
			Do:     sendRaw(`{"jsonrpc":"2.0","id":7003,"params":%s}`, "tools/list"),
			Check:  rejectCheck(wire.CodeInvalidRequest),
		},
		{
			Name: "envelope with jsonrpc 1.0", Category: Malformed, Applies: always,
			Expect: rejectExpect(wire.CodeInvalidRequest),
			Do:     sendRaw(`{"jsonrpc":"1.0","id":7004,"method":"tools/list","params":%s}`, "tools/list"),
			Check:  rejectCheck(wire.CodeInvalidRequest),
		},
		{
			Name: "oversized frame", Category: Malformed, Applies: always, AllowClose: true, SlowReply: true,
			Expect: func(st Setting) string {
				return fmt.Sprintf("%d MiB frame: rejected (any JSON-RPC error, HTTP 413/400) or connection closed, or served (the spec sets no limit); server keeps answering", st.OversizeBytes>>20)
			},
			Do: func(ctx context.Context, s *session, st Setting) Answer {
				msg := strings.Repeat("x", st.OversizeBytes)
				return s.request(ctx, "tools/call", map[string]any{"name": "echo", "arguments": map[string]any{"message": msg}})
			},
			Check: func(st Setting, a Answer) bool {
				if a.Closed || a.Status == http.StatusRequestEntityTooLarge || a.Status == http.StatusBadRequest {
					return true
				}
				return a.Msg != nil && (a.Msg.Error != nil || a.Msg.Result != nil)
			},
		},
		{
			Name: "unknown method", Category: InvalidCommand, Applies: always,
			Expect: func(st Setting) string {
				if st.Kind == HTTP && st.Gen == Modern {
					return "HTTP 404 with error -32601"
				}
				return "error -32601"
			},
			Do: func(ctx context.Context, s *session, st Setting) Answer {
				return s.request(ctx, "mcpstress/no-such-method", map[string]any{})
			},
			Check: func(st Setting, a Answer) bool {
				if st.Kind == HTTP && st.Gen == Modern && a.Status != http.StatusNotFound {
					return false
				}
				return hasCode(a, wire.CodeMethodNotFound)
			},
		},
		{
			Name: "invalid params (arguments not an object)", Category: InvalidCommand, Applies: always,
			Expect: invalidParamsExpect,
			Do: func(ctx context.Context, s *session, st Setting) Answer {
				return s.request(ctx, "tools/call", map[string]any{"name": "echo", "arguments": "not-an-object"})
			},
			Check: invalidParamsCheck,
		},
		{
			Name: "unknown tool", Category: InvalidCommand, Applies: always,
			Expect: invalidParamsExpect,
			Do: func(ctx context.Context, s *session, st Setting) Answer {
				return s.request(ctx, "tools/call", map[string]any{"name": "mcpstress_no_such_tool", "arguments": map[string]any{}})
			},
			Check: invalidParamsCheck,
		},
		{
			Name: "request before initialize", Category: InvalidCommand, Fresh: true,
			Applies: func(st Setting) string {
				if st.Gen != Legacy {
					return "legacy generation only (2026 has no handshake)"
				}
				return ""
			},
			Expect: func(st Setting) string {
				if st.Kind == HTTP && !st.Sessions {
					return "any JSON-RPC error, HTTP 400/404, or served (the server keeps no sessions)"
				}
				if st.Kind == HTTP {
					return "HTTP 400 (no session), or any JSON-RPC error"
				}
				return "any JSON-RPC error"
			},
			Do: func(ctx context.Context, s *session, st Setting) Answer {
				ex := s.requestExchange(s.p.nextID(), "tools/list", map[string]any{})
				a, _ := s.send(ctx, ex)
				return a
			},
			Check: func(st Setting, a Answer) bool {
				if hasCode(a) {
					return true
				}
				if st.Kind == HTTP && (a.Status == http.StatusBadRequest || a.Status == http.StatusNotFound) {
					return true
				}
				return st.Kind == HTTP && !st.Sessions && a.Msg != nil && a.Msg.Result != nil
			},
		},
		{
			Name: "unsupported protocol version", Category: InvalidCommand, Applies: always,
			Fresh: true,
			Expect: func(st Setting) string {
				if st.Gen == Legacy {
					return "initialize(1900-01-01): a result negotiating a version the server supports, or error -32602"
				}
				if st.Kind == HTTP {
					return "HTTP 400 with error -32022 and data.supported"
				}
				return "error -32022 with data.supported"
			},
			Do: func(ctx context.Context, s *session, st Setting) Answer {
				id := s.p.nextID()
				if st.Gen == Legacy {
					body := mustJSON(map[string]any{"jsonrpc": "2.0", "id": id, "method": "initialize", "params": map[string]any{
						"protocolVersion": "1900-01-01", "capabilities": map[string]any{},
						"clientInfo": map[string]any{"name": "mcpstress-protocol", "version": "0.1.0"}}})
					a, _ := s.send(ctx, exchange{body: body, method: "initialize"})
					return a
				}
				body := mustJSON(map[string]any{"jsonrpc": "2.0", "id": id, "method": "tools/list",
					"params": map[string]any{"_meta": modernMeta("2099-01-01")}})
				a, _ := s.send(ctx, exchange{body: body, method: "tools/list", header: func(h http.Header) {
					h.Set(wire.HeaderProtocolVersion, "2099-01-01")
				}})
				return a
			},
			Check: func(st Setting, a Answer) bool {
				if st.Gen == Legacy {
					if hasCode(a, wire.CodeInvalidParams) {
						return true
					}
					if a.Msg == nil || a.Msg.Result == nil {
						return false
					}
					var r struct {
						ProtocolVersion string `json:"protocolVersion"`
					}
					return json.Unmarshal(a.Msg.Result, &r) == nil && slices.Contains(knownVersions, r.ProtocolVersion)
				}
				if st.Kind == HTTP && a.Status != http.StatusBadRequest {
					return false
				}
				if !hasCode(a, wire.CodeUnsupportedProtocolVersion) {
					return false
				}
				var d struct {
					Supported []string `json:"supported"`
				}
				return json.Unmarshal(a.Msg.Error.Data, &d) == nil && len(d.Supported) > 0
			},
		},
		{
			Name: "duplicate in-flight id", Category: InvalidCommand, Applies: always, ReplyWaits: 2,
			Expect: func(st Setting) string {
				return "both requests answered, or the second rejected with -32600; none dropped"
			},
			Do:    duplicateID,
			Check: func(st Setting, a Answer) bool { return a.dupOK },
		},
		{
			Name: "2026 request without clientCapabilities", Category: InvalidCommand,
			Applies: modernOnly,
			Expect: func(st Setting) string {
				if st.Kind == HTTP {
					return "HTTP 400 with error -32602"
				}
				return "error -32602"
			},
			Do: func(ctx context.Context, s *session, st Setting) Answer {
				body := mustJSON(map[string]any{"jsonrpc": "2.0", "id": s.p.nextID(), "method": "tools/list",
					"params": map[string]any{"_meta": map[string]any{wire.MetaProtocolVersion: Modern}}})
				a, _ := s.send(ctx, exchange{body: body, method: "tools/list"})
				return a
			},
			Check: func(st Setting, a Answer) bool {
				return (st.Kind != HTTP || a.Status == http.StatusBadRequest) && hasCode(a, wire.CodeInvalidParams)
			},
		},
		{
			Name: "Mcp-Name header mismatch", Category: InvalidCommand, Applies: modernHTTPOnly,
			Expect: func(Setting) string { return "HTTP 400 with error -32020" },
			Do: func(ctx context.Context, s *session, st Setting) Answer {
				ex := s.requestExchange(s.p.nextID(), "tools/call", map[string]any{"name": "echo", "arguments": map[string]any{"message": "hi"}})
				ex.header = func(h http.Header) { h.Set(wire.HeaderName, "not-echo") }
				a, _ := s.send(ctx, ex)
				return a
			},
			Check: headerMismatchCheck,
		},
		{
			Name: "missing Mcp-Method header", Category: InvalidCommand, Applies: modernHTTPOnly,
			Expect: func(Setting) string { return "HTTP 400 with error -32020" },
			Do: func(ctx context.Context, s *session, st Setting) Answer {
				ex := s.requestExchange(s.p.nextID(), "tools/list", map[string]any{})
				ex.header = func(h http.Header) { h.Del(wire.HeaderMethod) }
				a, _ := s.send(ctx, ex)
				return a
			},
			Check: headerMismatchCheck,
		},
		{
			Name: "missing bearer token", Category: Auth, Applies: authOnly,
			Expect: authExpect,
			Do: func(ctx context.Context, s *session, st Setting) Answer {
				ex := s.requestExchange(s.p.nextID(), "tools/list", map[string]any{})
				ex.header = func(h http.Header) { h.Del("Authorization") }
				a, _ := s.send(ctx, ex)
				return a
			},
			Check: authCheck,
		},
		{
			Name: "wrong bearer token", Category: Auth, Applies: authOnly,
			Expect: authExpect,
			Do: func(ctx context.Context, s *session, st Setting) Answer {
				ex := s.requestExchange(s.p.nextID(), "tools/list", map[string]any{})
				ex.header = func(h http.Header) { h.Set("Authorization", "Bearer mcpstress-wrong-token") }
				a, _ := s.send(ctx, ex)
				return a
			},
			Check: authCheck,
		},
	}
}

// knownVersions are the protocol versions a negotiating server may answer.
var knownVersions = []string{"2024-11-05", "2025-03-26", wire.Version20250618, wire.Version20251125, wire.Version20260728}

func always(Setting) string { return "" }

func modernOnly(st Setting) string {
	if st.Gen != Modern {
		return "2026-07-28 only"
	}
	return ""
}

func modernHTTPOnly(st Setting) string {
	if st.Kind != HTTP || st.Gen != Modern {
		return "2026-07-28 over HTTP only"
	}
	return ""
}

func authOnly(st Setting) string {
	if st.Kind != HTTP {
		return "HTTP only (stdio and TCP carry no bearer token)"
	}
	if !st.Token {
		return "no token configured for the target"
	}
	return ""
}

// sendRaw sends body as is (headers as for method on 2026 HTTP). A %s in
// body becomes the params object of the generation ({} or the 2026 _meta),
// so that the case's defect is the only one.
func sendRaw(body, method string) func(context.Context, *session, Setting) Answer {
	return func(ctx context.Context, s *session, st Setting) Answer {
		b := body
		if strings.Contains(b, "%s") {
			params := "{}"
			if st.Gen == Modern {
				params = string(mustJSON(map[string]any{"_meta": modernMeta(Modern)}))
			}
			b = fmt.Sprintf(body, params)
		}
		a, _ := s.send(ctx, exchange{body: []byte(b), method: method})
		return a
	}
}

// rejectExpect/rejectCheck: on a stream, the error code; over HTTP the
// error code (in a reply of any status), or a bare 4xx (the spec lets an
// HTTP server reject input it cannot accept with 400 and no JSON-RPC body).
func rejectExpect(code int) func(Setting) string {
	return func(st Setting) string {
		if st.Kind == HTTP {
			return fmt.Sprintf("error %d, or HTTP 4xx without a JSON-RPC body; next request answered", code)
		}
		return fmt.Sprintf("error %d; next request on the connection answered", code)
	}
}

func rejectCheck(code int) func(Setting, Answer) bool {
	return func(st Setting, a Answer) bool {
		if st.Kind == HTTP && a.Msg == nil {
			return a.Status >= 400 && a.Status <= 499
		}
		return hasCode(a, code)
	}
}

func invalidParamsExpect(st Setting) string {
	if st.Kind == HTTP && st.Gen == Modern {
		return "HTTP 400 with error -32602, or a result with isError:true"
	}
	return "error -32602, or a result with isError:true"
}

func invalidParamsCheck(st Setting, a Answer) bool {
	if a.Msg != nil && a.Msg.Result != nil {
		return isToolError(a.Msg.Result)
	}
	if st.Kind == HTTP && st.Gen == Modern && a.Status != http.StatusBadRequest {
		return false
	}
	return hasCode(a, wire.CodeInvalidParams)
}

func headerMismatchCheck(st Setting, a Answer) bool {
	return a.Status == http.StatusBadRequest && hasCode(a, wire.CodeHeaderMismatch)
}

func authExpect(Setting) string { return "HTTP 401 with WWW-Authenticate: Bearer …" }

func authCheck(st Setting, a Answer) bool {
	return a.Status == http.StatusUnauthorized && strings.HasPrefix(strings.ToLower(a.WWWAuthenticate), "bearer")
}

// hasCode reports whether a is a JSON-RPC error with one of codes (any
// code when none are given).
func hasCode(a Answer, codes ...int) bool {
	if a.Msg == nil || a.Msg.Error == nil {
		return false
	}
	return len(codes) == 0 || slices.Contains(codes, a.Msg.Error.Code)
}

// duplicateID sends two requests with one id while the first is still in
// flight (a slow tool when the server lists one) and checks that each gets
// exactly one answer, the second possibly a -32600 rejection.
func duplicateID(ctx context.Context, s *session, st Setting) Answer {
	first, second := slowCall(ctx, s)
	id := s.p.nextID()
	ex1 := s.requestExchange(id, "tools/call", first)
	ex2 := s.requestExchange(id, "tools/call", second)
	var answers []Answer
	if s.conn != nil {
		if err := s.conn.writeCtx(ctx, append(append(ex1.body, '\n'), append(ex2.body, '\n')...)); err != nil {
			return Answer{Err: err.Error(), Closed: true}
		}
		for range 2 {
			f, ok, closed := s.conn.await(ctx, nil)
			if closed {
				answers = append(answers, Answer{Closed: true})
				break
			}
			if !ok {
				answers = append(answers, Answer{NoReply: true})
				break
			}
			m := f.msg
			answers = append(answers, Answer{Msg: &m, Raw: func() string {
				if f.bad {
					return excerpt(string(f.raw), 100)
				}
				return ""
			}()})
		}
	} else {
		answers = make([]Answer, 2)
		var wg sync.WaitGroup
		for i, ex := range []exchange{ex1, ex2} {
			wg.Go(func() { answers[i], _ = s.send(ctx, ex) })
		}
		wg.Wait()
	}
	var got []string
	rejected, answered := 0, 0
	for _, a := range answers {
		got = append(got, a.Summary())
		switch {
		case hasCode(a, wire.CodeInvalidRequest):
			rejected++
		case a.Msg != nil && (a.Msg.Result != nil || a.Msg.Error != nil):
			answered++
		}
	}
	out := Answer{Extra: fmt.Sprintf("%d replies: %s", len(answers), strings.Join(got, " | "))}
	out.dupOK = len(answers) == 2 && rejected+answered == 2 && rejected <= 1
	if len(answers) > 0 {
		out.Closed = answers[len(answers)-1].Closed
	}
	return out
}

// slowCall picks tools/call params that keep the first request in flight:
// the reference server's sleep tool, server-everything's long-running
// operation, or echo (then the overlap is not guaranteed).
func slowCall(ctx context.Context, s *session) (first, second map[string]any) {
	echo := map[string]any{"name": "echo", "arguments": map[string]any{"message": "dup"}}
	a := s.request(ctx, "tools/list", map[string]any{})
	if a.Msg == nil || a.Msg.Result == nil {
		return echo, echo
	}
	var r struct {
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	json.Unmarshal(a.Msg.Result, &r)
	for _, t := range r.Tools {
		switch t.Name {
		case "sleep":
			return map[string]any{"name": "sleep", "arguments": map[string]any{"ms": 300}}, echo
		case "trigger-long-running-operation":
			return map[string]any{"name": t.Name, "arguments": map[string]any{"duration": 0.3, "steps": 1}}, echo
		}
	}
	return echo, echo
}
