package report

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/regression"
)

// syntheticRun is one run of a suite with a latency (lower is better), a
// throughput (higher is better) and a neutral count.
func syntheticRun(started time.Time, p95, throughput float64) *Run {
	t := NewTest("TestLatency", StatusPassed, time.Second)
	t.AddMetric("p95", "ms", p95, BetterLower).AddMetric("throughput", "msg/s", throughput, BetterHigher).AddMetric("sessions", "", 150, "")
	return &Run{ID: started.String(), Started: started, Env: Environment{MachineKind: "vm-2"}, Suites: []*Node{NewSuite("baseline", t)}}
}

func storedRuns(n int) []*Run {
	rng := rand.New(rand.NewPCG(3, 4))
	var runs []*Run
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		runs = append(runs, syntheticRun(t0.Add(time.Duration(n-i)*time.Hour), 10*(1+0.03*rng.NormFloat64()), 5000*(1+0.01*rng.NormFloat64())))
	}
	return runs
}

func TestCompareWithBaseline(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		stored       int
		p95, thr     float64
		wantP95      regression.Verdict
		wantThr      regression.Verdict
		summaryCheck string // ✓, ✗ or –
	}{
		{"a clearly slower run regresses in the worse direction", 12, 15, 4000, regression.Regression, regression.Regression, "✗"},
		{"a faster run is an improvement, never a regression", 12, 6, 6000, regression.Improvement, regression.Improvement, "✓"},
		{"an ordinary run is no change", 12, 10, 5000, regression.NoChange, regression.NoChange, "✓"},
		{"too few stored runs are inconclusive, neither pass nor fail", 3, 15, 4000, regression.Inconclusive, regression.Inconclusive, "–"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := CompareWithBaseline(regression.Config{}, regression.GateConfig{}, storedRuns(tt.stored), syntheticRun(now, tt.p95, tt.thr))
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]regression.Verdict{}
			for _, c := range rep.Comparisons {
				got[c.Metric.Name] = c.Verdict
			}
			if len(got) != 2 || got["baseline/TestLatency/p95"] != tt.wantP95 || got["baseline/TestLatency/throughput"] != tt.wantThr {
				t.Errorf("verdicts %v", got)
			}
			cs := RegressionChecks(rep, regression.SeverityNone)
			if m := cs[len(cs)-1].Mark(); m != tt.summaryCheck {
				t.Errorf("summary check %s, want %s: %v", m, tt.summaryCheck, cs[len(cs)-1])
			}
			tbl := RegressionTable(rep)
			n := NewSuite("baseline")
			n.Tables = append(n.Tables, tbl)
			n.AddCheck(cs...)
			n.Warnings = RegressionWarnings(rep)
			run := &Run{ID: "x", Started: now, Suites: []*Node{n}}
			if err := run.Validate(); err != nil {
				t.Fatal(err)
			}
			var sb strings.Builder
			if err := WriteText(&sb, run); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(sb.String(), RegressionTableTitle) {
				t.Errorf("the text report lacks the table:\n%s", sb.String())
			}
			if tt.wantP95 == regression.Inconclusive && !strings.Contains(strings.Join(n.Warnings, "\n"), "2 of 2 metrics inconclusive: need >= 10 history points, have 3") {
				t.Errorf("warnings %v", n.Warnings)
			}
			t.Log("\n" + sb.String())
		})
	}
}
