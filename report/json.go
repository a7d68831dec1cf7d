package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
)

// SchemaVersion is the version of the JSON report format; schema/v1.json
// (embedded as SchemaV1) describes it. Additive changes keep the version;
// anything that renames, removes or retypes a field bumps it.
const SchemaVersion = 1

// SchemaID is the $id of the JSON schema the report declares.
const SchemaID = "https://github.com/mcpstress/mcpstress/report/schema/v1.json"

// JSONReport is the top level of report.json.
type JSONReport struct {
	Schema        string      `json:"$schema"`
	SchemaVersion int         `json:"schema_version"`
	Summary       JSONSummary `json:"summary"`
	Run           *Run        `json:"run"`
}

// JSONSummary repeats the run's totals (the seed's summary block) so that
// readers need not walk the tree.
type JSONSummary struct {
	TotalTests        int     `json:"total_tests"`
	PassedTests       int     `json:"passed_tests"`
	FailedTests       int     `json:"failed_tests"`
	SkippedTests      int     `json:"skipped_tests"`
	ErrorTests        int     `json:"error_tests"`
	PassRate          float64 `json:"pass_rate"`
	TotalAssertions   uint64  `json:"total_assertions"`
	AssertionPassRate float64 `json:"assertion_pass_rate"`
	Thresholds        int     `json:"thresholds"`
	ThresholdsFailed  int     `json:"thresholds_failed"`
	// ThresholdsSkipped counts the checks that were not judged.
	ThresholdsSkipped int `json:"thresholds_skipped,omitempty"`
}

func summarize(t Totals) JSONSummary {
	s := JSONSummary{
		TotalTests: t.Tests, PassedTests: t.Passed, FailedTests: t.Failed,
		SkippedTests: t.Skipped, ErrorTests: t.Errors, PassRate: t.PassRate(),
		TotalAssertions: t.Assertions.Passed + t.Assertions.Failed,
		Thresholds:      t.Thresholds, ThresholdsFailed: t.ThresholdsFailed, ThresholdsSkipped: t.ThresholdsSkipped,
	}
	if s.TotalAssertions > 0 {
		s.AssertionPassRate = 100 * float64(t.Assertions.Passed) / float64(s.TotalAssertions)
	}
	return s
}

// WriteJSON writes the run as an indented JSON report (schema v1). Values
// that JSON cannot represent (NaN, ±Inf) are written as null.
func WriteJSON(w io.Writer, r *Run) error {
	c := r.Clone()
	c.Normalize()
	rep := JSONReport{Schema: SchemaID, SchemaVersion: SchemaVersion, Summary: summarize(c.Totals()), Run: c}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// MaxJSONBytes bounds what ReadJSON reads: a report larger than this is
// refused rather than held in memory.
const MaxJSONBytes = 256 << 20

// ReadJSON decodes a report written by WriteJSON (null values come back as
// NaN). It reads at most MaxJSONBytes, refuses a schema version other than
// SchemaVersion and a run that fails Validate, and reports every such
// problem at once.
func ReadJSON(rd io.Reader) (*JSONReport, error) { return readJSON(rd, MaxJSONBytes) }

func readJSON(rd io.Reader, limit int64) (*JSONReport, error) {
	lr := &io.LimitedReader{R: rd, N: limit + 1}
	var rep JSONReport
	dec := json.NewDecoder(lr)
	if err := dec.Decode(&rep); err != nil {
		if lr.N <= 0 {
			return nil, fmt.Errorf("report: JSON larger than %d bytes", limit)
		}
		return nil, fmt.Errorf("report: decode JSON: %w", err)
	}
	if lr.N <= 0 {
		return nil, fmt.Errorf("report: JSON larger than %d bytes", limit)
	}
	var errs []error
	if rep.SchemaVersion != SchemaVersion {
		errs = append(errs, fmt.Errorf("report: schema_version %d, this reader understands %d", rep.SchemaVersion, SchemaVersion))
	}
	if rep.Run == nil {
		errs = append(errs, errors.New("report: no run in the JSON"))
	} else if err := rep.Run.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &rep, nil
}

// jsonFloat encodes non-finite values as null and decodes null as NaN.
// ThresholdResult (verdict.Check) does the same for its Measured itself.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(v)
}

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = jsonFloat(math.NaN())
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = jsonFloat(v)
	return nil
}

type metricJSON struct {
	Name   string    `json:"name"`
	Unit   string    `json:"unit,omitempty"`
	Value  jsonFloat `json:"value"`
	Better Better    `json:"better,omitempty"`
	Key    bool      `json:"key,omitempty"`
}

// MarshalJSON writes a non-finite Value as null.
func (m Metric) MarshalJSON() ([]byte, error) {
	return json.Marshal(metricJSON{m.Name, m.Unit, jsonFloat(m.Value), m.Better, m.Key})
}

// UnmarshalJSON reads null as NaN.
func (m *Metric) UnmarshalJSON(b []byte) error {
	var j metricJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*m = Metric{j.Name, j.Unit, float64(j.Value), j.Better, j.Key}
	return nil
}

type pointJSON struct {
	T int64     `json:"t_ns"`
	V jsonFloat `json:"v"`
}

// MarshalJSON writes a non-finite V as null.
func (p Point) MarshalJSON() ([]byte, error) {
	return json.Marshal(pointJSON{int64(p.T), jsonFloat(p.V)})
}

// UnmarshalJSON reads null as NaN.
func (p *Point) UnmarshalJSON(b []byte) error {
	var j pointJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	p.T, p.V = durationOf(j.T), float64(j.V)
	return nil
}

type xyJSON struct {
	X jsonFloat `json:"x"`
	Y jsonFloat `json:"y"`
}

// MarshalJSON writes non-finite coordinates as null.
func (p XY) MarshalJSON() ([]byte, error) {
	return json.Marshal(xyJSON{jsonFloat(p.X), jsonFloat(p.Y)})
}

// UnmarshalJSON reads null as NaN.
func (p *XY) UnmarshalJSON(b []byte) error {
	var j xyJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	p.X, p.Y = float64(j.X), float64(j.Y)
	return nil
}
