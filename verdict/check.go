package verdict

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The marks of the three outcomes.
const (
	MarkPass    = "✓"
	MarkFail    = "✗"
	MarkSkipped = "–"
)

// Check is one judged pass criterion. Its zero Window means the whole run;
// see the package comment for the three outcomes.
type Check struct {
	// Expr is the criterion as a person reads it, e.g. "p95 <= 102ms" or
	// "failure_rate < 0.1%".
	Expr string `json:"expr"`
	// Metric names what was measured, e.g. "p95", "error_rate",
	// "throughput", "memory_growth"; empty when the check is not about a
	// named metric.
	Metric string `json:"metric,omitempty"`
	// Measured is the value compared, in Unit. NaN means nothing was
	// measured (as NoData).
	Measured float64 `json:"measured"`
	// Unit of Measured: "ms", "%", "msg/s", "MB", "s" or "".
	Unit string `json:"unit,omitempty"`
	// Pass is the verdict of a judged check with data. It is ignored when
	// NoData (the check fails) or Skip (the check is not judged) is set.
	Pass bool `json:"pass"`
	// NoData says there was nothing to measure: the check fails and shows
	// as "no data".
	NoData bool `json:"no_data,omitempty"`
	// Skip, when not empty, is why the check was not judged; it is then
	// neither a pass nor a failure.
	Skip string `json:"skip,omitempty"`
	// Window is the sliding window the value was measured over; zero is
	// the whole run.
	Window time.Duration `json:"window_ns,omitempty"`
	// Detail is the evidence in one line (sample counts, failed windows,
	// the worst window's value).
	Detail string `json:"detail,omitempty"`
}

// NoDataCheck returns the check of a criterion that had nothing to measure
// (a zero denominator, no answered request): judged and failed. detail may
// say why ("no request was answered").
func NoDataCheck(expr, metric, unit, detail string) Check {
	return Check{Expr: expr, Metric: metric, Measured: math.NaN(), Unit: unit, NoData: true, Detail: detail}
}

// SkippedCheck returns a check that was not judged, with the reason.
func SkippedCheck(expr, metric, reason string) Check {
	return Check{Expr: expr, Metric: metric, Measured: math.NaN(), Skip: reason}
}

// ReportedOnly returns c not judged, for the reason why, with its measured
// figure and evidence kept in the reason ("...; measured here: Detail"):
// a check whose run is too short to decide it (a quick mode's seconds of
// memory slope) shows what it measured instead of passing or failing. A
// check already not judged is returned as it is.
func (c Check) ReportedOnly(why string) Check {
	if c.Skipped() {
		return c
	}
	c.Skip = why + "; measured here: " + c.Detail
	return c
}

// Skipped reports whether the check was not judged (Skip is set).
func (c Check) Skipped() bool { return c.Skip != "" }

// Unmeasured reports whether a judged check had nothing to measure: NoData
// is set or Measured is NaN.
func (c Check) Unmeasured() bool {
	return !c.Skipped() && (c.NoData || math.IsNaN(c.Measured))
}

// Failed reports whether the check was judged and did not pass; a check
// without data always fails, even when Pass was set by mistake.
func (c Check) Failed() bool {
	return !c.Skipped() && (!c.Pass || c.Unmeasured())
}

// Passed reports whether the check was judged, had data and passed.
func (c Check) Passed() bool { return !c.Skipped() && !c.Failed() }

// Mark is ✓ (passed), ✗ (failed, including no data) or – (not judged).
func (c Check) Mark() string {
	switch {
	case c.Skipped():
		return MarkSkipped
	case c.Failed():
		return MarkFail
	}
	return MarkPass
}

// Display is the measured value with its unit ("12.3 ms", "0.05%",
// "4998 msg/s"), "no data" when nothing was measured, or "not judged".
func (c Check) Display() string {
	switch {
	case c.Skipped():
		return "not judged"
	case c.Unmeasured():
		return "no data"
	}
	return FormatValue(c.Measured, c.Unit)
}

// String is the check on one line:
//
//	✓ p95 <= 102ms (measured 2.45 ms) over 10s — failed 0 of 12 windows
//	✗ error_rate < 0.1% (no data)
//	– memory growth < 100 MB: not judged: the suite did not start the server
func (c Check) String() string {
	if c.Skipped() {
		return fmt.Sprintf("%s %s: not judged: %s", c.Mark(), c.Expr, c.Skip)
	}
	var b strings.Builder
	b.WriteString(c.Mark())
	b.WriteString(" ")
	b.WriteString(c.Expr)
	if c.Unmeasured() {
		b.WriteString(" (no data)")
	} else {
		b.WriteString(" (measured ")
		b.WriteString(c.Display())
		b.WriteString(")")
	}
	if c.Window > 0 {
		b.WriteString(" over ")
		b.WriteString(FormatWindow(c.Window))
	}
	if c.Detail != "" {
		b.WriteString(" — ")
		b.WriteString(c.Detail)
	}
	return b.String()
}

// FormatValue formats v for people with its unit: integers without
// decimals, at most one decimal from 100 up, two from 1 up, three
// significant digits below (trailing zeros dropped); "%" is attached, other
// units follow a space. Non-finite values are "n/a".
func FormatValue(v float64, unit string) string {
	s := formatNumber(v)
	switch {
	case unit == "" || s == "n/a":
		return s
	case unit == "%":
		return s + "%"
	}
	return s + " " + unit
}

func formatNumber(v float64) string {
	var s string
	switch a := math.Abs(v); {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "n/a"
	case v == math.Trunc(v) && a < 1e15:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 100:
		s = strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		s = strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// FormatWindow writes a window the way thresholds spell it: "10s", "1m",
// "1m30s", "1h", "500ms" (no trailing zero units).
func FormatWindow(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// checkJSON is Check on the wire: a non-finite Measured is null.
type checkJSON struct {
	Expr     string   `json:"expr"`
	Metric   string   `json:"metric,omitempty"`
	Measured *float64 `json:"measured"`
	Unit     string   `json:"unit,omitempty"`
	Pass     bool     `json:"pass"`
	NoData   bool     `json:"no_data,omitempty"`
	Skip     string   `json:"skip,omitempty"`
	Window   int64    `json:"window_ns,omitempty"`
	Detail   string   `json:"detail,omitempty"`
}

// MarshalJSON writes the check; a non-finite Measured (nothing measured)
// is written as null, which JSON can represent.
func (c Check) MarshalJSON() ([]byte, error) {
	j := checkJSON{Expr: c.Expr, Metric: c.Metric, Unit: c.Unit, Pass: c.Pass, NoData: c.NoData,
		Skip: c.Skip, Window: int64(c.Window), Detail: c.Detail}
	if !math.IsNaN(c.Measured) && !math.IsInf(c.Measured, 0) {
		m := c.Measured
		j.Measured = &m
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads a check; a null or missing measured value comes back
// as NaN. Fields a reader does not find (older files) stay zero.
func (c *Check) UnmarshalJSON(b []byte) error {
	var j checkJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	m := math.NaN()
	if j.Measured != nil {
		m = *j.Measured
	}
	*c = Check{Expr: j.Expr, Metric: j.Metric, Measured: m, Unit: j.Unit, Pass: j.Pass, NoData: j.NoData,
		Skip: j.Skip, Window: time.Duration(j.Window), Detail: j.Detail}
	return nil
}
