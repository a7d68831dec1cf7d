package regression

import (
	"fmt"
	"math"
	"testing"
)

// TestAgreesWithBenchstat compares with numbers printed once by benchstat
// (golang.org/x/perf v0.0.0-20260908200009-22c9c6c9d4da, `benchstat
// old.txt new.txt` on files written by WriteBenchFormat from these samples;
// x/perf is not a dependency of this module):
//
//	Echo/p99          1.4150n ± 43%   0.9800n ± 23%  ~ (p=0.143 n=10)
//	Echo/throughput   5.015k ± 2%     5.165k ± 2%    +3.00% (p=0.000 n=10)
func TestAgreesWithBenchstat(t *testing.T) {
	old := []Samples{
		{latency, []float64{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46}},
		{throughput, wobble(5000, 10)},
	}
	new := []Samples{
		{latency, []float64{1.15, 0.88, 0.90, 0.74, 1.21, 1.3, 1.12, 0.95, 1.01, 0.79}},
		{throughput, scale(wobble(5000, 10), 1.03)},
	}
	r, err := Compare(Config{Correction: NoCorrection}, old, new)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		oldPM, newPM, p, delta string
		verdict                Verdict
	}{
		{"1.415 ± 43%", "980.0m ± 23%", "0.143", "~", NoChange}, // benchstat scales by its unit: 0.9800n
		{"5.015k ± 2%", "5.165k ± 2%", "0.000", "+3.00%", Improvement},
	}
	for i, c := range r.Comparisons {
		w := want[i]
		delta := "~"
		if c.Verdict != NoChange {
			delta = formatDelta(c.Delta)
		}
		got := []string{formatSide(c.Old), formatSide(c.New), fmt.Sprintf("%.3f", c.P), delta}
		exp := []string{w.oldPM, w.newPM, w.p, w.delta}
		for k := range got {
			if got[k] != exp[k] {
				t.Errorf("%s: got %q, benchstat printed %q", c.Metric.Name, got[k], exp[k])
			}
		}
		if c.Verdict != w.verdict {
			t.Errorf("%s: verdict %v, want %v", c.Metric.Name, c.Verdict, w.verdict)
		}
	}
	if math.Abs(r.Comparisons[0].Delta+0.307420) > 1e-5 {
		t.Errorf("delta %v, benchstat's geomean row says -30.74%%", r.Comparisons[0].Delta)
	}
}
