package stress

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/regression"
	"github.com/mcpstress/mcpstress/report"
)

// syntheticSuiteRun is one run of the baseline suite as report.json holds
// it: a latency (lower is better), a throughput (higher is better) and a
// neutral count.
func syntheticSuiteRun(started time.Time, p95, throughput float64) *report.Run {
	t := report.NewTest("TestBaselineLatencyPercentiles", report.StatusPassed, time.Second)
	t.AddMetric("p95", "ms", p95, report.BetterLower).AddMetric("throughput", "msg/s", throughput, report.BetterHigher).
		AddMetric("sessions", "", 150, "")
	return &report.Run{ID: "r", Started: started, Suites: []*report.Node{report.NewSuite("baseline", t)}}
}

// storeSynthetic stores n runs with 3% noise on p95 and 1% on throughput
// in dir, through storeRun (what -update-baseline does).
func storeSynthetic(t *testing.T, dir string, n int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(11, 12))
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		r := syntheticSuiteRun(t0.Add(time.Duration(i)*time.Hour), 2.4*(1+0.03*rng.NormFloat64()), 5000*(1+0.01*rng.NormFloat64()))
		if _, err := storeRun(dir, r); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCompareWithStoredRuns(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		stored     int
		p95, thr   float64
		want       regression.Verdict
		gateFailed bool
		summary    string // the mark of "no regression vs baseline" under -baseline-fail
	}{
		{"a clearly slower run is a regression in the worse direction", 12, 3.6, 4000, regression.Regression, true, "✗"},
		{"a faster run is an improvement, never a regression", 12, 1.2, 6000, regression.Improvement, false, "✓"},
		{"too few stored runs are inconclusive, neither pass nor fail", 3, 3.6, 4000, regression.Inconclusive, false, "–"},
		{"no stored runs at all are inconclusive", 0, 3.6, 4000, regression.Inconclusive, false, "–"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "baseline")
			storeSynthetic(t, dir, tt.stored)
			o, err := compareWithStored(dir, syntheticSuiteRun(now, tt.p95, tt.thr), true)
			if err != nil {
				t.Fatal(err)
			}
			if o.stored != tt.stored || len(o.rep.Comparisons) != 2 {
				t.Fatalf("%d stored runs read, %d comparisons", o.stored, len(o.rep.Comparisons))
			}
			for _, c := range o.rep.Comparisons {
				if c.Verdict != tt.want {
					t.Errorf("%s: %v (%s), want %v", c.Metric.Name, c.Verdict, c.Reason, tt.want)
				}
				if c.Verdict == regression.Regression && !(c.Worse > 0 && c.WorseCI.Lo > 0) {
					t.Errorf("%s: a regression whose worse change is %v (CI %+v)", c.Metric.Name, c.Worse, c.WorseCI)
				}
				if c.Verdict == regression.Improvement && !(c.Worse < 0) {
					t.Errorf("%s: an improvement whose worse change is %v", c.Metric.Name, c.Worse)
				}
			}
			if o.failed != tt.gateFailed {
				t.Errorf("gate failed %v, want %v", o.failed, tt.gateFailed)
			}
			if m := o.checks[len(o.checks)-1].Mark(); m != tt.summary {
				t.Errorf("summary check %s, want %s", m, tt.summary)
			}
			if o.table.Title != report.RegressionTableTitle || len(o.table.Rows) != 2 {
				t.Errorf("table %+v", o.table)
			}
			if tt.want == regression.Inconclusive && !strings.Contains(strings.Join(o.warnings, "\n"), "inconclusive") {
				t.Errorf("an inconclusive comparison is not a warning: %v", o.warnings)
			}
		})
	}
}

func TestBaselineFlags(t *testing.T) {
	base := filepath.Join(t.TempDir(), "baselines")
	storeSynthetic(t, filepath.Join(base, "baseline"), 12)
	tests := []struct {
		name      string
		args      []string
		p95       float64
		code      int
		wantFiles int
	}{
		{"a regression is reported but does not fail without -baseline-fail", []string{"-baseline", base}, 3.6, 0, 12},
		{"with -baseline-fail a regression fails the run and is not stored", []string{"-baseline", base, "-baseline-fail", "-update-baseline"}, 3.6, 1, 12},
		{"an ordinary run passes and is stored with -update-baseline", []string{"-baseline", base, "-baseline-fail", "-update-baseline"}, 2.4, 0, 13},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-report-dir", filepath.Join(t.TempDir(), "reports")}, tt.args...)
			s := newTestSuite(t, args...)
			cur := syntheticSuiteRun(time.Now(), tt.p95, 5000)
			s.builder.AddResult("baseline", cur.Suites[0].Children[0])
			if code := s.applyBaseline(0, false); code != tt.code {
				t.Errorf("exit code %d, want %d", code, tt.code)
			}
			snap := s.builder.Snapshot()
			if len(snap.Suites[0].Tables) != 1 || snap.Suites[0].Tables[0].Title != report.RegressionTableTitle {
				t.Errorf("the report lacks the regression table: %+v", snap.Suites[0].Tables)
			}
			if failed := snap.Suites[0].Status == report.StatusFailed; failed != (tt.code != 0) {
				t.Errorf("suite status %s with exit code %d", snap.Suites[0].Status, tt.code)
			}
			files, _ := filepath.Glob(filepath.Join(base, "baseline", "*.json"))
			if len(files) != tt.wantFiles {
				t.Errorf("%d stored runs, want %d", len(files), tt.wantFiles)
			}
		})
	}
	t.Run("-update-baseline without -baseline is a usage error", func(t *testing.T) {
		s := newTestSuite(t, "-report-dir", t.TempDir(), "-update-baseline")
		if code := s.applyBaseline(0, false); code != 2 {
			t.Errorf("exit code %d, want 2", code)
		}
	})
	if _, err := os.Stat(base); err != nil {
		t.Fatal(err)
	}
}
