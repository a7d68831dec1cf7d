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
	// No samples: a latency threshold has nothing to judge.
	th, _ := ParseThreshold("p95 < 1ms")
	if v := th.Measure(newLatencySet(), OutcomeCounts{}, time.Second); !th.Holds(v) || th.Format(v) != "n/a" {
		t.Errorf("empty histogram: %v %q", v, th.Format(v))
	}
}
