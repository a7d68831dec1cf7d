package report

import (
	"bytes"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/verdict"
)

// checkRun is one suite with one test holding the given checks.
func checkRun(checks ...verdict.Check) *Run {
	n := NewTest("TestChecks", "", 10*time.Second).AddCheck(checks...)
	return &Run{ID: "checks", Started: fixtureStart, Duration: 15 * time.Second, Suites: []*Node{NewSuite("baseline", n)}}
}

// checkWriters are the writers that show a check's value.
var checkWriters = []struct {
	name  string
	write func(io.Writer, *Run) error
}{
	{"text", WriteText},
	{"HTML", WriteHTML},
	{"Markdown", WriteMarkdown},
	{"JUnit", WriteJUnit},
}

// Every writer shows a check the same way: its own unit, "no data" instead
// of a measured zero, its window and its evidence.
func TestWritersShowChecksAsJudged(t *testing.T) {
	tests := []struct {
		name      string
		check     verdict.Check
		want      []string
		forbidden []string
	}{
		{
			name:      "a check without data reads no data, never a measured 0 ms",
			check:     verdict.Check{Expr: "p95 <= 102ms", Metric: "p95", Measured: 0, Unit: "ms", NoData: true},
			want:      []string{"no data"},
			forbidden: []string{" 0 ms", ">0 ms"},
		},
		{
			name:      "a NaN measurement reads no data, not n/a",
			check:     verdict.Check{Expr: "p99 <= 150ms", Measured: math.NaN(), Unit: "ms"},
			want:      []string{"no data"},
			forbidden: []string{"n/a"},
		},
		{
			name:      "a failure rate reads in percent, never in ms",
			check:     verdict.Check{Expr: "failure_rate < 0.1%", Metric: "failure_rate", Measured: 0.25, Unit: "%"},
			want:      []string{"0.25%"},
			forbidden: []string{"0.25 ms", "0.25ms"},
		},
		{
			name:  "a windowed check shows its window and evidence",
			check: verdict.Check{Expr: "p95 <= 102ms", Measured: 130, Unit: "ms", Window: 10 * time.Second, Detail: "failed 3 of 12 windows"},
			want:  []string{"130 ms", "10s", "failed 3 of 12 windows"},
		},
		{
			name:      "a skipped check reads not judged, with its reason",
			check:     verdict.SkippedCheck("memory growth < 100 MB", "memory_growth", "the suite did not start the server"),
			want:      []string{"not judged", "the suite did not start the server"},
			forbidden: []string{"no data"},
		},
	}
	for _, tt := range tests {
		for _, w := range checkWriters {
			t.Run(tt.name+" in "+w.name, func(t *testing.T) {
				// A passing sibling keeps the skipped check's test judged.
				run := checkRun(tt.check, verdict.Check{Expr: "throughput >= 1/s", Measured: 5, Unit: "msg/s", Pass: true})
				var buf bytes.Buffer
				if err := w.write(&buf, run); err != nil {
					t.Fatal(err)
				}
				out := buf.String()
				for _, s := range tt.want {
					if !strings.Contains(out, s) {
						t.Errorf("output does not show %q:\n%s", s, clipOut(out))
					}
				}
				for _, s := range tt.forbidden {
					if strings.Contains(out, s) {
						t.Errorf("output shows %q:\n%s", s, clipOut(out))
					}
				}
			})
		}
	}
}

// The text report shows the window the way the threshold spells it, next
// to the value, and the HTML report in every table that lists the check.
func TestWindowIsShownWithTheValue(t *testing.T) {
	run := checkRun(verdict.Check{Expr: "p95 <= 102ms", Measured: 2.45, Unit: "ms", Pass: true, Window: 10 * time.Second})
	var txt, md, html bytes.Buffer
	if err := WriteText(&txt, run); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(txt.String(), "2.45 ms over 10s") {
		t.Errorf("text report:\n%s", txt.String())
	}
	if err := WriteMarkdown(&md, run); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "2.45 ms over 10s") {
		t.Errorf("Markdown report:\n%s", md.String())
	}
	if err := WriteHTML(&html, run); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(html.String(), `<td class="num pass">2.45 ms</td><td>10s</td>`); got != 2 {
		t.Errorf("the window is in %d HTML tables, want 2 (the summary and the test's section)", got)
	}
}

func TestCheckWithoutDataFailsItsTest(t *testing.T) {
	tests := []struct {
		name       string
		status     Status
		checks     []verdict.Check
		want       Status
		failed     int
		skipped    int
		msgContain string
	}{
		{"no data fails a test with no status", "", []verdict.Check{verdict.NoDataCheck("p95 <= 102ms", "p95", "ms", "")}, StatusFailed, 1, 0, "(no data)"},
		{"no data with Pass set by mistake still fails", StatusPassed,
			[]verdict.Check{{Expr: "p95 <= 102ms", Unit: "ms", Pass: true, NoData: true}}, StatusFailed, 1, 0, "threshold failed: p95 <= 102ms (no data)"},
		{"only skipped checks are no evidence: the test is skipped", "",
			[]verdict.Check{verdict.SkippedCheck("memory < 1 MB", "memory", "remote target")}, StatusSkipped, 0, 1, NoVerdict},
		{"a skipped check beside a passing one passes", "",
			[]verdict.Check{verdict.SkippedCheck("memory < 1 MB", "memory", "remote target"), {Expr: "p95 <= 1ms", Measured: 0.5, Unit: "ms", Pass: true}},
			StatusPassed, 0, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := NewTest("T", tt.status, time.Second).AddCheck(tt.checks...)
			r := &Run{Suites: []*Node{NewSuite("s", n)}}
			r.Normalize()
			if n.Status != tt.want {
				t.Errorf("status %q, want %q", n.Status, tt.want)
			}
			if !strings.Contains(n.Message, tt.msgContain) {
				t.Errorf("message %q, want it to contain %q", n.Message, tt.msgContain)
			}
			tot := r.Totals()
			if tot.ThresholdsFailed != tt.failed || tot.ThresholdsSkipped != tt.skipped ||
				tot.ThresholdsPassed() != len(tt.checks)-tt.failed-tt.skipped {
				t.Errorf("totals %+v, want %d failed and %d skipped of %d", tot, tt.failed, tt.skipped, len(tt.checks))
			}
		})
	}
}

func TestCheckFieldsSurviveReportJSON(t *testing.T) {
	in := []verdict.Check{
		{Expr: "p95 <= 102ms", Metric: "p95", Measured: 2.45, Unit: "ms", Pass: true, Window: 10 * time.Second, Detail: "0 of 12 windows failed"},
		verdict.NoDataCheck("error_rate < 0.1%", "error_rate", "%", "nothing answered"),
		verdict.SkippedCheck("memory growth < 100 MB", "memory_growth", "remote target"),
	}
	run := checkRun(in...)
	run.Suites[0].Children[0].AddKeyMetric("recovery_time", "s", 2.4, BetterLower)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, run); err != nil {
		t.Fatal(err)
	}
	rep, err := ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	n := rep.Run.Suites[0].Children[0]
	if len(n.Thresholds) != len(in) {
		t.Fatalf("%d checks came back, want %d", len(n.Thresholds), len(in))
	}
	got := n.Thresholds
	if got[0] != in[0] {
		t.Errorf("check came back as %+v, want %+v", got[0], in[0])
	}
	if !got[1].NoData || !got[1].Failed() || got[1].Detail != "nothing answered" || got[1].Metric != "error_rate" {
		t.Errorf("no-data check came back as %+v", got[1])
	}
	if got[2].Skip != "remote target" || got[2].Failed() || got[2].Passed() {
		t.Errorf("skipped check came back as %+v", got[2])
	}
	if k := n.KeyMetrics(); len(k) != 1 || k[0].Name != "recovery_time" || k[0].Value != 2.4 {
		t.Errorf("key metrics came back as %+v", k)
	}
	if rep.Summary.ThresholdsFailed != 1 || rep.Summary.ThresholdsSkipped != 1 || rep.Summary.Thresholds != 3 {
		t.Errorf("summary %+v", rep.Summary)
	}
}

// A report.json written before checks carried metric, no_data, skip and
// detail still reads, with those fields empty.
func TestReadJSONReadsAnOlderReport(t *testing.T) {
	const old = `{
  "$schema": "https://github.com/mcpstress/mcpstress/report/schema/v1.json",
  "schema_version": 1,
  "summary": {"total_tests": 1, "passed_tests": 0, "failed_tests": 1, "skipped_tests": 0, "error_tests": 0, "pass_rate": 0,
    "total_assertions": 0, "assertion_pass_rate": 0, "thresholds": 2, "thresholds_failed": 1},
  "run": {"id": "old", "started": "2026-01-27T10:00:00Z", "duration_ns": 1000000000, "environment": {},
    "suites": [{"name": "baseline", "kind": "suite", "status": "failed", "start_ns": 0, "duration_ns": 0, "assertions": {"passed": 0, "failed": 0},
      "children": [{"name": "TestOld", "kind": "test", "status": "failed", "start_ns": 0, "duration_ns": 1000000000,
        "assertions": {"passed": 0, "failed": 0},
        "metrics": [{"name": "messages_per_second", "unit": "msg/s", "value": 4990, "better": "higher"}],
        "thresholds": [{"expr": "p95<=102ms", "measured": 5, "unit": "ms", "pass": true, "window_ns": 10000000000},
                       {"expr": "p99<=150ms", "measured": null, "unit": "ms", "pass": false}]}]}]}
}`
	rep, err := ReadJSON(strings.NewReader(old))
	if err != nil {
		t.Fatal(err)
	}
	th := rep.Run.Suites[0].Children[0].Thresholds
	want := ThresholdResult{Expr: "p95<=102ms", Measured: 5, Unit: "ms", Pass: true, Window: 10 * time.Second}
	if th[0] != want {
		t.Errorf("old threshold read as %+v, want %+v", th[0], want)
	}
	if th[1].Display() != "no data" || !th[1].Failed() {
		t.Errorf("an old unmeasured threshold reads as %q (failed %v), want no data and failed", th[1].Display(), th[1].Failed())
	}
	if m := rep.Run.Suites[0].Children[0].Metrics[0]; m.Key {
		t.Errorf("an old metric reads as key: %+v", m)
	}
}

func clipOut(s string) string {
	if len(s) > 3000 {
		return s[:3000] + "…"
	}
	return s
}
