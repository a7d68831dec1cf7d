package stress

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/report"
)

func newTestSuite(t *testing.T, args ...string) *Suite {
	t.Helper()
	fs := flag.NewFlagSet("suite", flag.ContinueOnError)
	s := newSuite("baseline", fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if err := s.setup(context.Background(), framework.ModeQuick, time.Now()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSuiteRewritesTheReportsAfterEveryTest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reports")
	s := newTestSuite(t, "-report-dir", dir, "-target", "tcp://127.0.0.1:1")
	if s.Target() != "tcp://127.0.0.1:1" || s.ReportDir() != dir {
		t.Fatalf("target %q dir %q", s.Target(), s.ReportDir())
	}
	t.Run("passes", func(t *testing.T) {
		tr := s.Test(t)
		tr.Check(Check{Expr: "p95 <= 102ms", Measured: 3, Unit: "ms", Pass: true})
		tr.Check(Check{Expr: "memory growth", Skip: "server memory not observable"})
	})
	// The reports exist as soon as the first test has ended.
	first, err := os.ReadFile(filepath.Join(dir, "report.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(first), "✓ p95 <= 102ms") || !strings.Contains(string(first), "not judged: memory growth") {
		t.Errorf("report.txt after the first test:\n%s", first)
	}
	t.Run("skips", func(t *testing.T) {
		s.Test(t).Skip("no server memory for this target")
	})
	run, err := os.Open(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	rep, err := report.ReadJSON(run)
	if err != nil {
		t.Fatal(err)
	}
	tests := rep.Run.Suites[0].Children
	if len(tests) != 2 || tests[0].Status != report.StatusPassed || tests[1].Status != report.StatusSkipped || tests[1].Message != "no server memory for this target" {
		for _, n := range tests {
			t.Logf("%s %s %q", n.Name, n.Status, n.Message)
		}
		t.Fatalf("want a passed and a skipped test in report.json")
	}
	for _, f := range []string{"report.csv", "report.html", "junit.xml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestSuiteTargetPrecedence(t *testing.T) {
	t.Setenv(SuiteTargetEnv, "tcp://127.0.0.1:2")
	t.Setenv(TargetEnv, "tcp://127.0.0.1:3")
	if got := newTestSuite(t, "-report-dir", t.TempDir(), "-target", "tcp://127.0.0.1:1").Target(); got != "tcp://127.0.0.1:1" {
		t.Errorf("the flag should win, got %q", got)
	}
	if got := newTestSuite(t, "-report-dir", t.TempDir()).Target(); got != "tcp://127.0.0.1:2" {
		t.Errorf("$%s should win over $%s, got %q", SuiteTargetEnv, TargetEnv, got)
	}
	t.Setenv(SuiteTargetEnv, "")
	t.Setenv(TargetEnv, "")
	s := newTestSuite(t, "-report-dir", t.TempDir())
	if s.Target() != "" || s.TargetLabel() != "embedded reference server" {
		t.Errorf("no target set: got %q / %q", s.Target(), s.TargetLabel())
	}
}

func TestSuiteReportDirFromTheEnvironment(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ci")
	t.Setenv(ReportDirEnv, dir)
	if got := newTestSuite(t).ReportDir(); got != dir {
		t.Errorf("report dir %q, want $%s = %q", got, ReportDirEnv, dir)
	}
}

func TestSharedRunsOncePerKey(t *testing.T) {
	s := newTestSuite(t, "-report-dir", t.TempDir())
	runs := 0
	fn := func(testing.TB) int { runs++; return 7 * runs }
	for i := range 3 {
		if got := Shared(s, t, "main", fn); got != 7 {
			t.Fatalf("call %d: got %d, want the first run's 7", i, got)
		}
	}
	if got := Shared(s, t, "other", fn); got != 14 || runs != 2 {
		t.Fatalf("another key: got %d after %d runs, want 14 after 2", got, runs)
	}
}
