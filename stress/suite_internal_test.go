package stress

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/framework/profile"
	"github.com/mcpstress/mcpstress/report"
	"github.com/mcpstress/mcpstress/verdict"
)

func newTestSuite(t *testing.T, args ...string) *Suite {
	t.Helper()
	fs := flag.NewFlagSet("suite", flag.ContinueOnError)
	s := newSuite("baseline", fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if err := s.setup(context.Background(), profile.ModeQuick, time.Now()); err != nil {
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
		tr.Check(verdict.Check{Expr: "p95 <= 102ms", Measured: 3, Unit: "ms", Pass: true})
		tr.Check(verdict.Check{Expr: "memory growth", Skip: "server memory not observable"})
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
	if TargetEnv != "MCP_TARGET" {
		t.Errorf("TargetEnv = %q, want the documented MCP_TARGET", TargetEnv)
	}
	t.Setenv(TargetEnv, "tcp://127.0.0.1:2")
	t.Setenv("MCPSTRESS_TARGET", "tcp://127.0.0.1:3") // the retired name is ignored
	if got := newTestSuite(t, "-report-dir", t.TempDir(), "-target", "tcp://127.0.0.1:1").Target(); got != "tcp://127.0.0.1:1" {
		t.Errorf("the flag should win, got %q", got)
	}
	if got := newTestSuite(t, "-report-dir", t.TempDir()).Target(); got != "tcp://127.0.0.1:2" {
		t.Errorf("$%s should be used without -target, got %q", TargetEnv, got)
	}
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

// fakeTB records what a test would report, so the failing paths of T can be
// checked without failing this test. Only the methods T uses are
// implemented; the embedded nil TB panics on any other.
type fakeTB struct {
	testing.TB
	name     string
	failed   bool
	errors   []string
	logs     []string
	cleanups []func()
}

func (f *fakeTB) Helper()      {}
func (f *fakeTB) Name() string { return f.name }
func (f *fakeTB) Logf(format string, a ...any) {
	f.logs = append(f.logs, fmt.Sprintf(format, a...))
}
func (f *fakeTB) Errorf(format string, a ...any) {
	f.failed = true
	f.errors = append(f.errors, fmt.Sprintf(format, a...))
}
func (f *fakeTB) Failed() bool      { return f.failed }
func (f *fakeTB) Skipped() bool     { return false }
func (f *fakeTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) finish() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

// goodRun is a summary of a run that did what it planned: every request
// scheduled was answered and accounted for, every session opened.
func goodRun(name string) *framework.Summary {
	res := &framework.Result{Scenario: name, LoadDuration: time.Second, Scheduled: 10,
		ByOp: map[string]framework.OutcomeCounts{"op": {OK: 10}}, Ramp: framework.RampStats{Requested: 2, Opened: 2}}
	return framework.Summarize(res, nil)
}

func TestAFailedCheckOrAFailedRunFailsTheTestAndTheReport(t *testing.T) {
	aborted := goodRun("b")
	aborted.Aborted = "stopped: interrupt"
	noSessions := framework.Summarize(&framework.Result{Scenario: "d", Ramp: framework.RampStats{Requested: 150, Failed: 150,
		Errors: map[string]int{"connection refused": 150}}}, nil)
	broken := goodRun("e")
	broken.Conservation = framework.Conservation{Scheduled: 10, Accounted: 9}
	passing := verdict.Check{Expr: "p95 <= 102ms", Measured: 1, Unit: "ms", Pass: true}
	tests := []struct {
		name   string
		sum    *framework.Summary
		checks []verdict.Check
		errors int
	}{
		{"a failed check", goodRun("a"), []verdict.Check{{Expr: "p95 <= 102ms", Measured: 150, Unit: "ms"}}, 1},
		{"a no-data check", goodRun("a"), []verdict.Check{verdict.NoDataCheck("error_rate < 0.1%", "error_rate", "%", "")}, 1},
		{"an aborted run", aborted, []verdict.Check{passing}, 1},
		// The test judging a shared run that opened no session fails even
		// though its own checks pass: the run's checks are made by every
		// test that judges it (nothing scheduled, no session opened).
		{"a run that opened no session", noSessions, []verdict.Check{passing}, 2},
		{"a run that lost a request", broken, []verdict.Check{passing}, 1},
		{"no summary at all", nil, []verdict.Check{passing}, 1},
		{"a skipped check alone is no failure", goodRun("c"), []verdict.Check{{Expr: "memory", Skip: "not observable"}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := newTestSuite(t, "-report-dir", dir)
			tb := &fakeTB{name: "TestX"}
			s.Test(tb).Judge(tt.sum, tt.checks...)
			tb.finish()
			if len(tb.errors) != tt.errors {
				t.Fatalf("errors %q, want %d", tb.errors, tt.errors)
			}
			f, err := os.Open(filepath.Join(dir, "report.json"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rep, err := report.ReadJSON(f)
			if err != nil {
				t.Fatal(err)
			}
			n := rep.Run.Suites[0].Children[0]
			want := report.StatusPassed
			if tt.errors > 0 {
				want = report.StatusFailed
			}
			if n.Status != want || (want == report.StatusFailed && !strings.HasPrefix(n.Message, "failed: ")) {
				t.Errorf("report node %s %q, want %s", n.Status, n.Message, want)
			}
		})
	}
}

// The per-request observer the suites hand the engine must not allocate
// once an operation and outcome are bound (it runs for every request).
func TestObserverDoesNotAllocatePerRequest(t *testing.T) {
	s := newSuite("observer-alloc", flag.NewFlagSet("observer-alloc", flag.ContinueOnError))
	exp, err := report.NewExporter(prometheus.NewRegistry(), report.ExporterOptions{Enabled: true, Suite: "baseline"})
	if err != nil {
		t.Fatal(err)
	}
	s.exporter = exp
	observe := s.Observer()
	if observe == nil {
		t.Fatal("no observer with the exporter on")
	}
	observe("tools/call/echo", client.OK, time.Millisecond) // binds
	if n := testing.AllocsPerRun(1000, func() { observe("tools/call/echo", client.OK, time.Millisecond) }); n != 0 {
		t.Errorf("%v allocations per observed request, want 0", n)
	}
	s.exporter = nil
	if s.Observer() != nil {
		t.Error("an observer without an exporter: the engine would call it for nothing")
	}
}

// A test that judges a run another test ran logs the run's warnings, so a
// failure of its own shows what disturbed the run (scripts/stress.sh reruns
// a package whose failing output carries a host warning); the test that ran
// it is not asked to log them twice.
func TestJudgingASharedRunLogsItsWarnings(t *testing.T) {
	s := newTestSuite(t, "-report-dir", t.TempDir())
	sum := goodRun("soak")
	sum.Warnings = append(sum.Warnings, "the hypervisor held back 9.9% of this machine's CPU time during the run")
	first, second := &fakeTB{name: "TestRan"}, &fakeTB{name: "TestJudgedAgain"}
	s.Test(first).Judge(sum)
	s.Test(second).Judge(sum)
	first.finish()
	second.finish()
	warned := func(logs []string) int {
		n := 0
		for _, l := range logs {
			if strings.Contains(l, "the hypervisor held back 9.9%") {
				n++
			}
		}
		return n
	}
	if n := warned(first.logs); n != 0 {
		t.Errorf("the test that ran it logged the warning %d times: %q", n, first.logs)
	}
	if n := warned(second.logs); n != 1 {
		t.Errorf("the test judging it again logged the run's host warning %d times, want once: %q", n, second.logs)
	}
}
