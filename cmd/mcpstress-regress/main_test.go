package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func write(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const metric = `{"name":"p99","unit":"ns","direction":"lower-is-better"}`

func TestRun(t *testing.T) {
	old := write(t, "old.json", `{"metrics":[{"metric":`+metric+`,"values":[100,101,99,102,98,100,101,99,100,102]}]}`)
	same := write(t, "same.json", `{"metrics":[{"metric":`+metric+`,"values":[101,100,99,102,98,100,99,101,100,102]}]}`)
	worse := write(t, "worse.json", `{"metrics":[{"metric":`+metric+`,"values":[130,131,129,132,128,130,131,129,130,132]}]}`)
	tests := []struct {
		name    string
		args    []string
		wantErr error
		want    string
	}{
		{"unchanged results pass with ~", []string{"compare", old, same}, nil, "~ (p="},
		{"a regression exits non-zero", []string{"compare", old, worse}, errFlagged, "REGRESSION"},
		{"bench format for benchstat", []string{"bench", "-name", "echo", old}, nil, "BenchmarkEcho/p99 1 100 ns"},
		{"unknown command", []string{"frobnicate"}, errors.New("unknown"), ""},
		{"bad correction", []string{"compare", "-correction", "x", old, same}, errors.New("correction"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			err := run(tt.args, &b)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("error %v", err)
			case errors.Is(tt.wantErr, errFlagged) && !errors.Is(err, errFlagged):
				t.Fatalf("error %v, want errFlagged", err)
			case tt.wantErr != nil && err == nil:
				t.Fatalf("no error, want %v", tt.wantErr)
			}
			if !strings.Contains(b.String(), tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, b.String())
			}
		})
	}
}
