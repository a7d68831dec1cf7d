package regression

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"unicode"
)

// WriteTable writes r as a table a person can read, in the style of
// benchstat: each side's center ± the CI half-width in percent, the change
// with p, q and n, or "~" when nothing significant changed, then the verdict
// and severity. Warnings and inconclusive reasons become numbered
// footnotes, and a geomean row closes the table.
func WriteTable(w io.Writer, r Report, oldName, newName string) error {
	if oldName == "" {
		oldName = "baseline"
	}
	if newName == "" {
		newName = "current"
	}
	bw := bufio.NewWriter(w)
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "metric\tunit\tbetter\t%s\t%s\tvs base\tverdict\n", oldName, newName)
	var notes []string
	note := func(s string) string {
		for i, n := range notes {
			if n == s {
				return superscript(i + 1)
			}
		}
		notes = append(notes, s)
		return superscript(len(notes))
	}
	var geoOld, geoNew []float64
	for _, c := range r.Comparisons {
		better := "lower"
		if c.Metric.Direction == HigherIsBetter {
			better = "higher"
		}
		var marks string
		for _, wmsg := range c.Warnings {
			marks += note(wmsg)
		}
		vs := "~"
		switch {
		case c.Verdict == Inconclusive:
			vs = "?" + note(c.Reason)
		case c.Verdict != NoChange:
			vs = formatDelta(c.Delta)
		}
		stats := ""
		if c.Verdict != Inconclusive {
			stats = fmt.Sprintf(" (p=%.3f q=%.3f %s)", c.P, c.Q, formatN(c.Old.N, c.New.N))
		}
		verdict := ""
		switch c.Verdict {
		case Regression:
			verdict = "REGRESSION " + c.Severity.String()
			if c.BelowMinEffect {
				verdict += " (below min effect)"
			}
		case Improvement:
			verdict = "improvement"
		case Inconclusive:
			verdict = "inconclusive"
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\t%s%s\t%s\n", c.Metric.Name, marks, c.Metric.Unit, better,
			formatSide(c.Old), formatSide(c.New), vs, stats, verdict)
		if c.Old.Center > 0 && c.New.Center > 0 && c.Old.N > 0 && c.New.N > 0 {
			geoOld = append(geoOld, c.Old.Center)
			geoNew = append(geoNew, c.New.Center)
		}
	}
	if len(geoOld) > 1 {
		g1, g2 := geomean(geoOld), geomean(geoNew)
		fmt.Fprintf(tw, "geomean\t\t\t%s\t%s\t%s\t\n", formatValue(g1), formatValue(g2), formatDelta(g2/g1-1))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, line := range strings.SplitAfter(table.String(), "\n") {
		bw.WriteString(strings.TrimRight(line, " \n"))
		if strings.HasSuffix(line, "\n") {
			bw.WriteString("\n")
		}
	}
	fmt.Fprintf(bw, "(%s correction over %d metrics, alpha %.3g, %.0f%% intervals; severity graded on the conservative CI bound)\n",
		r.Config.Correction, len(r.Comparisons), r.Config.Alpha, 100*r.Config.Confidence)
	for i, n := range notes {
		fmt.Fprintf(bw, "%s %s\n", superscript(i+1), n)
	}
	for _, wmsg := range r.Warnings {
		fmt.Fprintf(bw, "warning: %s\n", wmsg)
	}
	return bw.Flush()
}

func formatN(n1, n2 int) string {
	if n1 == n2 {
		return fmt.Sprintf("n=%d", n1)
	}
	return fmt.Sprintf("n=%d+%d", n1, n2)
}

func formatDelta(d float64) string {
	switch {
	case math.IsNaN(d):
		return "?"
	case d == 0:
		return "0.00%"
	}
	return fmt.Sprintf("%+.2f%%", d*100)
}

func formatSide(s Summary) string {
	if s.N == 0 {
		return "-"
	}
	pm := "∞"
	if s.CI.Bounded() && s.Center != 0 {
		h := math.Max(s.CI.Hi/s.Center-1, 1-s.CI.Lo/s.Center)
		pm = fmt.Sprintf("%.0f%%", math.Abs(h)*100)
	}
	return formatValue(s.Center) + " ± " + pm
}

// formatValue prints 4 significant figures with an SI prefix (k, M, G, m, µ,
// n) the way benchstat does.
func formatValue(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprint(v)
	}
	prefixes := []struct {
		f float64
		p string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1, ""}, {1e-3, "m"}, {1e-6, "µ"}, {1e-9, "n"}}
	a := math.Abs(v)
	if a == 0 {
		return "0"
	}
	for _, p := range prefixes {
		if a >= p.f*0.9995 {
			return trimFloat(v/p.f) + p.p
		}
	}
	return fmt.Sprintf("%.4g", v)
}

func trimFloat(x float64) string {
	a := math.Abs(x)
	switch {
	case a >= 100:
		return fmt.Sprintf("%.1f", x)
	case a >= 10:
		return fmt.Sprintf("%.2f", x)
	}
	return fmt.Sprintf("%.3f", x)
}

func geomean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += math.Log(x)
	}
	return math.Exp(s / float64(len(xs)))
}

func superscript(n int) string {
	digits := []rune("⁰¹²³⁴⁵⁶⁷⁸⁹")
	var b strings.Builder
	for _, r := range fmt.Sprint(n) {
		b.WriteRune(digits[r-'0'])
	}
	return b.String()
}

// WriteBenchFormat writes samples in the Go benchmark format, one line per
// run and metric ("Benchmark<name>/<metric> 1 <value> <unit>"), preceded by
// the environment as configuration lines and a "Unit" line per unit that
// tells benchstat the direction and assumption. The result can be compared
// with `benchstat old.txt new.txt`. Every metric must have the same number of
// runs.
func WriteBenchFormat(w io.Writer, name string, env Env, samples []Samples) error {
	name = benchName(name)
	runs := -1
	for _, s := range samples {
		if err := s.Validate(); err != nil {
			return err
		}
		if runs >= 0 && len(s.Values) != runs {
			return fmt.Errorf("regression: metric %q has %d runs, others %d", s.Metric.Name, len(s.Values), runs)
		}
		runs = len(s.Values)
	}
	bw := bufio.NewWriter(w)
	for _, kv := range [][2]string{{"goos", env.GOOS}, {"goarch", env.GOARCH}, {"cpu", env.CPUModel}, {"machine-kind", env.MachineKind}, {"go", env.GoVersion}} {
		if kv[1] != "" {
			fmt.Fprintf(bw, "%s: %s\n", kv[0], kv[1])
		}
	}
	units := map[string]bool{}
	for _, s := range samples {
		u := benchUnit(s.Metric.Unit)
		if units[u] {
			continue
		}
		units[u] = true
		better := "lower"
		if s.Metric.Direction == HigherIsBetter {
			better = "higher"
		}
		fmt.Fprintf(bw, "Unit %s better=%s assume=%s\n", u, better, s.Metric.Assume)
	}
	for i := range max(runs, 0) {
		for _, s := range samples {
			fmt.Fprintf(bw, "%s/%s 1 %s %s\n", name, noSpace(s.Metric.Name), formatBenchValue(s.Values[i]), benchUnit(s.Metric.Unit))
		}
	}
	return bw.Flush()
}

func formatBenchValue(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.6g", v)
}

func benchUnit(u string) string {
	if u == "" {
		return "value"
	}
	return u
}

func noSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return '_'
		}
		return r
	}, s)
}

// benchName makes a benchmark name: "Benchmark" followed by the name with
// whitespace replaced, first letter upper case.
func benchName(name string) string {
	name = noSpace(strings.TrimPrefix(name, "Benchmark"))
	if name == "" {
		name = "Unnamed"
	}
	r := []rune(name)
	r[0] = unicode.ToUpper(r[0])
	return "Benchmark" + string(r)
}
