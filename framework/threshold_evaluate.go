package framework

import (
	"math"
	"time"
)

// EvaluateThresholds judges every threshold on a result: over the whole
// run (every threshold), and over each full sliding window of its
// intervals after the grace period (thresholds with "over"). Being computed
// from the Result alone, it gives a merged result of many shards the same
// verdicts a single process would give on the same data. A threshold that
// stopped the run (Result.AbortedBy) is marked Aborted and fails.
func EvaluateThresholds(r *Result, ts []Threshold) []ThresholdResult {
	counts := r.Counts()
	out := make([]ThresholdResult, 0, len(ts))
	for _, t := range ts {
		res := ThresholdResult{Threshold: t, Worst: math.NaN()}
		v := t.Measure(r.Histograms, counts, r.LoadDuration)
		res.Value, res.Display = v, t.Format(v)
		res.WholeRunPassed = t.Holds(v)
		if math.IsNaN(v) {
			res.Value, res.NoData = 0, true // JSON has no NaN; Display and NoData say why
		}
		if t.Window > 0 && r.Interval > 0 {
			evaluateWindows(r, t, &res)
		}
		res.Aborted = r.AbortedBy != "" && r.AbortedBy == t.Expr
		res.Passed = res.WholeRunPassed && res.WindowFailures == 0 && !res.Aborted
		if math.IsNaN(res.Worst) {
			res.Worst = 0
		}
		out = append(out, res)
	}
	return out
}

// evaluateWindows slides t's window over r's intervals: at the end of each
// interval past the grace period whose window is full, the metric over the
// intervals in the window is checked. A window in which nothing was
// measured (no answered request, nothing scheduled) is not judged; the
// whole-run check fails a run with nothing at all.
func evaluateWindows(r *Result, t Threshold, res *ThresholdResult) {
	n := int((t.Window + r.Interval - 1) / r.Interval)
	type entry struct {
		index  int
		hist   *Histogram
		counts OutcomeCounts
		span   time.Duration
	}
	var ring []entry
	for _, iv := range r.Intervals {
		e := entry{index: iv.Index, counts: iv.Counts, span: iv.End.Sub(iv.Start)}
		if t.isLatency() {
			h, err := t.encoded(iv.HDR).Decode()
			if err != nil {
				continue // an interval whose histogram cannot be read is not judged
			}
			e.hist = h
		}
		ring = append(ring, e)
		// Keep only the intervals of the last n grid slots.
		for len(ring) > 0 && ring[0].index <= iv.Index-n {
			ring = ring[1:]
		}
		elapsed := iv.End.Sub(r.Start)
		if elapsed < t.Grace {
			continue
		}
		var set LatencySet
		var counts OutcomeCounts
		var span time.Duration
		if t.isLatency() {
			h := NewHistogram()
			for _, w := range ring {
				h.Merge(w.hist.Histogram)
			}
			set = LatencySet{Corrected: h, Uncorrected: h, Lag: h}
		}
		for _, w := range ring {
			counts.Add(w.counts)
			span += w.span
		}
		if span+r.Interval/2 < t.Window {
			continue // not a full window yet
		}
		v := t.Measure(set, counts, span)
		if math.IsNaN(v) {
			continue
		}
		res.WindowChecks++
		if worse(t, res.Worst, v) {
			res.Worst, res.WorstDisplay = v, t.Format(v)
		}
		if !t.Holds(v) {
			res.WindowFailures++
			if res.FirstFailure == 0 {
				res.FirstFailure = elapsed
			}
		}
	}
}

// isLatency says whether t reads a histogram.
func (t Threshold) isLatency() bool {
	switch t.Metric {
	case "error_rate", "drop_rate", "failure_rate", "throughput":
		return false
	}
	return true
}

// encoded picks the histogram t reads from an interval's set.
func (t Threshold) encoded(e EncodedSet) EncodedHistogram {
	switch t.Latency {
	case "uncorrected":
		return e.Uncorrected
	case "lag":
		return e.Lag
	}
	return e.Corrected
}

// worse says whether b is a worse value than a for t (NaN a: anything is).
func worse(t Threshold, a, b float64) bool {
	if math.IsNaN(b) {
		return false
	}
	if math.IsNaN(a) {
		return true
	}
	if t.Op == ">" || t.Op == ">=" {
		return b < a
	}
	return b > a
}
