package mcptest

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestValidJSONAgreesWithEncodingJSON(t *testing.T) {
	cases := []string{
		`{}`, `[]`, `""`, `0`, `-0`, `1.5e-3`, `true`, `null`, ` {"a" : [1, {"b":null}] } `,
		`"\u00e9\n\"\\\/"`, "\"\xff\"", `{"a":1,}`, `[1,]`, `01`, `1.`, `.5`, `-`, `1e`, `"\x"`, `"\u12"`,
		"\"\x01\"", `{"a" 1}`, `{1:2}`, `[`, `{"a":1}x`, `tru`, `nul`, ``, ` `,
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
		strings.Repeat("[", 100) + strings.Repeat("]", 100),
	}
	for _, c := range cases {
		if got, want := validJSON([]byte(c)), json.Valid([]byte(c)); got != want {
			t.Errorf("validJSON(%.40q) = %v, encoding/json says %v", c, got, want)
		}
	}
}

func TestParseRequestReadsEscapedKeysAndValues(t *testing.T) {
	r, _, e := parseRequest([]byte(`{"json\u0072pc":"2.0","id":"a\"b","m\u0065thod":"tools\/call","params":{"n\u0061me":"ec\u0068o"}}`))
	if e != nil {
		t.Fatal(e.Message)
	}
	if r.Method != "tools/call" || r.P.Name != "echo" || string(r.ID) != `"a\"b"` {
		t.Fatalf("%+v", r)
	}
}
