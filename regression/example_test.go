package regression_test

import (
	"fmt"
	"os"

	"github.com/mcpstress/mcpstress/regression"
)

func ExampleCompare() {
	p99 := regression.Metric{Name: "p99", Unit: "ms", Direction: regression.LowerIsBetter}
	rps := regression.Metric{Name: "throughput", Unit: "req/s", Direction: regression.HigherIsBetter}
	old := []regression.Samples{
		{Metric: p99, Values: []float64{41, 40, 43, 42, 40, 44, 41, 42, 43, 40}},
		{Metric: rps, Values: []float64{980, 1010, 995, 1002, 990, 1005, 998, 985, 1001, 993}},
	}
	new := []regression.Samples{
		{Metric: p99, Values: []float64{52, 50, 54, 51, 53, 55, 50, 52, 54, 51}},
		{Metric: rps, Values: []float64{1090, 1110, 1095, 1102, 1088, 1105, 1099, 1085, 1100, 1093}},
	}
	r, err := regression.Compare(regression.Config{}, old, new)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range r.Comparisons {
		fmt.Printf("%s: %v, %+.1f%% (q=%.2g)", c.Metric.Name, c.Verdict, 100*c.Delta, c.Q)
		if c.Verdict == regression.Regression {
			fmt.Printf(" %v: at least %.0f%% worse", c.Severity, 100*c.WorseCI.Lo)
		}
		fmt.Println()
	}
	// Output:
	// p99: regression, +25.3% (q=2.2e-05) MEDIUM: at least 21% worse
	// throughput: improvement, +10.1% (q=2.2e-05)
}

func ExampleWriteTable() {
	m := regression.Metric{Name: "p50", Unit: "ns", Direction: regression.LowerIsBetter}
	r, _ := regression.Compare(regression.Config{},
		[]regression.Samples{{Metric: m, Values: []float64{100, 102, 99, 101, 100, 103, 98, 100, 101, 99}}},
		[]regression.Samples{{Metric: m, Values: []float64{101, 100, 99, 102, 100, 98, 101, 100, 103, 99}}})
	_ = regression.WriteTable(os.Stdout, r, "old", "new")
}
