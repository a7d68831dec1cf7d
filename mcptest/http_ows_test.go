package mcptest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mcpstress/mcpstress/wire"
)

// TestHTTPHeaderValuesIgnoreOptionalWhitespace sends every MCP header the
// HTTP transport compares with spaces and tabs around its value (RFC 9110
// §5.5 optional whitespace) and expects exactly the answer the bare value
// gets. It calls the handler directly: net/http's HTTP/1 parser already
// strips the whitespace on the wire, but the handler must not rely on
// that (HTTP/2, a wrapping handler, or an in-process caller keep it).
func TestHTTPHeaderValuesIgnoreOptionalWhitespace(t *testing.T) {
	s := newHTTPHandler(newHandler(Faults{}), Options{Transport: TransportHTTP, Token: "s3cret"}.withDefaults())
	do := func(method, body string, hdr map[string]string) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest(method, "http://127.0.0.1/mcp", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Accept", "application/json, text/event-stream")
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}
	pad := func(v string) string { return " \t" + v + "\t " }
	// padAll pads the MCP headers; the bearer token is padded in a case
	// of its own, so that a 401 cannot hide what the others check.
	padAll := func(hdr map[string]string) map[string]string {
		p := make(map[string]string, len(hdr))
		for k, v := range hdr {
			if k != "Authorization" {
				v = pad(v)
			}
			p[k] = v
		}
		return p
	}
	with := func(kv ...string) map[string]string {
		m := map[string]string{"Authorization": "Bearer s3cret"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}

	t.Run("2026 headers", func(t *testing.T) {
		echo := reqLine(1, "tools/call", `"name":"echo","arguments":{"message":"hi"}`, true)
		read := reqLine(2, "resources/read", `"uri":"mcptest://static/hello"`, true)
		cases := []struct {
			name, body string
			hdr        map[string]string
		}{
			{"tools/call", echo, with(wire.HeaderProtocolVersion, wire.Version20260728, wire.HeaderMethod, "tools/call", wire.HeaderName, "echo")},
			{"base64 Mcp-Name", echo, with(wire.HeaderProtocolVersion, wire.Version20260728, wire.HeaderMethod, "tools/call", wire.HeaderName, "=?base64?ZWNobw==?=")},
			{"resources/read", read, with(wire.HeaderProtocolVersion, wire.Version20260728, wire.HeaderMethod, "resources/read", wire.HeaderName, "mcptest://static/hello")},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				bare, padded := do(http.MethodPost, tc.body, tc.hdr), do(http.MethodPost, tc.body, padAll(tc.hdr))
				if bare.Code != http.StatusOK {
					t.Fatalf("bare headers: %d %s", bare.Code, bare.Body)
				}
				if padded.Code != bare.Code || padded.Body.String() != bare.Body.String() {
					t.Fatalf("padded headers: %d %s\nbare headers: %d %s", padded.Code, padded.Body, bare.Code, bare.Body)
				}
			})
		}
		// A padded 2026 version header still selects the 2026 rules for
		// methods other than POST.
		for _, m := range []string{http.MethodGet, http.MethodDelete} {
			w := do(m, "", padAll(with(wire.HeaderProtocolVersion, wire.Version20260728)))
			if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "POST" {
				t.Errorf("%s with a padded 2026 version header: %d Allow %q, want 405 Allow \"POST\"", m, w.Code, w.Header().Get("Allow"))
			}
		}
	})

	t.Run("legacy session headers", func(t *testing.T) {
		w := do(http.MethodPost, initLine, padAll(with(wire.HeaderProtocolVersion, wire.Version20251125)))
		sid := w.Header().Get(wire.HeaderSessionID)
		if w.Code != http.StatusOK || sid == "" {
			t.Fatalf("initialize with a padded version header: %d %s", w.Code, w.Body)
		}
		hdr := padAll(with(wire.HeaderSessionID, sid, wire.HeaderProtocolVersion, wire.Version20251125))
		if w := do(http.MethodPost, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, hdr); w.Code != http.StatusAccepted {
			t.Fatalf("initialized with a padded session id: %d %s", w.Code, w.Body)
		}
		w = do(http.MethodPost, reqLine(3, "tools/call", `"name":"echo","arguments":{"message":"s"}`, false), hdr)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"text":"s"`) {
			t.Fatalf("echo with a padded session id: %d %s", w.Code, w.Body)
		}
		if got := w.Header().Get(wire.HeaderSessionID); got != sid {
			t.Errorf("reply names session %q, want the bare %q", got, sid)
		}
		if w := do(http.MethodDelete, "", hdr); w.Code != http.StatusNoContent {
			t.Fatalf("DELETE with a padded session id: %d %s", w.Code, w.Body)
		}
	})

	t.Run("Authorization", func(t *testing.T) {
		w := do(http.MethodPost, reqLine(1, "tools/list", "", true), map[string]string{"Authorization": pad("Bearer s3cret"),
			wire.HeaderProtocolVersion: wire.Version20260728, wire.HeaderMethod: "tools/list"})
		if w.Code != http.StatusOK {
			t.Fatalf("padded bearer token: %d %s", w.Code, w.Body)
		}
	})
}
