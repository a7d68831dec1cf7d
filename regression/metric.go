package regression

import (
	"errors"
	"fmt"
	"strings"
)

// Direction says which way a metric gets better. It is mandatory: a detector
// that does not know it calls improvements regressions.
type Direction int

const (
	// LowerIsBetter is for latencies, memory, error counts.
	LowerIsBetter Direction = iota + 1
	// HigherIsBetter is for throughput and success rates.
	HigherIsBetter
)

// String returns "lower-is-better" or "higher-is-better".
func (d Direction) String() string {
	switch d {
	case LowerIsBetter:
		return "lower-is-better"
	case HigherIsBetter:
		return "higher-is-better"
	}
	return fmt.Sprintf("Direction(%d)", int(d))
}

// MarshalText implements encoding.TextMarshaler.
func (d Direction) MarshalText() ([]byte, error) {
	if d != LowerIsBetter && d != HigherIsBetter {
		return nil, fmt.Errorf("regression: invalid direction %d", int(d))
	}
	return []byte(d.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Direction) UnmarshalText(b []byte) error {
	switch strings.ToLower(string(b)) {
	case "lower-is-better", "lower":
		*d = LowerIsBetter
	case "higher-is-better", "higher":
		*d = HigherIsBetter
	default:
		return fmt.Errorf("regression: unknown direction %q", b)
	}
	return nil
}

// Assumption selects the summary and the test, as benchstat's unit metadata does.
type Assumption int

const (
	// AssumeNothing (the zero value and default): median, distribution-free
	// CI, Mann–Whitney U, Hodges–Lehmann ratio CI.
	AssumeNothing Assumption = iota
	// AssumeNormal: mean, t CI, Welch's t-test.
	AssumeNormal
	// AssumeExact: values are deterministic (allocs/op, binary size); any
	// difference counts, variation is warned about.
	AssumeExact
)

// String returns "nothing", "normal" or "exact".
func (a Assumption) String() string {
	switch a {
	case AssumeNothing:
		return "nothing"
	case AssumeNormal:
		return "normal"
	case AssumeExact:
		return "exact"
	}
	return fmt.Sprintf("Assumption(%d)", int(a))
}

// MarshalText implements encoding.TextMarshaler.
func (a Assumption) MarshalText() ([]byte, error) {
	if a < AssumeNothing || a > AssumeExact {
		return nil, fmt.Errorf("regression: invalid assumption %d", int(a))
	}
	return []byte(a.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (a *Assumption) UnmarshalText(b []byte) error {
	switch strings.ToLower(string(b)) {
	case "nothing", "":
		*a = AssumeNothing
	case "normal":
		*a = AssumeNormal
	case "exact":
		*a = AssumeExact
	default:
		return fmt.Errorf("regression: unknown assumption %q", b)
	}
	return nil
}

// Metric names a measured quantity. Each run contributes one value per
// metric: the run, never the request, is the unit of replication.
type Metric struct {
	Name      string     `json:"name"`
	Unit      string     `json:"unit"`
	Direction Direction  `json:"direction"`
	Assume    Assumption `json:"assume,omitempty"`
}

// Validate reports every problem with m at once.
func (m Metric) Validate() error {
	var errs []error
	if m.Name == "" {
		errs = append(errs, errors.New("metric: empty name"))
	}
	if strings.ContainsAny(m.Name, " \t\n") {
		errs = append(errs, fmt.Errorf("metric %q: name contains whitespace", m.Name))
	}
	if strings.ContainsAny(m.Unit, " \t\n") {
		errs = append(errs, fmt.Errorf("metric %q: unit %q contains whitespace", m.Name, m.Unit))
	}
	if m.Direction != LowerIsBetter && m.Direction != HigherIsBetter {
		errs = append(errs, fmt.Errorf("metric %q: direction must be LowerIsBetter or HigherIsBetter", m.Name))
	}
	if m.Assume < AssumeNothing || m.Assume > AssumeExact {
		errs = append(errs, fmt.Errorf("metric %q: invalid assumption %d", m.Name, int(m.Assume)))
	}
	return errors.Join(errs...)
}

// Samples holds one value per run for one metric.
type Samples struct {
	Metric Metric    `json:"metric"`
	Values []float64 `json:"values"`
}

// Validate checks the metric and that every value is finite.
func (s Samples) Validate() error {
	errs := []error{s.Metric.Validate()}
	for i, v := range s.Values {
		if isNaNOrInf(v) {
			errs = append(errs, fmt.Errorf("metric %q: value %d is %v", s.Metric.Name, i, v))
		}
	}
	return errors.Join(errs...)
}

// worse returns how much worse b is than a as a signed relative change:
// positive means worse in the metric's direction.
func (d Direction) worse(ratio float64) float64 {
	if d == HigherIsBetter {
		return 1 - ratio
	}
	return ratio - 1
}

// Run is one execution's summary: one value per metric name. Suites produce
// runs; comparisons consume Samples (see SamplesFromRuns).
type Run map[string]float64

// SamplesFromRuns turns per-run records into per-metric samples in run
// order. Every run must have a finite value for every metric; all problems
// are reported at once.
func SamplesFromRuns(metrics []Metric, runs []Run) ([]Samples, error) {
	var errs []error
	out := make([]Samples, len(metrics))
	for j, m := range metrics {
		if err := m.Validate(); err != nil {
			errs = append(errs, err)
		}
		out[j] = Samples{Metric: m, Values: make([]float64, 0, len(runs))}
		for i, r := range runs {
			v, ok := r[m.Name]
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("run %d: no value for metric %q", i, m.Name))
			case isNaNOrInf(v):
				errs = append(errs, fmt.Errorf("run %d: metric %q is %v", i, m.Name, v))
			default:
				out[j].Values = append(out[j].Values, v)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}
