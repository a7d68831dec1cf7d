package mcptest

import (
	"context"
	"testing"
)

// The request scan itself is wire.EachMember / wire.Valid (tested in
// package wire); these tests pin how parseRequest and the tools read keys
// through it, escaped keys included.

func TestParseRequestReadsEscapedKeysAndValues(t *testing.T) {
	r, _, e := parseRequest([]byte(`{"json\u0072pc":"2.0","id":"a\"b","m\u0065thod":"tools\/call","params":{"na\u006de":"ec\u0068o","_m\u0065ta":{"progr\u0065ssToken":7}}}`))
	if e != nil {
		t.Fatal(e.Message)
	}
	if r.Method != "tools/call" || r.P.Name != "echo" || string(r.ID) != `"a\"b"` {
		t.Fatalf("%+v", r)
	}
	if r.P.Meta == nil || string(r.P.Meta.ProgressToken) != "7" {
		t.Fatalf("_meta = %+v", r.P.Meta)
	}
}

// TestKeyIs pins key matching on the raw contents wire.EachMember hands
// out (no quotes): a key spelled with escapes matches the name it
// decodes to, as it did when keys were matched with their quotes.
func TestKeyIs(t *testing.T) {
	tests := []struct {
		key, name string
		want      bool
	}{
		{`name`, "name", true},
		{`na\u006de`, "name", true},
		{`\u006e\u0061\u006d\u0065`, "name", true},
		{`na\/me`, "na/me", true},
		{`"name"`, "name", false}, // quotes are no longer part of the key
		{`nam`, "name", false},
		{`names`, "name", false},
		{`na\u006d`, "name", false},
		{`na\"me`, "name", false},
		{``, "", true},
		{``, "name", false},
	}
	for _, tt := range tests {
		t.Run(tt.key+"/"+tt.name, func(t *testing.T) {
			if got := keyIs([]byte(tt.key), tt.name); got != tt.want {
				t.Fatalf("keyIs(%q, %q) = %v, want %v", tt.key, tt.name, got, tt.want)
			}
		})
	}
}

func TestEchoReadsEscapedArgumentKey(t *testing.T) {
	tests := []struct {
		name, args, want string
	}{
		{"plain key", `{"message":"hi"}`, `"content":[{"type":"text","text":"hi"}]`},
		{"escaped key", `{"mess\u0061ge":"hi"}`, `"content":[{"type":"text","text":"hi"}]`},
		{"whitespace around", " \t{ \"message\" : \"hi\" }\n", `"content":[{"type":"text","text":"hi"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, isErr, e := runEcho(context.Background(), []byte(tt.args), nil)
			if e != nil || isErr || string(out) != tt.want {
				t.Fatalf("runEcho(%s) = %s, %v, %v", tt.args, out, isErr, e)
			}
		})
	}
	for _, bad := range []string{`[]`, `"message"`, `{"message":"hi"`} {
		if _, _, e := runEcho(context.Background(), []byte(bad), nil); e == nil {
			t.Errorf("runEcho(%s) accepted a non-object", bad)
		}
	}
}
