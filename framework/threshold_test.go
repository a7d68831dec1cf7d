package framework

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseThreshold(t *testing.T) {
	tests := []struct {
		expr string
		want Threshold
	}{
		{"p95 < 102ms", Threshold{Latency: "corrected", Metric: "p", Percentile: 95, Op: "<", Value: float64(102 * time.Millisecond)}},
		{"p(99.9)<=300ms", Threshold{Latency: "corrected", Metric: "p", Percentile: 99.9, Op: "<=", Value: float64(300 * time.Millisecond)}},
		{"p99.9 < 1s", Threshold{Latency: "corrected", Metric: "p", Percentile: 99.9, Op: "<", Value: float64(time.Second)}},
		{"uncorrected.p99 < 250µs", Threshold{Latency: "uncorrected", Metric: "p", Percentile: 99, Op: "<", Value: float64(250 * time.Microsecond)}},
		{"lag.max <= 5ms", Threshold{Latency: "lag", Metric: "max", Op: "<=", Value: float64(5 * time.Millisecond)}},
		{"max < 300", Threshold{Latency: "corrected", Metric: "max", Op: "<", Value: float64(300 * time.Millisecond)}},
		{"avg < 40ms", Threshold{Latency: "corrected", Metric: "mean", Op: "<", Value: float64(40 * time.Millisecond)}},
		{"error_rate < 0.1%", Threshold{Metric: "error_rate", Op: "<", Value: 0.001}},
		{"drop_rate == 0", Threshold{Metric: "drop_rate", Op: "==", Value: 0}},
		{"throughput >= 4500/s", Threshold{Metric: "throughput", Op: ">=", Value: 4500}},
		{"p95 < 102ms over 10s abort grace 30s", Threshold{Latency: "corrected", Metric: "p", Percentile: 95, Op: "<", Value: float64(102 * time.Millisecond),
			Window: 10 * time.Second, Abort: true, Grace: 30 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got, err := ParseThreshold(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Expr = tt.expr
			if got != tt.want {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseThresholdsListsEveryBadExpression(t *testing.T) {
	bad := []string{"", "p95", "p95 < ", "p101 < 1ms", "p95 < fast", "error_rate < 150%", "lag.throughput > 1",
		"p95 < 1ms over", "p95 < 1ms over soon", "p95 < 1ms please", "median < 1ms"}
	_, err := ParseThresholds(append([]string{"p95 < 102ms"}, bad...))
	if err == nil {
		t.Fatal("no error")
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != len(bad) {
		t.Errorf("%d problems reported, want %d:\n%v", n, len(bad), err)
	}
}

func TestThresholdMeasureAndHolds(t *testing.T) {
	set := newLatencySet()
	for i := 1; i <= 100; i++ {
		set.Corrected.recordDuration(time.Duration(i) * time.Millisecond)
		set.Uncorrected.recordDuration(time.Millisecond)
	}
	counts := OutcomeCounts{OK: 990, ToolError: 5, Timeout: 5, Dropped: 10}
	tests := []struct {
		expr  string
		value float64
		holds bool
	}{
		{"p95 < 102ms", float64(95 * time.Millisecond), true},
		{"p99 < 90ms", float64(99 * time.Millisecond), false},
		{"uncorrected.p99 < 2ms", float64(time.Millisecond), true},
		{"error_rate < 0.1%", 0.01, false},
		{"error_rate <= 1%", 0.01, true},
		{"drop_rate < 1%", 10.0 / 1010, true},
		{"throughput >= 4500/s", 995.0 / 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			th, err := ParseThreshold(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			v := th.Measure(set, counts, 2*time.Second)
			if math.Abs(v-tt.value) > tt.value*0.002 {
				t.Errorf("measured %v (%s), want %v", v, th.Format(v), tt.value)
			}
			if th.Holds(v) != tt.holds {
				t.Errorf("holds = %v, want %v", !tt.holds, tt.holds)
			}
		})
	}
	// No samples: a latency threshold has nothing to judge, so it fails
	// and says there was no data.
	th, _ := ParseThreshold("p95 < 1ms")
	if v := th.Measure(newLatencySet(), OutcomeCounts{}, time.Second); th.Holds(v) || th.Format(v) != NoData {
		t.Errorf("empty histogram: %v %q", v, th.Format(v))
	}
}

// The reviewer's case: 200 of 200 requests failed in transport, so no
// latency was measured; every latency threshold must fail with "no data"
// and the summary must not pass.
func TestLatencyThresholdOverNoAnsweredRequestFails(t *testing.T) {
	exprs := []string{"p95 <= 102ms", "p99 <= 150ms", "max <= 300ms", "mean < 1s", "uncorrected.p50 < 1s", "lag.max < 1s", "p50 > 0ms"}
	ths, err := ParseThresholds(exprs)
	if err != nil {
		t.Fatal(err)
	}
	counts := OutcomeCounts{TransportError: 200}
	res := &Result{Scheduled: 200, ByOp: map[string]OutcomeCounts{"op": counts}, Histograms: newLatencySet(), LoadDuration: 2 * time.Second}
	sum := Summarize(res, ths)
	results := sum.Thresholds
	for _, r := range results {
		if r.Passed || r.WholeRunPassed || !r.NoData || r.Display != NoData {
			t.Errorf("%s: passed=%v whole=%v nodata=%v display %q; want a failure with no data", r.Threshold.Expr, r.Passed, r.WholeRunPassed, r.NoData, r.Display)
		}
		if math.IsNaN(r.Value) {
			t.Errorf("%s: Value is NaN (not JSON-encodable)", r.Threshold.Expr)
		}
	}
	if sum.Passed() {
		t.Fatal("a run with every request failed passed")
	}
	probs := sum.Problems()
	if len(probs) != len(exprs) {
		t.Fatalf("%d problems, want %d: %q", len(probs), len(exprs), probs)
	}
	for _, p := range probs {
		if !strings.Contains(p, "no data") {
			t.Errorf("problem %q does not say there was no data", p)
		}
	}
}

// A window with nothing answered is not judged mid-run (a slow first
// interval must not abort), but the end of the run still is.
func TestMidRunChecksSkipWindowsWithNoData(t *testing.T) {
	rec, err := NewRecorder(RecorderConfig{Ops: []string{"op"}, Sessions: 1, Retention: 10, Window: 2})
	if err != nil {
		t.Fatal(err)
	}
	ths, err := ParseThresholds([]string{"p95 < 1s over 1s abort", "p99 < 1s abort"})
	if err != nil {
		t.Fatal(err)
	}
	ts := newThresholdSet(ths, time.Second)
	start := time.Now()
	rec.Rotate(start, start.Add(time.Second))
	if a := ts.check(rec, time.Second); a != nil {
		t.Fatalf("aborted on an empty window: %s", a.Expr)
	}
	set, _, byOp, _ := rec.Totals()
	series, _ := rec.Series()
	res := &Result{Start: start, Interval: time.Second, LoadDuration: time.Second, ByOp: byOp, Histograms: set, Intervals: series}
	for _, r := range EvaluateThresholds(res, ths) {
		if r.Passed || !r.NoData {
			t.Errorf("%s passed over no data", r.Threshold.Expr)
		}
		if r.WindowChecks != 0 || r.WindowFailures != 0 {
			t.Errorf("empty window counted: %+v", r)
		}
	}
}

// The new user's case: nothing listens on the port, no session opens and
// nothing is answered. Every threshold, rates and throughput included,
// has a zero denominator and must fail as no data; none may pass.
func TestEveryThresholdFailsOnZeroData(t *testing.T) {
	exprs := []string{"error_rate < 0.1%", "drop_rate < 0.1%", "failure_rate < 0.1%", "throughput <= 5500/s",
		"throughput >= 4500/s", "p95 <= 102ms", "error_rate < 0.1% over 10s", "throughput <= 5500/s over 2s"}
	ths, err := ParseThresholds(exprs)
	if err != nil {
		t.Fatal(err)
	}
	for name, res := range map[string]*Result{
		"nothing scheduled":                   {Histograms: newLatencySet(), Interval: time.Second},
		"nothing scheduled over a load phase": {Histograms: newLatencySet(), Interval: time.Second, LoadDuration: 5 * time.Second},
		"only cancelled": {Histograms: newLatencySet(), Interval: time.Second, LoadDuration: time.Second, Scheduled: 3,
			ByOp: map[string]OutcomeCounts{"op": {Cancelled: 3}}},
	} {
		t.Run(name, func(t *testing.T) {
			sum := Summarize(res, ths)
			for _, r := range sum.Thresholds {
				if r.Threshold.Expr == "drop_rate < 0.1%" && name == "only cancelled" {
					continue // 3 scheduled, 0 dropped: a real 0% drop rate
				}
				if r.Passed || !r.NoData || r.Display != NoData {
					t.Errorf("%s: passed=%v nodata=%v display %q; want a no-data failure", r.Threshold.Expr, r.Passed, r.NoData, r.Display)
				}
			}
			if sum.Passed() {
				t.Error("a run with no data passed")
			}
		})
	}
}

// Windowed verdicts come from the result's intervals: a bad stretch in the
// middle of a good run fails the window check, which the whole-run value
// alone would hide; a merged result is judged the same way.
func TestEvaluateThresholdsSlidesWindowsOverIntervals(t *testing.T) {
	start := time.Unix(1000, 0)
	res := &Result{Start: start, Epoch: start, Interval: time.Second, LoadDuration: 10 * time.Second, ByOp: map[string]OutcomeCounts{}}
	set := newLatencySet()
	for k := range 10 {
		iv := newLatencySet()
		for i := range 100 {
			lat := time.Millisecond
			if k == 5 && i < 30 {
				lat = 300 * time.Millisecond // one bad second: 30% slow
			}
			iv.Corrected.recordDuration(lat)
			set.Corrected.recordDuration(lat)
		}
		c := OutcomeCounts{OK: 100}
		res.Intervals = append(res.Intervals, IntervalSnapshot{Index: k, Start: start.Add(time.Duration(k) * time.Second),
			End: start.Add(time.Duration(k+1) * time.Second), Counts: c, HDR: iv.encode()})
		oc := res.ByOp["op"]
		oc.Add(c)
		res.ByOp["op"] = oc
		res.Scheduled += 100
	}
	res.Histograms = set
	ths, err := ParseThresholds([]string{"p95 < 100ms over 2s", "p95 < 100ms", "throughput >= 90/s over 2s"})
	if err != nil {
		t.Fatal(err)
	}
	got := Summarize(res, ths).Thresholds
	if w := got[0]; w.Passed || w.WindowFailures != 2 || w.WindowChecks != 9 || w.FirstFailure != 6*time.Second {
		t.Errorf("windowed p95: %+v; want 2 of 9 windows failed, first at 6s", w)
	}
	if w := got[1]; !w.Passed {
		t.Errorf("whole-run p95 failed: %+v (the slow requests are 3%% of the run)", w)
	}
	if w := got[2]; !w.Passed || w.WindowChecks != 9 {
		t.Errorf("windowed throughput: %+v", w)
	}
}

func TestFailureRateCountsDropsAndIgnoresCancelled(t *testing.T) {
	tests := []struct {
		name   string
		counts OutcomeCounts
		want   float64
	}{
		{"nothing scheduled", OutcomeCounts{}, 0},
		{"all ok", OutcomeCounts{OK: 10}, 0},
		{"drops count", OutcomeCounts{OK: 90, Dropped: 10}, 0.1},
		{"every failure kind", OutcomeCounts{OK: 6, ToolError: 1, RPCError: 1, TransportError: 1, Timeout: 1, Dropped: 2, Cancelled: 5}, 6.0 / 12},
		{"only cancelled", OutcomeCounts{Cancelled: 3}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.counts.FailureRate(); math.Abs(got-tt.want) > 1e-12 {
				t.Fatalf("FailureRate = %v, want %v", got, tt.want)
			}
			th, err := ParseThreshold("failure_rate < 5%")
			if err != nil {
				t.Fatal(err)
			}
			v := th.Measure(LatencySet{}, tt.counts, time.Second)
			if tt.counts.Total()-tt.counts.Cancelled == 0 {
				// Nothing to judge: no data, which never holds.
				if !math.IsNaN(v) || th.Holds(v) {
					t.Errorf("threshold measured %v holds %v over nothing", v, th.Holds(v))
				}
				return
			}
			if v != tt.counts.FailureRate() || th.Holds(v) != (tt.want < 0.05) {
				t.Errorf("threshold measured %v holds %v", v, th.Holds(v))
			}
		})
	}
	// The error rate leaves drops out, as documented.
	if r := (OutcomeCounts{OK: 90, Dropped: 10}).ErrorRate(); r != 0 {
		t.Errorf("ErrorRate counted drops: %v", r)
	}
}

func TestParseThresholdPercentileShorthands(t *testing.T) {
	tests := []struct {
		expr string
		want float64
	}{
		{"p999 < 1s", 99.9},
		{"p9999 < 1s", 99.99},
		{"p(99.9) < 1s", 99.9},
		{"p95 < 1s", 95},
		{"p100 < 1s", 100},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			th, err := ParseThreshold(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			if th.Percentile != tt.want {
				t.Fatalf("percentile %v, want %v", th.Percentile, tt.want)
			}
		})
	}
	if _, err := ParseThreshold("p101 < 1s"); err == nil {
		t.Error("p101 accepted")
	}
}
