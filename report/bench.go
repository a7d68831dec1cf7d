package report

import (
	"io"
	"strings"

	"github.com/mcpstress/mcpstress/regression"
)

// WriteBench writes bench.txt in the Go benchmark format, so that benchstat
// can compare two runs: a comment with the run id and revision, a
// configuration header (goos, goarch, pkg, target, mode), unit metadata
// (better=higher/lower), then one line per test or subtest that has
// metrics:
//
//	BenchmarkBaseline/TestLatency-2  1  85.2 p95-ms  4980 throughput-msg/s
//
// The name is "Benchmark" + suite + the test path; the -N suffix is the
// machine's CPU count; the iteration count is 1 (one run of the test).
// Each metric's unit is its name and unit joined by "-", so metrics sharing
// a unit stay distinct. Repeated runs appended to one file give benchstat
// its samples. regression.BenchWriter writes the lines.
func WriteBench(w io.Writer, r *Run) error {
	bw := regression.NewBenchWriter(w)
	env := r.Env
	// benchstat compares only runs whose configuration agrees. The run id
	// and revision differ between the runs being compared, so they are a
	// comment, and the CPU model and machine kind (in report.json) are left
	// out: runs from two CI runners must still line up.
	bw.Comment("mcpstress run " + r.ID + " revision " + env.GitRevision)
	bw.Env(regression.Env{GOOS: env.OS, GOARCH: env.Arch})
	bw.Config("pkg", "github.com/mcpstress/mcpstress/stress")
	bw.Config("target", env.Target)
	bw.Config("mode", env.Mode)
	r.Walk(func(_ []string, n *Node) {
		for _, m := range n.Metrics {
			switch m.Better {
			case BetterHigher:
				bw.Unit(benchUnit(m), regression.HigherIsBetter, "")
			case BetterLower:
				bw.Unit(benchUnit(m), regression.LowerIsBetter, "")
			}
		}
	})
	procs := max(env.CPUs, 1)
	r.Walk(func(path []string, n *Node) {
		values := make([]regression.BenchValue, len(n.Metrics))
		for i, m := range n.Metrics {
			values[i] = regression.BenchValue{Value: m.Value, Unit: benchUnit(m)}
		}
		bw.Result(path, procs, values...)
	})
	return bw.Flush()
}

// benchUnit is a metric's unit in bench.txt: its name and unit joined by "-".
func benchUnit(m Metric) string {
	if m.Unit == "" {
		return strings.TrimSpace(m.Name)
	}
	return strings.TrimSpace(m.Name) + "-" + strings.TrimSpace(m.Unit)
}

// oneLine puts s on one line (the digest and the hlog comments use it).
func oneLine(s string) string { return strings.NewReplacer("\n", " ", "\r", " ").Replace(s) }
