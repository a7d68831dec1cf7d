package mcptest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mcpstress/mcpstress/wire"
)

// reqLine builds a request; params is the inside of the params object
// (without braces); modern adds the 2026-07-28 _meta.
func reqLine(id int, method, params string, modern bool) string {
	if modern {
		if params != "" {
			params += ","
		}
		params += modernMeta
	}
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q,"params":{%s}}`, id, method, params)
}

func TestMethodsAndToolsInBothGenerations(t *testing.T) {
	s := startInProcess(t, Options{})
	type check func(t *testing.T, r map[string]any)
	text := func(want string) check {
		return func(t *testing.T, r map[string]any) {
			if got := firstText(r); got != want {
				t.Errorf("text = %q, want %q", got, want)
			}
		}
	}
	has := func(key string) check {
		return func(t *testing.T, r map[string]any) {
			if _, ok := result(r)[key]; !ok {
				t.Errorf("result lacks %q: %v", key, r)
			}
		}
	}
	cases := []struct {
		name, method, params string
		wantCode             int // 0: success
		legacyCode           int // when legacy differs (-1: same as wantCode)
		check                check
	}{
		{"tools/list lists every tool", "tools/list", "", 0, -1, func(t *testing.T, r map[string]any) {
			if got := len(result(r)["tools"].([]any)); got != len(newToolset().list) {
				t.Errorf("%d tools, want %d", got, len(newToolset().list))
			}
		}},
		{"echo returns its message", "tools/call", `"name":"echo","arguments":{"message":"héllo \"q\"\n"}`, 0, -1, text("héllo \"q\"\n")},
		{"add sums", "tools/call", `"name":"add","arguments":{"a":2,"b":0.5}`, 0, -1, text("2.5")},
		{"sleep waits", "tools/call", `"name":"sleep","arguments":{"ms":1}`, 0, -1, text("slept 1 ms")},
		{"cpu spins", "tools/call", `"name":"cpu","arguments":{"us":100}`, 0, -1, has("content")},
		{"large returns exactly N bytes", "tools/call", `"name":"large","arguments":{"bytes":1000}`, 0, -1, func(t *testing.T, r map[string]any) {
			if got := len(firstText(r)); got != 1000 {
				t.Errorf("len = %d, want 1000", got)
			}
		}},
		{"fail is a tool error", "tools/call", `"name":"fail"`, 0, -1, func(t *testing.T, r map[string]any) {
			if result(r)["isError"] != true {
				t.Errorf("isError missing: %v", r)
			}
		}},
		{"error is a JSON-RPC error", "tools/call", `"name":"error"`, wire.CodeInternalError, -1, nil},
		{"error takes a code", "tools/call", `"name":"error","arguments":{"code":-32001}`, -32001, -1, nil},
		{"unknown tool is -32602", "tools/call", `"name":"nope"`, wire.CodeInvalidParams, -1, nil},
		{"missing argument is -32602", "tools/call", `"name":"echo","arguments":{}`, wire.CodeInvalidParams, -1, nil},
		{"wrong argument type is -32602", "tools/call", `"name":"add","arguments":{"a":"x","b":1}`, wire.CodeInvalidParams, -1, nil},
		{"out-of-range argument is a tool error", "tools/call", `"name":"large","arguments":{"bytes":-1}`, 0, -1, func(t *testing.T, r map[string]any) {
			if result(r)["isError"] != true {
				t.Errorf("isError missing: %v", r)
			}
		}},
		{"non-string name is -32602", "tools/call", `"name":5`, wire.CodeInvalidParams, -1, nil},
		{"resources/list", "resources/list", "", 0, -1, has("resources")},
		{"resources/templates/list", "resources/templates/list", "", 0, -1, has("resourceTemplates")},
		{"resources/read text", "resources/read", `"uri":"mcptest://static/hello"`, 0, -1, func(t *testing.T, r map[string]any) {
			c := result(r)["contents"].([]any)[0].(map[string]any)
			if c["text"] != helloText {
				t.Errorf("text = %v", c["text"])
			}
		}},
		{"resources/read blob", "resources/read", `"uri":"mcptest://static/blob"`, 0, -1, has("contents")},
		{"resources/read template", "resources/read", `"uri":"mcptest://echo/abc"`, 0, -1, has("contents")},
		{"missing resource: -32602 modern, -32002 legacy", "resources/read", `"uri":"mcptest://nope"`, wire.CodeInvalidParams, wire.CodeResourceNotFound, nil},
		{"prompts/list", "prompts/list", "", 0, -1, has("prompts")},
		{"prompts/get", "prompts/get", `"name":"greet","arguments":{"name":"Ann"}`, 0, -1, has("messages")},
		{"prompts/get missing argument", "prompts/get", `"name":"greet"`, wire.CodeInvalidParams, -1, nil},
		{"unknown prompt", "prompts/get", `"name":"nope"`, wire.CodeInvalidParams, -1, nil},
		{"bad cursor", "tools/list", `"cursor":"x"`, wire.CodeInvalidParams, -1, nil},
		{"unknown method", "foo/bar", "", wire.CodeMethodNotFound, -1, nil},
		{"ping: legacy only", "ping", "", wire.CodeMethodNotFound, 0, nil},
		{"server/discover: modern only", "server/discover", "", 0, wire.CodeMethodNotFound, has("supportedVersions")},
	}
	for _, gen := range []string{"legacy", "modern"} {
		modern := gen == "modern"
		l := initialized(t, s.Addr())
		for i, c := range cases {
			t.Run(gen+"/"+c.name, func(t *testing.T) {
				r := l.call(reqLine(i+1, c.method, c.params, modern))
				if r["id"] != float64(i+1) {
					t.Fatalf("id = %v, want %d", r["id"], i+1)
				}
				want := c.wantCode
				if !modern && c.legacyCode != -1 {
					want = c.legacyCode
				}
				if got := errCode(r); got != want {
					t.Fatalf("code = %d, want %d: %v", got, want, r)
				}
				if want != 0 {
					return
				}
				_, hasRT := result(r)["resultType"]
				if hasRT != modern {
					t.Errorf("resultType present = %v in %s generation", hasRT, gen)
				}
				if c.check != nil {
					c.check(t, r)
				}
			})
		}
	}
}

func TestModernRequestChecks(t *testing.T) {
	s := startInProcess(t, Options{})
	l := dialLine(t, s.Addr()) // no initialize: 2026 is stateless
	cases := []struct {
		name, line string
		want       int
	}{
		{"unsupported version gets -32022",
			`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2099-01-01","io.modelcontextprotocol/clientCapabilities":{}}}}`,
			wire.CodeUnsupportedProtocolVersion},
		{"missing clientCapabilities gets -32602",
			`{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`,
			wire.CodeInvalidParams},
		{"initialize is removed in 2026", reqLine(3, "initialize", `"protocolVersion":"2025-11-25"`, true), wire.CodeMethodNotFound},
		{"discover works without initialize", reqLine(4, "server/discover", "", true), 0},
		{"echo works without initialize", reqLine(5, "tools/call", `"name":"echo","arguments":{"message":"x"}`, true), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := l.call(c.line)
			if got := errCode(r); got != c.want {
				t.Fatalf("code = %d, want %d: %v", got, c.want, r)
			}
		})
	}
	r := l.call(cases[0].line)
	data := r["error"].(map[string]any)["data"].(map[string]any)
	if data["requested"] != "2099-01-01" || len(data["supported"].([]any)) != 3 {
		t.Errorf("-32022 data = %v", data)
	}
}

func TestLegacyLifecycle(t *testing.T) {
	s := startInProcess(t, Options{})
	l := dialLine(t, s.Addr())
	if r := l.call(reqLine(1, "tools/list", "", false)); errCode(r) != wire.CodeInvalidRequest ||
		!strings.Contains(r["error"].(map[string]any)["message"].(string), "initialize") {
		t.Fatalf("request before initialize: %v", r)
	}
	if r := l.call(reqLine(2, "ping", "", false)); errCode(r) != 0 {
		t.Fatalf("ping before initialize: %v", r)
	}
	r := l.call(`{"jsonrpc":"2.0","id":3,"method":"initialize","params":{"protocolVersion":"1999-01-01","capabilities":{}}}`)
	if got := result(r)["protocolVersion"]; got != wire.Version20251125 {
		t.Fatalf("unsupported version negotiated to %v, want %s", got, wire.Version20251125)
	}
	if r := l.call(initLine); errCode(r) != wire.CodeInvalidRequest {
		t.Fatalf("second initialize: %v", r)
	}
	if r := l.call(reqLine(4, "tools/list", "", false)); errCode(r) != 0 {
		t.Fatalf("after initialize: %v", r)
	}
	l2 := dialLine(t, s.Addr())
	r = l2.call(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{}}}`)
	if got := result(r)["protocolVersion"]; got != wire.Version20250618 {
		t.Fatalf("2025-06-18 negotiated to %v", got)
	}
}

func TestJSONRPCErrors(t *testing.T) {
	s := startInProcess(t, Options{MaxFrame: 1024})
	l := initialized(t, s.Addr())
	cases := []struct {
		name, line string
		want       int
		wantNullID bool
	}{
		{"malformed JSON", `{"jsonrpc":"2.0","id":1,`, wire.CodeParseError, true},
		{"not JSON at all", `hello`, wire.CodeParseError, true},
		{"batch", `[{"jsonrpc":"2.0","id":1,"method":"ping"}]`, wire.CodeInvalidRequest, true},
		{"scalar", `42`, wire.CodeInvalidRequest, true},
		{"wrong jsonrpc", `{"jsonrpc":"1.0","id":7,"method":"ping"}`, wire.CodeInvalidRequest, false},
		{"missing jsonrpc", `{"id":7,"method":"ping"}`, wire.CodeInvalidRequest, false},
		{"null id", `{"jsonrpc":"2.0","id":null,"method":"ping"}`, wire.CodeInvalidRequest, true},
		{"fractional id", `{"jsonrpc":"2.0","id":1.5,"method":"ping"}`, wire.CodeInvalidRequest, true},
		{"object id", `{"jsonrpc":"2.0","id":{},"method":"ping"}`, wire.CodeInvalidRequest, true},
		{"missing method", `{"jsonrpc":"2.0","id":7}`, wire.CodeInvalidRequest, false},
		{"numeric method", `{"jsonrpc":"2.0","id":7,"method":5}`, wire.CodeInvalidRequest, false},
		{"array params", `{"jsonrpc":"2.0","id":7,"method":"tools/list","params":[]}`, wire.CodeInvalidParams, false},
		{"frame over MaxFrame", `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"message":"` + strings.Repeat("x", 2000) + `"}}}`, wire.CodeInvalidRequest, true},
		{"internal error from a tool", `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"error"}}`, wire.CodeInternalError, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := l.call(c.line)
			if got := errCode(r); got != c.want {
				t.Fatalf("code = %d, want %d: %v", got, c.want, r)
			}
			if (r["id"] == nil) != c.wantNullID {
				t.Errorf("id = %v, want null: %v", r["id"], c.wantNullID)
			}
			// The connection stays usable after every error.
			if r := l.call(reqLine(99, "tools/call", `"name":"echo","arguments":{"message":"still here"}`, false)); firstText(r) != "still here" {
				t.Fatalf("connection unusable after %s: %v", c.name, r)
			}
		})
	}
	t.Run("the size limit is named in the error", func(t *testing.T) {
		r := l.call(strings.Repeat("y", 5000))
		if msg := r["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "1024") {
			t.Errorf("message %q does not name the limit", msg)
		}
	})
	t.Run("notifications and client responses get no answer", func(t *testing.T) {
		l.send(`{"jsonrpc":"2.0","method":"notifications/whatever"}`,
			`{"jsonrpc":"2.0","id":5,"result":{}}`,
			`{"jsonrpc":"2.0","method":"tools/call","params":{"name":"echo"}}`)
		if r := l.call(reqLine(100, "ping", "", false)); r["id"] != float64(100) {
			t.Fatalf("got %v, want the ping reply first", r)
		}
	})
}
