package regression

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"
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
// run and metric ("Benchmark<name>/<metric>\t1\t<value> <unit>"), preceded
// by the environment as configuration lines and a "Unit" line per unit that
// tells benchstat the direction and assumption. The result can be compared
// with `benchstat old.txt new.txt`. Every metric must have the same number of
// runs. A "/" in name separates sub-benchmark names, as in `go test`; a
// leading "Benchmark" is not repeated.
func WriteBenchFormat(w io.Writer, name string, env Env, samples []Samples) error {
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
	bw := NewBenchWriter(w)
	bw.Env(env)
	for _, s := range samples {
		bw.Unit(s.Metric.Unit, s.Metric.Direction, s.Metric.Assume.String())
	}
	base := slices.Clip(strings.Split(strings.TrimPrefix(name, "Benchmark"), "/"))
	for i := range max(runs, 0) {
		for _, s := range samples {
			bw.Result(append(base, s.Metric.Name), 0, BenchValue{s.Values[i], s.Metric.Unit})
		}
	}
	return bw.Flush()
}

// BenchWriter writes the Go benchmark format
// (https://go.dev/design/14313-benchmark-format) that benchstat reads. It is
// the module's one writer of that format, behind WriteBenchFormat and
// report's bench.txt: it makes names and units single fields, formats values
// so that they parse back exactly, and keeps every line valid UTF-8 (benchfmt
// rejects a file that is not). A write error stops all later writes and is
// returned by Flush.
type BenchWriter struct {
	w     *bufio.Writer
	units map[string]bool
}

// NewBenchWriter returns a BenchWriter that buffers into w until Flush.
func NewBenchWriter(w io.Writer) *BenchWriter {
	return &BenchWriter{w: bufio.NewWriter(w), units: map[string]bool{}}
}

// Comment writes "# text" on one line. benchstat ignores comments, so they
// can carry what differs between the runs being compared (a run id, a
// revision) without keeping those runs apart.
func (b *BenchWriter) Comment(text string) {
	b.w.WriteString("# " + benchLine(text) + "\n")
}

// Config writes the configuration line "key: value", the value on one line.
// An empty value writes nothing. The key must start lower case and contain
// no space or upper case (the format's rule). benchstat compares results
// only within one configuration and puts the others in separate tables.
func (b *BenchWriter) Config(key, value string) {
	if value != "" {
		b.w.WriteString(key + ": " + benchLine(value) + "\n")
	}
}

// Env writes e's fingerprint as configuration lines: goos, goarch and cpu
// (the lines `go test -bench` writes), then machine-kind and go. Empty
// fields are left out, so a caller chooses the lines by the fields it sets.
func (b *BenchWriter) Env(e Env) {
	b.Config("goos", e.GOOS)
	b.Config("goarch", e.GOARCH)
	b.Config("cpu", e.CPUModel)
	b.Config("machine-kind", e.MachineKind)
	b.Config("go", e.GoVersion)
}

// Unit writes the metadata line "Unit <unit> better=<higher|lower>", with
// "assume=<assume>" when assume is not empty (see Assumption.String;
// benchstat knows "nothing" and "exact"). Only the first line for a unit is
// written: benchstat rejects a unit whose metadata changes.
func (b *BenchWriter) Unit(unit string, better Direction, assume string) {
	unit = benchUnit(unit)
	if b.units[unit] {
		return
	}
	b.units[unit] = true
	line := "Unit " + unit
	switch better {
	case HigherIsBetter:
		line += " better=higher"
	case LowerIsBetter:
		line += " better=lower"
	}
	if assume = benchField(assume); assume != "" {
		line += " assume=" + assume
	}
	b.w.WriteString(line + "\n")
}

// BenchValue is one measurement on a result line.
type BenchValue struct {
	Value float64
	Unit  string
}

// Result writes one result line of one iteration:
//
//	Benchmark<name>[-<procs>]\t1\t<value> <unit>\t<value> <unit>...
//
// name is the benchmark's path, joined with "/": in each element '/' and
// whitespace become '_' and control characters are dropped (an empty
// element is "_"), and the first is capitalised as Go benchmark names are.
// procs, when positive, is the "-N" suffix benchstat reads as GOMAXPROCS.
// An empty unit is "value". NaN and ±Inf values, which benchstat cannot
// compare, are left out, and a line left with no values is not written.
func (b *BenchWriter) Result(name []string, procs int, values ...BenchValue) {
	var line strings.Builder
	line.WriteString("Benchmark")
	for i, part := range name {
		part = strings.ReplaceAll(benchField(part), "/", "_")
		switch {
		case part == "":
			part = "_"
		case i == 0:
			r, size := utf8.DecodeRuneInString(part)
			part = string(unicode.ToUpper(r)) + part[size:]
		}
		if i > 0 {
			line.WriteByte('/')
		}
		line.WriteString(part)
	}
	if procs > 0 {
		line.WriteString("-" + strconv.Itoa(procs))
	}
	line.WriteString("\t1")
	wrote := false
	for _, v := range values {
		if math.IsNaN(v.Value) || math.IsInf(v.Value, 0) {
			continue
		}
		line.WriteString("\t" + formatBenchValue(v.Value) + " " + benchUnit(v.Unit))
		wrote = true
	}
	if wrote {
		b.w.WriteString(line.String() + "\n")
	}
}

// Flush writes what is buffered and returns the first write error.
func (b *BenchWriter) Flush() error { return b.w.Flush() }

// formatBenchValue writes integers in full (below 1e15, where float64 still
// holds every integer) and anything else in the shortest form that parses
// back to the same float64.
func formatBenchValue(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// benchUnit makes a unit one field; an empty unit is "value".
func benchUnit(u string) string {
	if u = benchField(u); u == "" {
		return "value"
	}
	return u
}

// benchField makes s one field of a line: surrounding space trimmed, inner
// whitespace replaced by '_', control characters dropped and invalid UTF-8
// replaced by U+FFFD.
func benchField(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return '_'
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, strings.TrimSpace(s))
}

// benchLine makes s the rest of one line: line breaks become spaces and
// invalid UTF-8 becomes U+FFFD.
func benchLine(s string) string {
	return strings.ToValidUTF8(strings.NewReplacer("\n", " ", "\r", " ").Replace(s), "\uFFFD")
}
