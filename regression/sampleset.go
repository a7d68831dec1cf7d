package regression

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// MetricKey names a metric of a result tree for comparison across runs:
// the path from the suite down to the node and the metric's name, joined
// by "/" ("baseline/TestBaselineLatencyPercentiles/p95"), whitespace
// replaced by '_' (a Metric name is one field). report.json sets and the
// suite harness key their metrics this way.
func MetricKey(path []string, metric string) string {
	parts := make([]string, 0, len(path)+1)
	for _, p := range append(path[:len(path):len(path)], metric) {
		parts = append(parts, oneField(p))
	}
	return strings.Join(parts, "/")
}

func oneField(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return '_'
		}
		return r
	}, strings.TrimSpace(s))
}

// SampleSet collects one value per run and metric from many runs into
// Samples, in the order metrics were first seen; runs are added oldest
// first, so each metric's values are in time order (Gate and
// CompareHistory need that). A value that cannot be compared is left out
// with a warning: non-finite, or a metric whose direction or unit
// disagrees with its first declaration. The zero value is ready to use.
type SampleSet struct {
	order    []string
	by       map[string]*Samples
	warnings []string
	warned   map[string]bool
}

// Add appends v to metric m (its first declaration wins).
func (s *SampleSet) Add(m Metric, v float64) {
	s.init()
	m.Unit = oneField(m.Unit)
	if isNaNOrInf(v) {
		s.warn(m.Name+"/nan", fmt.Sprintf("%s: non-finite values left out", m.Name))
		return
	}
	cur, ok := s.by[m.Name]
	if !ok {
		s.order = append(s.order, m.Name)
		s.by[m.Name] = &Samples{Metric: m, Values: []float64{v}}
		return
	}
	if cur.Metric.Direction != m.Direction || cur.Metric.Unit != m.Unit {
		s.warn(m.Name+"/decl", fmt.Sprintf("%s: values declared %s %q left out (first declared %s %q)",
			m.Name, m.Direction, m.Unit, cur.Metric.Direction, cur.Metric.Unit))
		return
	}
	cur.Values = append(cur.Values, v)
}

// AddSamples appends every value of ss.
func (s *SampleSet) AddSamples(ss ...Samples) {
	for _, x := range ss {
		for _, v := range x.Values {
			s.Add(x.Metric, v)
		}
	}
}

func (s *SampleSet) init() {
	if s.by == nil {
		s.by, s.warned = map[string]*Samples{}, map[string]bool{}
	}
}

func (s *SampleSet) warn(key, msg string) {
	s.init()
	if !s.warned[key] {
		s.warned[key] = true
		s.warnings = append(s.warnings, msg)
	}
}

// Samples returns the collected samples (copies).
func (s *SampleSet) Samples() []Samples {
	out := make([]Samples, 0, len(s.order))
	for _, name := range s.order {
		x := s.by[name]
		out = append(out, Samples{Metric: x.Metric, Values: append([]float64(nil), x.Values...)})
	}
	return out
}

// MaxValues is the largest number of values any metric has.
func (s *SampleSet) MaxValues() int {
	n := 0
	for _, x := range s.by {
		n = max(n, len(x.Values))
	}
	return n
}

// Warnings returns what was left out and why, once per metric and reason.
func (s *SampleSet) Warnings() []string { return append([]string(nil), s.warnings...) }

// knownUnits are the directions of the units `go test -bench` writes.
var knownUnits = map[string]Direction{
	"ns/op": LowerIsBetter, "B/op": LowerIsBetter, "allocs/op": LowerIsBetter,
	"MB/s": HigherIsBetter, "sec/op": LowerIsBetter, "B/s": HigherIsBetter,
}

var procsSuffix = regexp.MustCompile(`-\d+$`)

// ReadBench reads results in the Go benchmark format (what `go test
// -bench` prints, report's bench.txt, WriteBenchFormat) into s: every
// value of a result line becomes a value of the metric named
// "<benchmark name without Benchmark and -N>/<unit>", each repetition of
// a line one run. A unit's direction comes from its "Unit <unit>
// better=higher|lower" line or, for the units go test writes (ns/op,
// B/op, allocs/op, MB/s), from their meaning; values of a unit with no
// known direction are left out, with one warning per unit. Other lines
// (configuration, comments, PASS, ok) are ignored.
func ReadBench(r io.Reader, s *SampleSet) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	dirs := map[string]Direction{}
	assume := map[string]Assumption{}
	for k, v := range knownUnits {
		dirs[k] = v
	}
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 2 && f[0] == "Unit":
			for _, kv := range f[2:] {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "better":
					var d Direction
					if err := d.UnmarshalText([]byte(v)); err == nil {
						dirs[f[1]] = d
					}
				case "assume":
					var a Assumption
					if err := a.UnmarshalText([]byte(v)); err == nil {
						assume[f[1]] = a
					}
				}
			}
		case len(f) >= 4 && strings.HasPrefix(f[0], "Benchmark") && len(f)%2 == 0:
			if _, err := strconv.ParseUint(f[1], 10, 64); err != nil {
				continue // not a result line
			}
			name := procsSuffix.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), "")
			for i := 2; i+1 < len(f); i += 2 {
				v, err := strconv.ParseFloat(f[i], 64)
				if err != nil {
					return fmt.Errorf("regression: bench line %d: value %q: %w", line, f[i], err)
				}
				unit := f[i+1]
				d, ok := dirs[unit]
				if !ok {
					s.warn("unit/"+unit, fmt.Sprintf("unit %s has no better=higher|lower line: its values are left out", unit))
					continue
				}
				if math.IsNaN(v) {
					continue
				}
				s.Add(Metric{Name: name + "/" + unit, Unit: unit, Direction: d, Assume: assume[unit]}, v)
			}
		}
	}
	return sc.Err()
}
