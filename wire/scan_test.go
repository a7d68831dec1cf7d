package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

func TestScanEnvelope(t *testing.T) {
	tests := []struct {
		name, in        string
		id, method, res string
		version         bool
	}{
		{"response with result", `{"jsonrpc":"2.0","id":7,"result":{"isError":true}}`, "7", "", `{"isError":true}`, true},
		{"notification", ` {"method":"notifications/progress","jsonrpc":"2.0","params":{"a":[1,2.5e3,"x\"y"]}} `, "", `"notifications/progress"`, "", true},
		{"wrong version", `{"jsonrpc":"1.0","id":"s","result":null}`, `"s"`, "", "null", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := Scan([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(env.ID) != tt.id || string(env.Method) != tt.method || string(env.Result) != tt.res || env.VersionOK() != tt.version {
				t.Fatalf("got %+v", env)
			}
		})
	}
}

func TestScanRejectsInvalidJSON(t *testing.T) {
	for _, in := range []string{``, `garbage`, `[1]`, `{"id":1`, `{"id":01}`, `{"id":1}x`, `{"a":"\x01"}`, `{"a":tru}`, `{"a":[1,]}`, `{"a":"\q"}`} {
		t.Run(in, func(t *testing.T) {
			if _, err := Scan([]byte(in)); !errors.Is(err, ErrNotJSON) {
				t.Fatalf("Scan(%q) = %v, want ErrNotJSON", in, err)
			}
		})
	}
}

func TestIntIDAndFields(t *testing.T) {
	env, _ := Scan([]byte(`{"id":-42,"error":{"code":-32602,"message":"bad \u0041"}}`))
	if id, ok := env.IntID(); !ok || id != -42 {
		t.Fatalf("IntID = %d, %v", id, ok)
	}
	code, msg, ok := ErrorFields(env.Error)
	if !ok || code != -32602 || msg != "bad A" {
		t.Fatalf("ErrorFields = %d %q %v", code, msg, ok)
	}
	isErr, rt, ok := ResultFlags([]byte(`{"resultType":"complete","isError":false}`))
	if isErr || string(rt) != `"complete"` || !ok {
		t.Fatalf("ResultFlags = %v %s %v", isErr, rt, ok)
	}
}

// FuzzScan checks Scan against encoding/json: it accepts exactly the valid
// JSON objects, and finds the same id.
func FuzzScan(f *testing.F) {
	for _, s := range []string{`{"jsonrpc":"2.0","id":1,"result":{}}`, `{"a":[{"b":null}],"id":"x"}`, `{}`, `{"id":1e5}`, `[]`, `{"\u0069d":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		env, err := Scan(in)
		var m map[string]json.RawMessage
		jerr := json.Unmarshal(in, &m)
		valid := json.Valid(in) && jerr == nil && m != nil
		if (err == nil) != valid {
			t.Fatalf("Scan err=%v but encoding/json valid=%v for %q", err, valid, in)
		}
		if err == nil {
			// Keys spelled with escapes are unknown to Scan, so only an id
			// Scan found is compared.
			if env.ID != nil && !bytes.Contains(in, []byte(`\\`)) && string(env.ID) != string(m["id"]) {
				t.Fatalf("id %q vs %q", env.ID, m["id"])
			}
		}
	})
}

func BenchmarkScan(b *testing.B) {
	msg := []byte(`{"jsonrpc":"2.0","id":123456,"result":{"content":[{"type":"text","text":"hello"}],"structuredContent":{"echo":"hello"},"resultType":"complete","_meta":{"io.modelcontextprotocol/serverInfo":{"name":"ref","version":"0.1.0"}}}}`)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Scan(msg); err != nil {
			b.Fatal(err)
		}
	}
}
