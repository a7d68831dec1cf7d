package mcptest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/wire"
)

type httpReply struct {
	status int
	header http.Header
	msg    map[string]any // the JSON-RPC message, nil if the body is not one
	body   string
}

func newHTTPClient(t testing.TB) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// postMCP POSTs body with the standard headers plus hdr.
func postMCP(t testing.TB, c *http.Client, url, body string, hdr map[string]string) httpReply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	return doHTTP(t, c, req)
}

func doHTTP(t testing.TB, c *http.Client, req *http.Request) httpReply {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := httpReply{status: resp.StatusCode, header: resp.Header, body: string(b)}
	payload := b
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		payload = nil
		for line := range strings.SplitSeq(string(b), "\n") {
			if d, ok := strings.CutPrefix(line, "data: "); ok {
				payload = []byte(d)
			}
		}
	}
	_ = json.Unmarshal(payload, &r.msg)
	return r
}

func modernHeaders(method, name string) map[string]string {
	h := map[string]string{wire.HeaderProtocolVersion: wire.Version20260728, wire.HeaderMethod: method}
	if name != "" {
		h[wire.HeaderName] = name
	}
	return h
}

func TestHTTPModern(t *testing.T) {
	for _, mode := range []string{HTTPResponseJSON, HTTPResponseSSE} {
		t.Run(mode, func(t *testing.T) {
			s := startInProcess(t, Options{Transport: TransportHTTP, HTTPResponse: mode})
			c := newHTTPClient(t)
			url := s.Target()
			echo := reqLine(1, "tools/call", `"name":"echo","arguments":{"message":"hi"}`, true)
			cases := []struct {
				name, body string
				hdr        map[string]string
				status     int
				code       int
			}{
				{"discover", reqLine(1, "server/discover", "", true), modernHeaders("server/discover", ""), 200, 0},
				{"echo", echo, modernHeaders("tools/call", "echo"), 200, 0},
				{"base64 Mcp-Name", echo, modernHeaders("tools/call", "=?base64?ZWNobw==?="), 200, 0},
				{"read", reqLine(1, "resources/read", `"uri":"mcptest://static/hello"`, true), modernHeaders("resources/read", "mcptest://static/hello"), 200, 0},
				{"prompt", reqLine(1, "prompts/get", `"name":"simple"`, true), modernHeaders("prompts/get", "simple"), 200, 0},
				{"missing Mcp-Method", echo, map[string]string{wire.HeaderProtocolVersion: wire.Version20260728}, 400, wire.CodeHeaderMismatch},
				{"Mcp-Method mismatch", echo, modernHeaders("tools/list", "echo"), 400, wire.CodeHeaderMismatch},
				{"Mcp-Name mismatch", echo, modernHeaders("tools/call", "add"), 400, wire.CodeHeaderMismatch},
				{"missing Mcp-Name", echo, modernHeaders("tools/call", ""), 400, wire.CodeHeaderMismatch},
				{"version header differs from _meta", strings.Replace(echo, "2026-07-28", "2099-01-01", 1), modernHeaders("tools/call", "echo"), 400, wire.CodeHeaderMismatch},
				{"missing version header", echo, map[string]string{wire.HeaderMethod: "tools/call", wire.HeaderName: "echo"}, 400, wire.CodeHeaderMismatch},
				{"unsupported version", strings.Replace(echo, "2026-07-28", "2099-01-01", 1),
					map[string]string{wire.HeaderProtocolVersion: "2099-01-01", wire.HeaderMethod: "tools/call", wire.HeaderName: "echo"}, 400, wire.CodeUnsupportedProtocolVersion},
				{"modern header, no _meta", reqLine(1, "tools/list", "", false), modernHeaders("tools/list", ""), 400, wire.CodeInvalidParams},
				{"unknown method is 404", reqLine(1, "ping", "", true), modernHeaders("ping", ""), 404, wire.CodeMethodNotFound},
				{"unknown tool is 400", reqLine(1, "tools/call", `"name":"nope"`, true), modernHeaders("tools/call", "nope"), 400, wire.CodeInvalidParams},
				{"tool error is 200", reqLine(1, "tools/call", `"name":"error"`, true), modernHeaders("tools/call", "error"), 200, wire.CodeInternalError},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					r := postMCP(t, c, url, tc.body, tc.hdr)
					if r.status != tc.status || errCode(r.msg) != tc.code {
						t.Fatalf("got %d code %d, want %d code %d: %s", r.status, errCode(r.msg), tc.status, tc.code, r.body)
					}
					if r.header.Get(wire.HeaderSessionID) != "" {
						t.Error("a 2026 reply carries Mcp-Session-Id")
					}
					if r.status == 200 {
						wantCT := map[string]string{HTTPResponseJSON: "application/json", HTTPResponseSSE: "text/event-stream"}[mode]
						if ct := r.header.Get("Content-Type"); ct != wantCT {
							t.Errorf("Content-Type %q, want %q", ct, wantCT)
						}
					}
				})
			}
			for _, m := range []string{http.MethodGet, http.MethodDelete} {
				req, _ := http.NewRequest(m, url, nil)
				req.Header.Set(wire.HeaderProtocolVersion, wire.Version20260728)
				if r := doHTTP(t, c, req); r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "POST" {
					t.Errorf("%s: %d Allow %q", m, r.status, r.header.Get("Allow"))
				}
			}
		})
	}
}

func TestHTTPLegacySessions(t *testing.T) {
	// Session expiry runs on a fake clock that only the expiry step
	// moves, so no step can see its session expire on a loaded machine.
	clk := newFakeClock()
	o := Options{Transport: TransportHTTP, SessionIdleTimeout: 2 * time.Second, HTTPResponse: HTTPResponseSSE}
	o.clock = clk.now
	s := startInProcess(t, o)
	c := newHTTPClient(t)
	url := s.Target()
	r := postMCP(t, c, url, initLine, nil)
	sid := r.header.Get(wire.HeaderSessionID)
	if r.status != 200 || sid == "" || result(r.msg)["protocolVersion"] != wire.Version20251125 {
		t.Fatalf("initialize: %d %q %s", r.status, sid, r.body)
	}
	hdr := map[string]string{wire.HeaderSessionID: sid, wire.HeaderProtocolVersion: wire.Version20251125}
	if r := postMCP(t, c, url, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, hdr); r.status != http.StatusAccepted {
		t.Fatalf("initialized: %d", r.status)
	}
	if r := postMCP(t, c, url, reqLine(2, "tools/call", `"name":"echo","arguments":{"message":"s"}`, false), hdr); firstText(r.msg) != "s" || r.header.Get(wire.HeaderSessionID) != sid {
		t.Fatalf("echo in session: %d %s", r.status, r.body)
	}
	if r := postMCP(t, c, url, reqLine(3, "tools/list", "", false), nil); r.status != 400 || errCode(r.msg) != wire.CodeInvalidRequest {
		t.Fatalf("no session id: %d %s", r.status, r.body)
	}
	if r := postMCP(t, c, url, reqLine(3, "tools/list", "", false), map[string]string{wire.HeaderSessionID: "nope"}); r.status != 404 {
		t.Fatalf("unknown session id: %d %s", r.status, r.body)
	}
	if r := postMCP(t, c, url, reqLine(3, "tools/list", "", false), map[string]string{wire.HeaderSessionID: sid, wire.HeaderProtocolVersion: "2024-01-01"}); r.status != 400 {
		t.Fatalf("bad version header: %d %s", r.status, r.body)
	}
	if r := postMCP(t, c, url, initLine, hdr); errCode(r.msg) != wire.CodeInvalidRequest {
		t.Fatalf("second initialize on a session: %d %s", r.status, r.body)
	}

	t.Run("duplicate in-flight id", func(t *testing.T) {
		done := make(chan httpReply, 1)
		go func() {
			done <- postMCP(t, c, url, reqLine(9, "tools/call", `"name":"sleep","arguments":{"ms":300}`, false), hdr)
		}()
		// The request is in flight (its id registered) once the server
		// counts it: InFlight is raised after the id is.
		waitFor(t, "the slow request to be in flight", func() bool { return statsOf(t, s).InFlight >= 1 })
		r := postMCP(t, c, url, reqLine(9, "ping", "", false), hdr)
		if r.status != 400 || errCode(r.msg) != wire.CodeInvalidRequest {
			t.Errorf("duplicate: %d %s", r.status, r.body)
		}
		if r := <-done; firstText(r.msg) != "slept 300 ms" {
			t.Errorf("original: %s", r.body)
		}
	})

	t.Run("DELETE ends the session", func(t *testing.T) {
		r := postMCP(t, c, url, initLine, nil)
		sid2 := r.header.Get(wire.HeaderSessionID)
		req, _ := http.NewRequest(http.MethodDelete, url, nil)
		req.Header.Set(wire.HeaderSessionID, sid2)
		if r := doHTTP(t, c, req); r.status != http.StatusNoContent {
			t.Fatalf("DELETE: %d", r.status)
		}
		if r := postMCP(t, c, url, reqLine(1, "ping", "", false), map[string]string{wire.HeaderSessionID: sid2}); r.status != 404 {
			t.Fatalf("after DELETE: %d", r.status)
		}
	})

	t.Run("idle session expires with 404", func(t *testing.T) {
		clk.advance(2*time.Second + time.Millisecond) // longer than SessionIdleTimeout
		if r := postMCP(t, c, url, reqLine(5, "ping", "", false), hdr); r.status != 404 {
			t.Fatalf("expired session: %d %s", r.status, r.body)
		}
	})

	st, _ := s.Stats(t.Context())
	if st.Sessions != 2 {
		t.Errorf("sessions = %d, want 2", st.Sessions)
	}
	// Every answer above, by status. 200: two initializes, the echo, the
	// second initialize (a JSON-RPC error, legacy status 200), the sleep.
	// 400: no session id, bad version header, duplicate id. 404: unknown,
	// deleted and expired sessions.
	want := map[string]int64{"200": 5, "202": 1, "204": 1, "400": 3, "404": 3}
	for code, n := range want {
		if st.HTTPStatus[code] != n {
			t.Errorf("HTTP %s counted %d times, want %d (all: %v)", code, st.HTTPStatus[code], n, st.HTTPStatus)
		}
	}
}

func TestHTTPTransportErrors(t *testing.T) {
	s := startInProcess(t, Options{Transport: TransportHTTP, Token: "s3cret", MaxFrame: 1000})
	c := newHTTPClient(t)
	url := s.Target()
	auth := map[string]string{"Authorization": "Bearer s3cret"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{"Authorization": "Bearer s3cret"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name, body string
		hdr        map[string]string
		status     int
		code       int
	}{
		{"no token", initLine, nil, 401, 0},
		{"wrong token", initLine, map[string]string{"Authorization": "Bearer nope"}, 401, 0},
		{"good token", initLine, auth, 200, 0},
		{"foreign Origin", initLine, with("Origin", "https://evil.example"), 403, 0},
		{"loopback Origin", initLine, with("Origin", "http://127.0.0.1:3000"), 200, 0},
		{"bad content type", initLine, with("Content-Type", "text/plain"), 415, 0},
		{"bad accept", initLine, with("Accept", "application/json"), 406, 0},
		{"malformed JSON", `{"jsonrpc":`, auth, 400, wire.CodeParseError},
		{"batch", `[` + initLine + `]`, auth, 400, wire.CodeInvalidRequest},
		{"body over MaxFrame", `{"jsonrpc":"2.0","id":1,"method":"` + strings.Repeat("x", 2000) + `"}`, auth, 413, wire.CodeInvalidRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := postMCP(t, c, url, tc.body, tc.hdr)
			if r.status != tc.status || errCode(r.msg) != tc.code {
				t.Fatalf("got %d code %d, want %d code %d: %s", r.status, errCode(r.msg), tc.status, tc.code, r.body)
			}
			if r.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without a Bearer challenge: %v", r.header)
			}
		})
	}
}

func TestHTTPBlockedRegistryHoldsSessionsNotStatelessRequests(t *testing.T) {
	s := startInProcess(t, Options{Transport: TransportHTTP})
	c := newHTTPClient(t)
	url := s.Target()
	sid := postMCP(t, c, url, initLine, nil).header.Get(wire.HeaderSessionID)
	if err := s.SetFaults(t.Context(), Faults{BlockRegistry: true}); err != nil {
		t.Fatal(err)
	}
	if r := postMCP(t, c, url, reqLine(1, "tools/list", "", true), modernHeaders("tools/list", "")); r.status != 200 {
		t.Fatalf("stateless request while blocked: %d %s", r.status, r.body)
	}
	done := make(chan httpReply, 1)
	go func() {
		done <- postMCP(t, c, url, reqLine(2, "ping", "", false), map[string]string{wire.HeaderSessionID: sid})
	}()
	// Positive signal: the server reports the request as held by the
	// blocked registry (RegistryWaiting counts only requests actually
	// waiting on it); while it does, no answer can have been sent.
	waitFor(t, "the session lookup to wait on the blocked registry", func() bool { return statsOf(t, s).RegistryWaiting == 1 })
	select {
	case r := <-done:
		t.Fatalf("session lookup answered while the registry is blocked: %d %s", r.status, r.body)
	default:
	}
	if err := s.SetFaults(t.Context(), Faults{}); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r.status != 200 || errCode(r.msg) != 0 {
		t.Fatalf("after unblock: %d %s", r.status, r.body)
	}
}
