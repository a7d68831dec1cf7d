package report

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

func TestReadJSONRefusesWhatItCannotTrust(t *testing.T) {
	var good bytes.Buffer
	run := &Run{ID: "r", Started: time.Unix(0, 0), Suites: []*Node{NewSuite("s", NewTest("T", StatusPassed, time.Second))}}
	if err := WriteJSON(&good, run); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadJSON(bytes.NewReader(good.Bytes())); err != nil {
		t.Fatalf("a report WriteJSON wrote is refused: %v", err)
	}
	tests := []struct {
		name string
		in   io.Reader
		want []string
	}{
		{"another schema version", strings.NewReader(strings.Replace(good.String(), `"schema_version": 1`, `"schema_version": 2`, 1)), []string{"schema_version 2"}},
		{"no run", strings.NewReader(`{"schema_version": 1}`), []string{"no run"}},
		{"an invalid run", strings.NewReader(`{"schema_version": 7, "run": {"duration_ns": -5, "suites": [null]}}`), []string{"schema_version 7", "negative duration", "nil node"}},
		{"not JSON", strings.NewReader(`{"schema_version":`), []string{"decode JSON"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := ReadJSON(tt.in)
			if err == nil {
				t.Fatalf("accepted: %+v", rep)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// The size bound: a report beyond it is refused without being held whole
// (the bound is lowered here so the test stays small).
func TestReadJSONBoundsWhatItReads(t *testing.T) {
	const limit = 4 << 10
	in := io.MultiReader(strings.NewReader(`{"schema_version": 1, "run": {"id": "`), &repeatReader{b: 'x', n: 1 << 30}, strings.NewReader(`"}}`))
	if _, err := readJSON(in, limit); err == nil || !strings.Contains(err.Error(), "larger than 4096 bytes") {
		t.Fatalf("err = %v, want the size bound", err)
	}
	if MaxJSONBytes != 256<<20 {
		t.Errorf("MaxJSONBytes = %d, want 256 MiB", MaxJSONBytes)
	}
}

// repeatReader yields n copies of b without holding them in memory.
type repeatReader struct {
	b byte
	n int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := min(len(p), r.n)
	for i := range p[:k] {
		p[i] = r.b
	}
	r.n -= k
	return k, nil
}
