package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/report"
	"github.com/mcpstress/mcpstress/verdict"
)

var started = time.Date(2026, 1, 27, 10, 0, 0, 0, time.UTC)

// writeReport writes a one-suite report.json into a new directory and
// returns the directory.
func writeReport(t *testing.T, suite string, tests ...*report.Node) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), suite+"-20260127T100000Z")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := &report.Run{ID: suite, Started: started, Suites: []*report.Node{report.NewSuite(suite, tests...)}}
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func passingSuite(t *testing.T) string {
	return writeReport(t, "baseline",
		report.NewTest("TestBaseline150Connections", report.StatusPassed, 10*time.Second).
			AddMetric("messages_per_second", "msg/s", 4998, report.BetterHigher).
			AddMetric("latency_p50_ms", "ms", 0.21, report.BetterLower).
			AddMetric("latency_p95_ms", "ms", 0.45, report.BetterLower).
			AddMetric("latency_p99_ms", "ms", 0.9, report.BetterLower).
			AddCount("ok", 49980),
		report.NewTest("TestBaselineRecoveryTime", report.StatusPassed, 12*time.Second).
			AddKeyMetric("recovery_time", "s", 2.4, report.BetterLower))
}

func failingSuite(t *testing.T) string {
	return writeReport(t, "engine",
		report.NewTest("TestOpenLoopRate", "", 5*time.Second).
			AddCheck(verdict.NoDataCheck("throughput >= 4500/s", "throughput", "msg/s", "no request was answered")))
}

func TestTable(t *testing.T) {
	pass, fail := passingSuite(t), failingSuite(t)
	corrupt := filepath.Join(t.TempDir(), "corrupt")
	if err := os.MkdirAll(corrupt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(corrupt, "report.json"), []byte(`{"schema_version":`), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "never-written")

	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     []string
		stderr     []string
		wantNoStdo bool
	}{
		{
			name: "passing suites print the table and exit 0",
			args: []string{"table", pass},
			code: exitOK,
			stdout: []string{
				"SUITE     TEST                        VERDICT  MSG/S  P50 ms  P95 ms  P99 ms  ERRORS  DROPS  KEY\n",
				"baseline  TestBaseline150Connections  passed   4998   0.21    0.45    0.9     0       0\n",
				"baseline  TestBaselineRecoveryTime    passed   -      -       -       -       -       -      recovery_time=2.40 s\n",
				"2 tests: 2 passed, 0 failed, 0 skipped\n",
				"baseline report: " + filepath.Join(pass, "report.html") + "\n",
			},
		},
		{
			name:   "a failed test exits 1 after the table",
			args:   []string{"table", pass, fail},
			code:   exitFailed,
			stdout: []string{"engine    TestOpenLoopRate", "FAILED", "✗ throughput >= 4500/s (no data)", "engine report: " + filepath.Join(fail, "report.html")},
		},
		{
			name:   "a report.json path works as well as its directory",
			args:   []string{"table", filepath.Join(pass, "report.json")},
			code:   exitOK,
			stdout: []string{"baseline report: " + filepath.Join(pass, "report.html")},
		},
		{
			name:   "a directory without a report is an input error, the others still show",
			args:   []string{"table", pass, missing},
			code:   exitInput,
			stdout: []string{"TestBaseline150Connections"},
			stderr: []string{"cannot read the report", filepath.Join(missing, "report.json"), "no such file"},
		},
		{
			name:       "a corrupt report is an input error",
			args:       []string{"table", corrupt},
			code:       exitInput,
			stderr:     []string{filepath.Join(corrupt, "report.json"), "decode JSON"},
			wantNoStdo: true,
		},
		{name: "no directory is a usage error", args: []string{"table"}, code: exitInput, stderr: []string{"no report directory", "usage:"}, wantNoStdo: true},
		{name: "no command is a usage error", args: nil, code: exitInput, stderr: []string{"usage:"}, wantNoStdo: true},
		{name: "an unknown command is a usage error", args: []string{"tabel", pass}, code: exitInput, stderr: []string{`unknown command "tabel"`}, wantNoStdo: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout.String(), stderr.String())
			}
			for _, s := range tt.stdout {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout does not contain %q:\n%s", s, stdout.String())
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("stderr does not contain %q:\n%s", s, stderr.String())
				}
			}
			if tt.wantNoStdo && stdout.Len() > 0 {
				t.Errorf("stdout not empty:\n%s", stdout.String())
			}
		})
	}
}
