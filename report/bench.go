package report

import (
	"io"
	"math"
	"strconv"
	"strings"
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
// Each metric's unit is its name and unit joined by "-" with whitespace
// replaced, so metrics sharing a unit stay distinct. Repeated runs appended
// to one file give benchstat its samples.
func WriteBench(w io.Writer, r *Run) error {
	bw := &errWriter{w: w}
	env := r.Env
	// The run id and revision differ between the runs being compared, so
	// they are a comment (benchfmt ignores it), not configuration: benchstat
	// would otherwise refuse to line the runs up.
	bw.printf("# mcpstress run %s revision %s\n", oneLine(r.ID), oneLine(env.GitRevision))
	for _, kv := range [][2]string{
		{"goos", env.OS}, {"goarch", env.Arch}, {"pkg", "github.com/mcpstress/mcpstress/stress"},
		{"target", env.Target}, {"mode", env.Mode},
	} {
		if kv[1] != "" {
			bw.printf("%s: %s\n", kv[0], oneLine(kv[1]))
		}
	}
	// Unit metadata lines tell benchstat which direction is better.
	better := map[string]Better{}
	var units []string
	r.Walk(func(_ []string, n *Node) {
		for _, m := range n.Metrics {
			u := benchUnit(m)
			if _, seen := better[u]; !seen && m.Better != "" {
				units = append(units, u)
				better[u] = m.Better
			}
		}
	})
	for _, u := range units {
		bw.printf("Unit %s better=%s\n", u, better[u])
	}
	procs := env.CPUs
	if procs < 1 {
		procs = 1
	}
	r.Walk(func(path []string, n *Node) {
		if len(n.Metrics) == 0 {
			return
		}
		var b strings.Builder
		b.WriteString("Benchmark")
		for i, p := range path {
			if i > 0 {
				b.WriteByte('/')
			}
			b.WriteString(benchName(p, i == 0))
		}
		b.WriteString("-" + strconv.Itoa(procs) + "\t1")
		wrote := 0
		for _, m := range n.Metrics {
			if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) { // benchstat cannot parse them
				continue
			}
			b.WriteString("\t" + strconv.FormatFloat(m.Value, 'g', -1, 64) + " " + benchUnit(m))
			wrote++
		}
		if wrote > 0 {
			bw.printf("%s\n", b.String())
		}
	})
	return bw.err
}

// benchName makes one path element a benchmark name part: no whitespace
// and no '/' (which separates parts), and the suite capitalised as Go test
// names are.
func benchName(s string, first bool) string {
	s = strings.ReplaceAll(token(s), "/", "_")
	if first && s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

func oneLine(s string) string { return strings.NewReplacer("\n", " ", "\r", " ").Replace(s) }

// benchUnit is a metric's unit token: its name and unit joined by "-".
func benchUnit(m Metric) string {
	u := token(m.Name)
	if m.Unit != "" {
		u += "-" + token(m.Unit)
	}
	return u
}
