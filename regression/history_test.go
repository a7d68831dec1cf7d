package regression

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func historyOf(n int, center, cv float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = center * (1 + cv*rng.NormFloat64())
	}
	return xs
}

func TestCompareHistory(t *testing.T) {
	lat := Metric{Name: "suite/test/p95", Unit: "ms", Direction: LowerIsBetter}
	thr := Metric{Name: "suite/test/throughput", Unit: "msg/s", Direction: HigherIsBetter}
	tests := []struct {
		name        string
		metric      Metric
		history     []float64
		current     float64
		want        Verdict
		minSeverity Severity
		reason      string
	}{
		{"a 50% slower run is a regression", lat, historyOf(20, 10, 0.03, 1), 15, Regression, High, ""},
		{"a 50% faster run is an improvement, never a regression", lat, historyOf(20, 10, 0.03, 2), 5, Improvement, SeverityNone, ""},
		{"lower throughput is a regression", thr, historyOf(20, 5000, 0.02, 3), 4000, Regression, Low, ""},
		{"higher throughput is an improvement", thr, historyOf(20, 5000, 0.02, 4), 6000, Improvement, SeverityNone, ""},
		{"an ordinary run is no change", lat, historyOf(20, 10, 0.03, 5), 10.1, NoChange, SeverityNone, ""},
		{"too few runs are inconclusive", lat, historyOf(4, 10, 0.03, 6), 15, Inconclusive, SeverityNone, "need >= 10 history points, have 4"},
		{"errors appearing from zero are a critical regression", Metric{Name: "s/t/errors", Direction: LowerIsBetter}, make([]float64, 12), 3, Regression, Critical, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := CompareHistory(Config{}, GateConfig{}, []Samples{{Metric: tt.metric, Values: tt.history}},
				[]Samples{{Metric: tt.metric, Values: []float64{tt.current}}})
			if err != nil {
				t.Fatal(err)
			}
			c := rep.Comparisons[0]
			if c.Verdict != tt.want || c.Severity < tt.minSeverity || !strings.Contains(c.Reason, tt.reason) {
				t.Errorf("verdict %v severity %v reason %q, want %v, >= %v, %q", c.Verdict, c.Severity, c.Reason, tt.want, tt.minSeverity, tt.reason)
			}
			if c.Verdict == Improvement && c.Severity != SeverityNone {
				t.Errorf("an improvement has severity %v", c.Severity)
			}
			if c.Verdict == Regression && !(c.WorseCI.Lo <= c.Worse && c.Worse <= c.WorseCI.Hi) {
				t.Errorf("worse %v outside its interval %+v", c.Worse, c.WorseCI)
			}
			var sb strings.Builder
			if err := WriteTable(&sb, rep, "history", "current"); err != nil {
				t.Fatal(err)
			}
			t.Log("\n" + sb.String())
		})
	}
}

func TestCompareHistoryLeavesOutHistoryOnlyMetrics(t *testing.T) {
	a := Metric{Name: "a", Direction: LowerIsBetter}
	b := Metric{Name: "b", Direction: LowerIsBetter}
	rep, err := CompareHistory(Config{}, GateConfig{}, []Samples{{Metric: a, Values: historyOf(12, 1, 0.01, 1)}},
		[]Samples{{Metric: b, Values: []float64{1}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Comparisons) != 1 || rep.Comparisons[0].Metric.Name != "b" || rep.Comparisons[0].Reason != "metric missing from the baseline" {
		t.Errorf("%+v", rep.Comparisons)
	}
	if _, err := CompareHistory(Config{}, GateConfig{}, []Samples{{Metric: a, Values: []float64{1}}},
		[]Samples{{Metric: Metric{Name: "a", Direction: HigherIsBetter}, Values: []float64{1}}}); err == nil {
		t.Error("a direction that changed is not an error")
	}
}

func TestReadBench(t *testing.T) {
	in := `# mcpstress run x
goos: linux
Unit p95-ms better=lower
Unit throughput-msg/s better=higher
Unit sessions assume=exact
BenchmarkBaseline/TestLatency-2	1	2.5 p95-ms	4990 throughput-msg/s	150 sessions
BenchmarkBaseline/TestLatency-2	1	2.7 p95-ms	5000 throughput-msg/s	150 sessions
BenchmarkEcho-8   	 1000000	      1042 ns/op	  64 B/op	 2 allocs/op
PASS
ok  	x	1.2s
`
	var s SampleSet
	if err := ReadBench(strings.NewReader(in), &s); err != nil {
		t.Fatal(err)
	}
	got := map[string][]float64{}
	dirs := map[string]Direction{}
	for _, x := range s.Samples() {
		got[x.Metric.Name] = x.Values
		dirs[x.Metric.Name] = x.Metric.Direction
	}
	if v := got["Baseline/TestLatency/p95-ms"]; len(v) != 2 || v[1] != 2.7 || dirs["Baseline/TestLatency/p95-ms"] != LowerIsBetter {
		t.Errorf("p95: %v %v", v, dirs)
	}
	if dirs["Baseline/TestLatency/throughput-msg/s"] != HigherIsBetter || dirs["Echo/ns/op"] != LowerIsBetter || len(got["Echo/allocs/op"]) != 1 {
		t.Errorf("directions %v", dirs)
	}
	if _, ok := got["Baseline/TestLatency/sessions"]; ok || len(s.Warnings()) != 1 {
		t.Errorf("a unit without a direction was kept: %v; warnings %v", got, s.Warnings())
	}
	if s.MaxValues() != 2 {
		t.Errorf("max values %d", s.MaxValues())
	}
}

func TestSampleSetDropsConflictsAndNaN(t *testing.T) {
	var s SampleSet
	m := Metric{Name: "k", Unit: "ms", Direction: LowerIsBetter}
	s.Add(m, 1)
	s.Add(m, math.NaN())
	s.Add(Metric{Name: "k", Unit: "ms", Direction: HigherIsBetter}, 2)
	s.Add(m, 3)
	if got := s.Samples(); len(got) != 1 || len(got[0].Values) != 2 || len(s.Warnings()) != 2 {
		t.Errorf("%+v %v", got, s.Warnings())
	}
	if k := MetricKey([]string{"baseline", "Test X"}, "p95 ms"); k != "baseline/Test_X/p95_ms" {
		t.Errorf("key %q", k)
	}
}
