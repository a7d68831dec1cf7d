package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
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

// validCases are inputs on which Valid must agree with encoding/json.Valid,
// deep nesting on both sides of its 10000 bound included.
var validCases = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1.5e-3`, `true`, `null`, ` {"a" : [1, {"b":null}] } `,
	`"\u00e9\n\"\\\/"`, "\"\xff\"", `{"a":1,}`, `[1,]`, `01`, `1.`, `.5`, `-`, `1e`, `"\x"`, `"\u12"`,
	"\"\x01\"", `{"a" 1}`, `{1:2}`, `[`, `{"a":1}x`, `tru`, `nul`, ``, ` `, `1 2`, `{}{}`, "\t[ ]\r\n",
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000),
	strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001),
	strings.Repeat("[", 100) + strings.Repeat("]", 100),
}

func TestValidAgreesWithEncodingJSON(t *testing.T) {
	for _, c := range validCases {
		if got, want := Valid([]byte(c)), json.Valid([]byte(c)); got != want {
			t.Errorf("Valid(%.40q) = %v, encoding/json says %v", c, got, want)
		}
	}
}

// TestScanNestingBound checks that Scan's depth bound is encoding/json's:
// 10000 levels (the envelope included) pass, 10001 do not.
func TestScanNestingBound(t *testing.T) {
	for _, tt := range []struct {
		levels int
		ok     bool
	}{{10000, true}, {10001, false}} {
		in := `{"id":1,"params":` + strings.Repeat("[", tt.levels-1) + strings.Repeat("]", tt.levels-1) + "}"
		if _, err := Scan([]byte(in)); (err == nil) != tt.ok || json.Valid([]byte(in)) != tt.ok {
			t.Errorf("%d levels: Scan err = %v, json.Valid = %v, want ok=%v", tt.levels, err, json.Valid([]byte(in)), tt.ok)
		}
	}
}

func TestEachMember(t *testing.T) {
	type kv struct{ k, v string }
	tests := []struct {
		name, in string
		want     []kv
		ok       bool
	}{
		{"empty", `{}`, nil, true},
		{"white space around", " \t{ \"a\" : 1 , \"b\":[true,null] }\r\n", []kv{{"a", "1"}, {"b", "[true,null]"}}, true},
		{"escaped key kept raw", `{"na\u006de":"x","\"q\"":{}}`, []kv{{`na\u006de`, `"x"`}, {`\"q\"`, "{}"}}, true},
		{"duplicates all passed", `{"a":1,"a":2}`, []kv{{"a", "1"}, {"a", "2"}}, true},
		{"not an object", `[1]`, nil, false},
		{"empty input", ``, nil, false},
		{"trailing bytes", `{"a":1} x`, []kv{{"a", "1"}}, false},
		{"two objects", `{}{}`, nil, false},
		{"bad value after good member", `{"a":1,"b":tru}`, []kv{{"a", "1"}}, false},
		{"trailing comma", `{"a":1,}`, []kv{{"a", "1"}}, false},
		{"too deep", `{"a":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "}", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []kv
			err := EachMember([]byte(tt.in), func(k, v []byte) { got = append(got, kv{string(k), string(v)}) })
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrNotJSON)) {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("members %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("members %q, want %q", got, tt.want)
				}
			}
		})
	}
}

// FuzzValid checks Valid against encoding/json.Valid on arbitrary input,
// and EachMember against encoding/json on the keys and values it hands out.
func FuzzValid(f *testing.F) {
	for _, c := range validCases {
		if len(c) < 200 {
			f.Add([]byte(c))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if got, want := Valid(in), json.Valid(in); got != want {
			t.Fatalf("Valid = %v, encoding/json says %v for %q", got, want, in)
		}
		var m map[string]json.RawMessage
		isObj := json.Unmarshal(in, &m) == nil && m != nil
		n := 0
		err := EachMember(in, func(k, v []byte) {
			n++
			if !json.Valid(v) {
				t.Fatalf("member value %q is not valid JSON", v)
			}
			var key string
			if json.Unmarshal(append(append([]byte{'"'}, k...), '"'), &key) != nil {
				t.Fatalf("member key %q is not a JSON string's contents", k)
			}
		})
		if (err == nil) != isObj {
			t.Fatalf("EachMember err=%v but encoding/json object=%v for %q", err, isObj, in)
		}
		if err == nil && n < len(m) {
			t.Fatalf("EachMember saw %d members, encoding/json %d", n, len(m))
		}
	})
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

func BenchmarkValid(b *testing.B) {
	msg := []byte(`{"jsonrpc":"2.0","id":123456,"result":{"content":[{"type":"text","text":"hello"}],"structuredContent":{"echo":"hello"},"resultType":"complete"}}`)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if !Valid(msg) {
			b.Fatal("not valid")
		}
	}
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
