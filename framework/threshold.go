package framework

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/mcpstress/mcpstress/verdict"
)

// Threshold is one pass criterion, parsed from text:
//
//	[latency.]metric op value[unit] [over WINDOW] [abort] [grace DURATION]
//
// metric is a latency aggregate (p50, p95, p99.9, p(99.9), max, min, mean,
// stddev) or a run figure (error_rate, drop_rate, failure_rate, throughput).
// The rates are (see OutcomeCounts):
//
//	error_rate   = (tool + rpc + transport errors + timeouts) / requests sent and ended
//	drop_rate    = dropped / scheduled
//	failure_rate = (tool + rpc + transport errors + timeouts + dropped) / (scheduled − cancelled)
//
// error_rate leaves dropped requests out (they were never sent, so the server
// never saw them); failure_rate is what a user saw: every request that did
// not get a successful answer. A latency
// metric reads the corrected histogram unless prefixed "uncorrected." or
// "lag.". op is one of < <= > >= == !=. Units: ns, us, µs, ms, s, m for
// latency (ms when omitted); % or a plain fraction for rates; "/s" (or
// nothing) for throughput, in answered requests per second.
//
// "over 10s" also checks the metric at every interval over a sliding window
// of the last 10 s (k6 can only check since the start); without it the
// threshold is checked on the whole run. "abort" stops the run as soon as
// the check fails; "grace 30s" ignores failures (window and abort) during
// the first 30 s of load. Every threshold is checked over the whole run at
// the end.
type Threshold struct {
	Expr       string        `json:"expr"`
	Latency    string        `json:"latency,omitempty"` // corrected, uncorrected or lag
	Metric     string        `json:"metric"`            // p, max, min, mean, stddev, error_rate, drop_rate, failure_rate, throughput
	Percentile float64       `json:"percentile,omitempty"`
	Op         string        `json:"op"`
	Value      float64       `json:"value"` // nanoseconds for latency, a fraction for rates, per second for throughput
	Window     time.Duration `json:"window,omitempty"`
	Abort      bool          `json:"abort,omitempty"`
	Grace      time.Duration `json:"grace,omitempty"`
}

var thresholdOps = []string{"<=", ">=", "==", "!=", "<", ">"}

// ParseThresholds parses every expression; the error lists every bad one.
func ParseThresholds(exprs []string) ([]Threshold, error) {
	var errs []error
	out := make([]Threshold, 0, len(exprs))
	for _, e := range exprs {
		t, err := ParseThreshold(e)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, t)
	}
	return out, errors.Join(errs...)
}

// ParseThreshold parses one expression (see Threshold for the grammar).
func ParseThreshold(expr string) (Threshold, error) {
	t := Threshold{Expr: strings.TrimSpace(expr)}
	fail := func(format string, a ...any) (Threshold, error) {
		return Threshold{}, fmt.Errorf("threshold %q: %s", expr, fmt.Sprintf(format, a...))
	}
	s := t.Expr
	if s == "" {
		return fail("empty expression")
	}
	opAt, op := -1, ""
	for i := 0; i < len(s) && opAt < 0; i++ {
		for _, o := range thresholdOps {
			if strings.HasPrefix(s[i:], o) {
				opAt, op = i, o
				break
			}
		}
	}
	if opAt < 0 {
		return fail("no comparison operator (one of < <= > >= == !=)")
	}
	t.Op = op
	lhs := strings.ToLower(strings.ReplaceAll(s[:opAt], " ", ""))
	rest := strings.Fields(s[opAt+len(op):])
	if len(rest) == 0 {
		return fail("no value after %q", op)
	}
	if err := t.parseMetric(lhs); err != nil {
		return fail("%v", err)
	}
	if err := t.parseValue(rest[0]); err != nil {
		return fail("%v", err)
	}
	var errs []string
	for i := 1; i < len(rest); i++ {
		switch strings.ToLower(rest[i]) {
		case "over", "grace":
			if i+1 >= len(rest) {
				errs = append(errs, fmt.Sprintf("%q needs a duration", rest[i]))
				continue
			}
			d, err := time.ParseDuration(rest[i+1])
			if err != nil || d <= 0 {
				errs = append(errs, fmt.Sprintf("%q: bad duration %q", rest[i], rest[i+1]))
			} else if strings.EqualFold(rest[i], "over") {
				t.Window = d
			} else {
				t.Grace = d
			}
			i++
		case "abort":
			t.Abort = true
		default:
			errs = append(errs, fmt.Sprintf("unexpected %q (want over DURATION, abort or grace DURATION)", rest[i]))
		}
	}
	if len(errs) > 0 {
		return fail("%s", strings.Join(errs, "; "))
	}
	return t, nil
}

func (t *Threshold) parseMetric(lhs string) error {
	if kind, m, ok := strings.Cut(lhs, "."); ok && (kind == "corrected" || kind == "uncorrected" || kind == "lag") {
		t.Latency, lhs = kind, m
	}
	switch lhs {
	case "max", "min", "mean", "avg", "stddev", "med":
		t.Metric = lhs
		if lhs == "avg" {
			t.Metric = "mean"
		}
		if lhs == "med" {
			t.Metric, t.Percentile = "p", 50
		}
	case "error_rate", "drop_rate", "failure_rate", "throughput":
		if t.Latency != "" {
			return fmt.Errorf("%s is not a latency metric; drop the %q prefix", lhs, t.Latency)
		}
		t.Metric = lhs
		return nil
	default:
		p, ok := strings.CutPrefix(lhs, "p")
		if !ok {
			return fmt.Errorf("unknown metric %q (want pNN, p(NN), max, min, mean, stddev, error_rate, drop_rate, failure_rate or throughput)", lhs)
		}
		p = strings.TrimSuffix(strings.TrimPrefix(p, "("), ")")
		v, err := strconv.ParseFloat(p, 64)
		if err == nil && !strings.Contains(p, ".") && len(p) > 2 && strings.HasPrefix(p, "99") && v > 100 {
			// p999, p9999: the common shorthand for 99.9, 99.99.
			v, err = strconv.ParseFloat("99."+p[2:], 64)
		}
		if err != nil || v <= 0 || v > 100 {
			return fmt.Errorf("percentile %q must be a number in (0, 100]", p)
		}
		t.Metric, t.Percentile = "p", v
	}
	if t.Latency == "" {
		t.Latency = "corrected"
	}
	return nil
}

func (t *Threshold) parseValue(v string) error {
	switch t.Metric {
	case "error_rate", "drop_rate", "failure_rate":
		pct := strings.HasSuffix(v, "%")
		f, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
		if err != nil || f < 0 {
			return fmt.Errorf("rate %q must be a fraction or a percentage", v)
		}
		if pct {
			f /= 100
		}
		if f > 1 {
			return fmt.Errorf("rate %q is above 100%%", v)
		}
		t.Value = f
	case "throughput":
		f, err := strconv.ParseFloat(strings.TrimSuffix(v, "/s"), 64)
		if err != nil || f < 0 {
			return fmt.Errorf("throughput %q must be a number of requests per second", v)
		}
		t.Value = f
	default:
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			v = strconv.FormatFloat(f, 'f', -1, 64) + "ms"
		}
		d, err := time.ParseDuration(strings.ReplaceAll(v, "µs", "us"))
		if err != nil || d < 0 {
			return fmt.Errorf("latency %q must be a duration like 102ms", v)
		}
		t.Value = float64(d)
	}
	return nil
}

// Measure computes the threshold's metric from histograms and counts
// covering span. It returns NaN (no data) when the metric has nothing to
// be measured on: a rate whose denominator is zero, a throughput over no
// time or no request that ended, a latency over no answered request. A
// threshold never holds on NaN, so nothing passes on zero data.
func (t Threshold) Measure(set LatencySet, counts OutcomeCounts, span time.Duration) float64 {
	switch t.Metric {
	case "error_rate":
		if counts.OK+counts.Errors() == 0 {
			return math.NaN()
		}
		return counts.ErrorRate()
	case "drop_rate":
		if counts.Total() == 0 {
			return math.NaN()
		}
		return counts.DropRate()
	case "failure_rate":
		if counts.Total()-counts.Cancelled == 0 {
			return math.NaN()
		}
		return counts.FailureRate()
	case "throughput":
		if span <= 0 || counts.Total()-counts.Cancelled == 0 {
			return math.NaN() // nothing was scheduled, or nothing ended
		}
		return float64(counts.Answered()) / span.Seconds()
	}
	h := set.Corrected
	switch t.Latency {
	case "uncorrected":
		h = set.Uncorrected
	case "lag":
		h = set.Lag
	}
	if h == nil || h.Histogram == nil || h.TotalCount() == 0 {
		return math.NaN()
	}
	switch t.Metric {
	case "max":
		return float64(us(h.Max()))
	case "min":
		return float64(us(h.Min()))
	case "mean":
		return h.Mean() * float64(time.Microsecond)
	case "stddev":
		return h.StdDev() * float64(time.Microsecond)
	default:
		return float64(h.Percentile(t.Percentile))
	}
}

// Holds reports whether a measured value satisfies the threshold. A latency
// measured over no samples (NaN: no request was answered) never holds: a
// run with nothing to judge has not shown that it meets the threshold.
func (t Threshold) Holds(v float64) bool {
	if math.IsNaN(v) {
		return false
	}
	switch t.Op {
	case "<":
		return v < t.Value
	case "<=":
		return v <= t.Value
	case ">":
		return v > t.Value
	case ">=":
		return v >= t.Value
	case "==":
		return v == t.Value
	case "!=":
		return v != t.Value
	}
	return false
}

// NoData is what Format shows for a value measured over nothing.
const NoData = "no data"

// Format renders a measured value in the threshold's unit.
func (t Threshold) Format(v float64) string {
	if math.IsNaN(v) {
		return NoData
	}
	switch t.Metric {
	case "error_rate", "drop_rate", "failure_rate":
		return strconv.FormatFloat(v*100, 'f', -1, 64) + "%"
	case "throughput":
		return strconv.FormatFloat(v, 'f', 1, 64) + "/s"
	}
	return time.Duration(v).Round(time.Microsecond).String()
}

// ThresholdResult is how one threshold fared.
type ThresholdResult struct {
	Threshold Threshold `json:"threshold"`
	Passed    bool      `json:"passed"`
	// Value is measured over the whole run; Display is it in the
	// threshold's unit.
	Value   float64 `json:"value"`
	Display string  `json:"display"`
	// WholeRunPassed is the end-of-run check alone.
	WholeRunPassed bool `json:"whole_run_passed"`
	// WindowChecks and WindowFailures count the per-interval sliding-window
	// checks after the grace period; Worst is the worst windowed value.
	WindowChecks   int     `json:"window_checks,omitempty"`
	WindowFailures int     `json:"window_failures,omitempty"`
	Worst          float64 `json:"worst,omitempty"`
	WorstDisplay   string  `json:"worst_display,omitempty"`
	// FirstFailure is the elapsed load time of the first failed check.
	FirstFailure time.Duration `json:"first_failure,omitempty"`
	// Aborted says this threshold stopped the run.
	Aborted bool `json:"aborted,omitempty"`
	// NoData says the whole-run value could not be measured (a latency
	// over zero answered requests); the threshold then failed.
	NoData bool `json:"no_data,omitempty"`
}

// Check is the result as the one judged-criterion type every report reads:
// the measured value in a readable unit (latencies in ms, rates in %,
// throughput in msg/s), no data marked as such, the window and, when
// windows failed, the evidence.
func (r ThresholdResult) Check() verdict.Check {
	t := r.Threshold
	c := verdict.Check{Expr: t.Expr, Metric: t.Metric, Pass: r.Passed, Window: t.Window, NoData: r.NoData}
	if t.Metric == "p" {
		c.Metric = "p" + strconv.FormatFloat(t.Percentile, 'f', -1, 64)
	}
	if t.Latency == "uncorrected" || t.Latency == "lag" {
		c.Metric = t.Latency + "." + c.Metric
	}
	scale := func(v float64) float64 { return v / float64(time.Millisecond) }
	switch t.Metric {
	case "error_rate", "drop_rate", "failure_rate":
		c.Unit, scale = "%", func(v float64) float64 { return 100 * v }
	case "throughput":
		c.Unit, scale = "msg/s", func(v float64) float64 { return v }
	default:
		c.Unit = "ms"
	}
	c.Measured = scale(r.Value)
	if r.NoData {
		c.Measured = math.NaN()
	}
	var detail []string
	if r.WindowFailures > 0 {
		detail = append(detail, fmt.Sprintf("failed %d of %d %v windows, worst %s, first after %v",
			r.WindowFailures, r.WindowChecks, t.Window, verdict.FormatValue(scale(r.Worst), c.Unit), r.FirstFailure.Round(time.Millisecond)))
	} else if r.WindowChecks > 0 {
		detail = append(detail, fmt.Sprintf("held in all %d %v windows, worst %s", r.WindowChecks, t.Window, verdict.FormatValue(scale(r.Worst), c.Unit)))
	}
	if r.Aborted {
		detail = append(detail, "stopped the run")
	}
	c.Detail = strings.Join(detail, "; ")
	return c
}

// Mark is ✓ or ✗.
func (r ThresholdResult) Mark() string {
	if r.Passed {
		return "✓"
	}
	return "✗"
}

func (r ThresholdResult) String() string {
	s := fmt.Sprintf("%s %s (measured %s)", r.Mark(), r.Threshold.Expr, r.Display)
	if r.WindowFailures > 0 {
		s += fmt.Sprintf("; failed %d of %d windows, worst %s", r.WindowFailures, r.WindowChecks, r.WorstDisplay)
	}
	if r.Aborted {
		s += "; aborted the run"
	}
	return s
}

// thresholdSet checks, during a run, the thresholds that may stop it
// ("abort"); every verdict is made afterwards from the Result by
// EvaluateThresholds. It is used from the collector goroutine only.
type thresholdSet struct {
	thresholds []Threshold
	interval   time.Duration
}

func newThresholdSet(ts []Threshold, interval time.Duration) *thresholdSet {
	return &thresholdSet{thresholds: ts, interval: interval}
}

// windowIntervals is how many intervals the longest aborting window needs.
func (s *thresholdSet) windowIntervals() int {
	n := 0
	for _, t := range s.thresholds {
		if t.Abort && t.Window > 0 {
			n = max(n, int((t.Window+s.interval-1)/s.interval))
		}
	}
	return n
}

// check runs the aborting checks at elapsed load time and returns the first
// threshold that asks to stop the run, if any: a windowed one over its last
// full window, another over the run so far. Nothing measured (NaN) is not
// a reason to stop; the verdict afterwards fails a run with no data.
func (s *thresholdSet) check(rec *Recorder, elapsed time.Duration) (abort *Threshold) {
	for i := range s.thresholds {
		t := &s.thresholds[i]
		if !t.Abort || elapsed < t.Grace {
			continue
		}
		var v float64
		if t.Window > 0 {
			n := int((t.Window + s.interval - 1) / s.interval)
			set, counts, span := rec.Window(n)
			if span+s.interval/2 < t.Window {
				continue // not a full window yet
			}
			v = t.Measure(set, counts, span)
		} else {
			set, counts, _, _ := rec.Totals()
			v = t.Measure(set, counts, elapsed)
		}
		if !math.IsNaN(v) && !t.Holds(v) {
			return t
		}
	}
	return nil
}
