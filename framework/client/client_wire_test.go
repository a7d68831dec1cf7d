package client

import (
	"encoding/json"
	"testing"

	"github.com/mcpstress/mcpstress/wire"
)

func TestAppendRequest(t *testing.T) {
	meta := modernMeta(wire.Version20260728, "lg", "1")
	m := `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"lg","version":"1"}}`
	tests := []struct {
		name   string
		id     int64
		method string
		params string
		meta   []byte
		want   string
	}{
		{"legacy request", 7, "tools/call", `{"name":"echo"}`, nil, `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo"}}`},
		{"notification without params", -1, "notifications/initialized", "", nil, `{"jsonrpc":"2.0","method":"notifications/initialized"}`},
		{"modern splices _meta first", 1, "tools/call", `{"name":"echo"}`, meta, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{` + m + `,"name":"echo"}}`},
		{"modern with empty params", 2, "tools/list", `{ }`, meta, `{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{` + m + `}}`},
		{"modern with no params", 3, "server/discover", "", meta, `{"jsonrpc":"2.0","id":3,"method":"server/discover","params":{` + m + `}}`},
		{"method needing escapes", 4, "a\"b", "", nil, `{"jsonrpc":"2.0","id":4,"method":"a\"b"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(appendRequest(nil, tt.id, tt.method, []byte(tt.params), tt.meta))
			if got != tt.want+"\n" {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
			if !json.Valid([]byte(got)) {
				t.Fatal("not valid JSON")
			}
		})
	}
}

func TestAppendRequestMergesOwnMeta(t *testing.T) {
	got := appendRequest(nil, 1, "tools/call", []byte(`{"name":"echo","_meta":{"progressToken":5}}`), modernMeta(wire.Version20260728, "lg", "1"))
	var msg struct {
		Params struct {
			Name string
			Meta map[string]json.RawMessage `json:"_meta"`
		}
	}
	if err := json.Unmarshal(got, &msg); err != nil {
		t.Fatal(err)
	}
	if msg.Params.Name != "echo" || string(msg.Params.Meta["progressToken"]) != "5" || string(msg.Params.Meta[wire.MetaProtocolVersion]) != `"2026-07-28"` {
		t.Fatalf("merged params %s", got)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		msg  string
		want Outcome
		code int
	}{
		{`{"jsonrpc":"2.0","id":1,"result":{"content":[]}}`, OK, 0},
		{`{"jsonrpc":"2.0","id":1,"result":{"resultType":"input_required"}}`, OK, 0},
		{`{"jsonrpc":"2.0","id":1,"result":{"isError":true}}`, ToolError, 0},
		{`{"jsonrpc":"2.0","id":1,"error":{"code":0,"message":"go-sdk quirk"}}`, RPCError, 0},
		{`{"jsonrpc":"2.0","id":1,"error":{"code":-32022,"message":"v","data":{"supported":["2025-11-25"]}}}`, RPCError, -32022},
		{`{"jsonrpc":"2.0","id":1,"error":{"message":"no code"}}`, TransportError, 0},
		{`{"jsonrpc":"2.0","id":1,"result":{"resultType":"weird"}}`, TransportError, 0},
		{`{"jsonrpc":"2.0","id":1}`, TransportError, 0},
		{`{"id":1,"result":{}}`, TransportError, 0},
	}
	for _, tt := range tests {
		t.Run(tt.msg, func(t *testing.T) {
			env, err := wire.Scan([]byte(tt.msg))
			if err != nil {
				t.Fatal(err)
			}
			r := classify(&env)
			if r.Outcome != tt.want || r.Code != tt.code {
				t.Fatalf("got %v code %d (%v)", r.Outcome, r.Code, r.Err)
			}
		})
	}
	env, _ := wire.Scan([]byte(`{"jsonrpc":"2.0","id":1,"error":{"code":-32022,"message":"v","data":{"supported":["2025-11-25","2026-07-28","2099-01-01"]}}}`))
	if v := supportedFrom(classify(&env).Err); v != wire.Version20260728 {
		t.Fatalf("supportedFrom picked %q", v)
	}
}

func TestEncodeHeaderValue(t *testing.T) {
	for in, want := range map[string]string{"echo": "echo", "mem://a b": "mem://a b", " x": "=?base64?IHg=?=", "é": "=?base64?w6k=?=", "=?base64?x": "=?base64?PT9iYXNlNjQ/eA==?="} {
		if got := encodeHeaderValue(in); got != want {
			t.Errorf("encodeHeaderValue(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkEncodeAndClassify is the client's per-call CPU outside the
// syscalls: build a 2026 request, scan and classify its answer.
func BenchmarkEncodeAndClassify(b *testing.B) {
	meta := modernMeta(wire.Version20260728, "mcpstress", "0.1.0")
	params := []byte(`{"name":"echo","arguments":{"message":"hello"}}`)
	answer := []byte(`{"jsonrpc":"2.0","id":123456,"result":{"content":[{"type":"text","text":"hello"}],"structuredContent":{"echo":"hello"},"resultType":"complete","_meta":{"io.modelcontextprotocol/serverInfo":{"name":"ref","version":"0.1.0"}}}}`)
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf = appendRequest(buf[:0], int64(i), "tools/call", params, meta)
		env, err := wire.Scan(answer)
		if err != nil {
			b.Fatal(err)
		}
		if _, ok := env.IntID(); !ok {
			b.Fatal("id")
		}
		if r := classify(&env); r.Outcome != OK {
			b.Fatal(r.Err)
		}
	}
}
