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
		{"bench format for benchstat", []string{"bench", "-name", "echo", old}, nil, "BenchmarkEcho/p99\t1\t100 ns"},
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

// TestCompareExitCodes runs compare end to end through exitCode: a
// comparison that cannot decide must not exit 0 unless asked to.
func TestCompareExitCodes(t *testing.T) {
	old := write(t, "old.json", `{"metrics":[{"metric":`+metric+`,"values":[100,101,99,102,98,100,101,99,100,102]}]}`)
	same := write(t, "same.json", `{"metrics":[{"metric":`+metric+`,"values":[101,100,99,102,98,100,99,101,100,102]}]}`)
	worse := write(t, "worse.json", `{"metrics":[{"metric":`+metric+`,"values":[130,131,129,132,128,130,131,129,130,132]}]}`)
	oneRun := write(t, "one.json", `{"metrics":[{"metric":`+metric+`,"values":[100]}]}`)
	other := write(t, "other.json", `{"metrics":[{"metric":{"name":"p50","unit":"ns","direction":"lower-is-better"},"values":[100,101,99,102,98,100,101,99,100,102]}]}`)
	// p99 regresses while p50 is missing from the new file: the
	// regression decides the exit code.
	worseAndMissing := write(t, "worse2.json", `{"metrics":[{"metric":`+metric+`,"values":[130,131,129,132,128,130,131,129,130,132]}]}`)
	both := write(t, "both.json", `{"metrics":[{"metric":`+metric+`,"values":[100,101,99,102,98,100,101,99,100,102]},`+
		`{"metric":{"name":"p50","unit":"ns","direction":"lower-is-better"},"values":[50,51,49,52,48,50,51,49,50,52]}]}`)
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no change", []string{"compare", old, same}, exitOK},
		{"regression", []string{"compare", old, worse}, exitRegression},
		{"1-run baseline is inconclusive", []string{"compare", oneRun, same}, exitInconclusive},
		{"1-run baseline allowed", []string{"compare", "-allow-inconclusive", oneRun, same}, exitOK},
		{"every metric missing from the new file", []string{"compare", old, other}, exitInconclusive},
		{"missing metrics allowed", []string{"compare", "-allow-inconclusive", old, other}, exitOK},
		{"regression outranks inconclusive", []string{"compare", both, worseAndMissing}, exitRegression},
		{"usage error", []string{"compare", old}, exitInconclusive},
		{"unknown flag", []string{"compare", "-nope", old, same}, exitInconclusive},
		{"missing file", []string{"compare", old, filepath.Join(t.TempDir(), "absent.json")}, exitInconclusive},
		{"no arguments", nil, exitInconclusive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			err := run(tt.args, &b)
			if got := exitCode(err); got != tt.want {
				t.Fatalf("exit code %d (error %v), want %d\n%s", got, err, tt.want, b.String())
			}
			if tt.want == exitInconclusive && strings.HasPrefix(tt.name, "1-run") && !errors.Is(err, errInconclusive) {
				t.Errorf("error %v, want errInconclusive", err)
			}
		})
	}
}

func TestReadLimited(t *testing.T) {
	p := write(t, "big.json", strings.Repeat("x", 101))
	if _, err := readLimited(p, 100); err == nil || !strings.Contains(err.Error(), "100-byte input limit") {
		t.Fatalf("over the limit: %v, want an input-limit error", err)
	}
	b, err := readLimited(p, 101)
	if err != nil || len(b) != 101 {
		t.Fatalf("at the limit: %d bytes, %v", len(b), err)
	}
}
