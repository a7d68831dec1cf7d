package verdict

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCheckOutcomes(t *testing.T) {
	tests := []struct {
		name                    string
		c                       Check
		failed, passed, skipped bool
		mark, display, str      string
	}{
		{
			name:   "a passing latency check with a window and evidence",
			c:      Check{Expr: "p95 <= 102ms", Metric: "p95", Measured: 2.45, Unit: "ms", Pass: true, Window: 10 * time.Second, Detail: "0 of 12 windows failed"},
			passed: true, mark: "✓", display: "2.45 ms",
			str: "✓ p95 <= 102ms (measured 2.45 ms) over 10s — 0 of 12 windows failed",
		},
		{
			name:   "a failing percent check shows percent, never ms",
			c:      Check{Expr: "failure_rate < 0.1%", Metric: "failure_rate", Measured: 0.25, Unit: "%"},
			failed: true, mark: "✗", display: "0.25%",
			str: "✗ failure_rate < 0.1% (measured 0.25%)",
		},
		{
			name:   "a small percent keeps its digits",
			c:      Check{Expr: "error_rate < 0.1%", Measured: 0.05, Unit: "%", Pass: true},
			passed: true, mark: "✓", display: "0.05%",
			str: "✓ error_rate < 0.1% (measured 0.05%)",
		},
		{
			name:   "throughput reads in msg/s without decimals when whole",
			c:      Check{Expr: "throughput >= 4500/s", Measured: 4998, Unit: "msg/s", Pass: true},
			passed: true, mark: "✓", display: "4998 msg/s",
			str: "✓ throughput >= 4500/s (measured 4998 msg/s)",
		},
		{
			name:   "a value with a trailing zero drops it",
			c:      Check{Expr: "p99 <= 150ms", Measured: 12.3, Unit: "ms", Pass: true},
			passed: true, mark: "✓", display: "12.3 ms",
			str: "✓ p99 <= 150ms (measured 12.3 ms)",
		},
		{
			name:   "no data fails and says so",
			c:      NoDataCheck("error_rate < 0.1%", "error_rate", "%", ""),
			failed: true, mark: "✗", display: "no data",
			str: "✗ error_rate < 0.1% (no data)",
		},
		{
			name:   "no data with Pass set by mistake still fails",
			c:      Check{Expr: "p95 <= 102ms", Measured: 0, Unit: "ms", Pass: true, NoData: true, Window: 10 * time.Second},
			failed: true, mark: "✗", display: "no data",
			str: "✗ p95 <= 102ms (no data) over 10s",
		},
		{
			name:   "a NaN measurement is no data, even with Pass set",
			c:      Check{Expr: "p99 <= 150ms", Measured: math.NaN(), Unit: "ms", Pass: true},
			failed: true, mark: "✗", display: "no data",
			str: "✗ p99 <= 150ms (no data)",
		},
		{
			name:    "a skipped check is neither pass nor fail",
			c:       SkippedCheck("memory growth < 100 MB", "memory_growth", "the suite did not start the server"),
			skipped: true, mark: "–", display: "not judged",
			str: "– memory growth < 100 MB: not judged: the suite did not start the server",
		},
		{
			name:    "skip wins over a stray verdict",
			c:       Check{Expr: "memory growth < 100 MB", Measured: 3, Unit: "MB", Pass: false, NoData: true, Skip: "remote target"},
			skipped: true, mark: "–", display: "not judged",
			str: "– memory growth < 100 MB: not judged: remote target",
		},
		{
			name:   "a unitless value has no unit",
			c:      Check{Expr: "sessions >= 150", Measured: 150, Pass: true},
			passed: true, mark: "✓", display: "150",
			str: "✓ sessions >= 150 (measured 150)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			if got := c.Failed(); got != tt.failed {
				t.Errorf("Failed() = %v, want %v", got, tt.failed)
			}
			if got := c.Passed(); got != tt.passed {
				t.Errorf("Passed() = %v, want %v", got, tt.passed)
			}
			if got := c.Skipped(); got != tt.skipped {
				t.Errorf("Skipped() = %v, want %v", got, tt.skipped)
			}
			if got := c.Mark(); got != tt.mark {
				t.Errorf("Mark() = %q, want %q", got, tt.mark)
			}
			if got := c.Display(); got != tt.display {
				t.Errorf("Display() = %q, want %q", got, tt.display)
			}
			if got := c.String(); got != tt.str {
				t.Errorf("String() = %q\nwant       %q", got, tt.str)
			}
			if strings.Contains(c.String(), "measured 0") && c.Unmeasured() {
				t.Errorf("an unmeasured check reads as measured zero: %q", c.String())
			}
		})
	}
}

func TestFormatWindowDropsZeroUnits(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{10 * time.Second, "10s"},
		{time.Minute, "1m"},
		{90 * time.Second, "1m30s"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{500 * time.Millisecond, "500ms"},
		{1500 * time.Millisecond, "1.5s"},
	}
	for _, tt := range tests {
		if got := FormatWindow(tt.d); got != tt.want {
			t.Errorf("FormatWindow(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestFormatValue(t *testing.T) {
	tests := []struct {
		v    float64
		unit string
		want string
	}{
		{12.3, "ms", "12.3 ms"},
		{2.456, "ms", "2.46 ms"},
		{4998.37, "msg/s", "4998.4 msg/s"},
		{0.05, "%", "0.05%"},
		{0.000123, "%", "0.000123%"},
		{140, "MB", "140 MB"},
		{-3.5, "MB", "-3.5 MB"},
		{math.Inf(1), "ms", "n/a"},
		{7, "", "7"},
	}
	for _, tt := range tests {
		if got := FormatValue(tt.v, tt.unit); got != tt.want {
			t.Errorf("FormatValue(%v, %q) = %q, want %q", tt.v, tt.unit, got, tt.want)
		}
	}
}

func TestCheckJSONRoundTrip(t *testing.T) {
	checks := []Check{
		{Expr: "p95 <= 102ms", Metric: "p95", Measured: 2.45, Unit: "ms", Pass: true, Window: 10 * time.Second, Detail: "0 of 12 windows failed"},
		{Expr: "failure_rate < 0.1%", Metric: "failure_rate", Measured: 0.25, Unit: "%"},
		NoDataCheck("p99 <= 150ms", "p99", "ms", "no request was answered"),
		SkippedCheck("memory growth < 100 MB", "memory_growth", "remote target"),
	}
	b, err := json.Marshal(checks)
	if err != nil {
		t.Fatal(err)
	}
	var back []Check
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != len(checks) {
		t.Fatalf("%d checks came back, want %d", len(back), len(checks))
	}
	for i := range checks {
		want, got := checks[i], back[i]
		if math.IsNaN(want.Measured) != math.IsNaN(got.Measured) {
			t.Errorf("check %d: measured %v came back as %v", i, want.Measured, got.Measured)
		}
		if math.IsNaN(want.Measured) {
			want.Measured, got.Measured = 0, 0
		}
		if !reflect.DeepEqual(want, got) {
			t.Errorf("check %d came back as\n%+v\nwant\n%+v", i, got, want)
		}
	}

	var raw []map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	first := raw[0]
	for k, want := range map[string]any{"expr": "p95 <= 102ms", "metric": "p95", "measured": 2.45, "unit": "ms",
		"pass": true, "window_ns": float64(10 * time.Second), "detail": "0 of 12 windows failed"} {
		if first[k] != want {
			t.Errorf("JSON %s = %v, want %v", k, first[k], want)
		}
	}
	if m, ok := raw[2]["measured"]; !ok || m != nil || raw[2]["no_data"] != true {
		t.Errorf("a no-data check is written as %v, want measured null and no_data true", raw[2])
	}
	if raw[3]["skip"] != "remote target" {
		t.Errorf("a skipped check is written as %v", raw[3])
	}
	for _, k := range []string{"no_data", "skip", "window_ns", "detail"} {
		if _, ok := raw[1][k]; ok {
			t.Errorf("empty %s is written: %v", k, raw[1])
		}
	}
}

func TestCheckReadsAnOlderRecord(t *testing.T) {
	var c Check
	if err := json.Unmarshal([]byte(`{"expr":"p95<=1ms","measured":0.5,"unit":"ms","pass":true}`), &c); err != nil {
		t.Fatal(err)
	}
	want := Check{Expr: "p95<=1ms", Measured: 0.5, Unit: "ms", Pass: true}
	if c != want || !c.Passed() {
		t.Errorf("read %+v, want %+v", c, want)
	}
}

// A check reported only is neither passed nor failed, and keeps what it
// measured in its reason; one already not judged keeps its own reason.
func TestReportedOnlyKeepsTheMeasurement(t *testing.T) {
	failing := Check{Expr: "growth <= 50 MB/h", Measured: 157, Unit: "MB/h", Detail: "323.8→324.3 MB over 15s"}
	r := failing.ReportedOnly("in quick mode: 15 s cannot tell")
	if !r.Skipped() || r.Failed() || r.Passed() || r.Measured != 157 {
		t.Fatalf("reported only: %+v", r)
	}
	if want := "– growth <= 50 MB/h: not judged: in quick mode: 15 s cannot tell; measured here: 323.8→324.3 MB over 15s"; r.String() != want {
		t.Fatalf("got %q, want %q", r.String(), want)
	}
	if !failing.Failed() {
		t.Fatal("the original check changed")
	}
	if again := SkippedCheck("x", "m", "remote target").ReportedOnly("in quick mode"); again.Skip != "remote target" {
		t.Fatalf("an already skipped check got %q", again.Skip)
	}
}
