package stress_test

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/report"
	"github.com/mcpstress/mcpstress/stress"
)

// interval builds one snapshot whose corrected latencies are lat (µs, as
// the engine records them).
func interval(tb testing.TB, start time.Time, span time.Duration, ok uint64, lat []int64, rss uint64) framework.IntervalSnapshot {
	tb.Helper()
	h := hdrhistogram.New(1, 3_600_000_000, 3)
	for _, v := range lat {
		if err := h.RecordValue(v); err != nil {
			tb.Fatal(err)
		}
	}
	enc, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		tb.Fatal(err)
	}
	s := framework.IntervalSnapshot{Start: start, End: start.Add(span), Counts: framework.OutcomeCounts{OK: ok},
		Throughput: float64(ok) / span.Seconds(), CorrectedHDR: string(enc),
		Resources: &framework.ResourceSample{At: start.Add(span), Server: &framework.ProcessSample{PID: 42, RSSBytes: rss, CPUPercent: 50}}}
	if len(lat) > 0 {
		s.Latency.Corrected = framework.LatencyStats{Count: int64(len(lat)),
			P50: time.Duration(h.ValueAtQuantile(50)) * time.Microsecond, P95: time.Duration(h.ValueAtQuantile(95)) * time.Microsecond,
			P99: time.Duration(h.ValueAtQuantile(99)) * time.Microsecond, Max: time.Duration(h.Max()) * time.Microsecond}
	}
	return s
}

func fakeSummary(tb testing.TB, runStart time.Time) *framework.Summary {
	tb.Helper()
	t0 := runStart.Add(2 * time.Second)
	iv := []framework.IntervalSnapshot{
		interval(tb, t0, time.Second, 3, []int64{1000, 2000, 3000}, 10<<20),
		interval(tb, t0.Add(time.Second), time.Second, 0, nil, 11<<20), // nothing answered
		interval(tb, t0.Add(2*time.Second), time.Second, 2, []int64{4000, 5000}, 12<<20),
	}
	return &framework.Summary{
		Scenario: "baseline/baseline", Start: t0, End: t0.Add(3 * time.Second), Duration: 3 * time.Second,
		LoadDuration: 3 * time.Second, OfferedRate: 2, AchievedRate: 5.0 / 3, Scheduled: 6,
		Counts:       framework.OutcomeCounts{OK: 5, Timeout: 1},
		ByOp:         map[string]framework.OutcomeCounts{"tools/call/echo": {OK: 5, Timeout: 1}},
		ErrorRate:    1.0 / 6,
		Conservation: framework.Conservation{Scheduled: 6, Accounted: 6, Holds: true},
		Latency: framework.LatencySummary{Corrected: framework.LatencyStats{Count: 5, P50: 3 * time.Millisecond,
			P95: 5 * time.Millisecond, P99: 5 * time.Millisecond, Max: 5 * time.Millisecond}},
		Intervals:      iv,
		ResourcesStart: &framework.ResourceSample{Server: &framework.ProcessSample{RSSBytes: 10 << 20}},
		ResourcesEnd:   &framework.ResourceSample{Server: &framework.ProcessSample{RSSBytes: 12 << 20}},
		Ramp:           framework.RampStats{Requested: 2, Opened: 2},
		Warnings:       []string{"1 requests timed out"},
	}
}

func metric(tb testing.TB, n *report.Node, name string) float64 {
	tb.Helper()
	m, ok := n.Metric(name)
	if !ok {
		tb.Fatalf("metric %s missing; have %+v", name, n.Metrics)
	}
	return m.Value
}

func TestSummaryNodeCarriesTheSeedMetricsSeriesAndHistograms(t *testing.T) {
	runStart := time.Unix(1_800_000_000, 0)
	sum := fakeSummary(t, runStart)
	n := stress.SummaryNode("TestX", sum, runStart, true)

	for name, want := range map[string]float64{
		stress.MetricMessagesPerSecond: 5.0 / 3,
		stress.MetricLatencyP95:        5,
		stress.MetricErrorRate:         100.0 / 6,
		stress.MetricMemoryUsage:       12,
		stress.MetricMemoryGrowth:      2,
		stress.MetricCPU:               50,
		stress.MetricTotalMessages:     6,
		stress.MetricSessionsOpened:    2,
	} {
		if got := metric(t, n, name); math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if n.Counts["ok"] != 5 || n.Counts["timeout"] != 1 || len(n.Counts) != 2 {
		t.Errorf("counts %v, want ok=5 timeout=1", n.Counts)
	}
	if n.Start != 2*time.Second {
		t.Errorf("start %v, want 2s after the run start", n.Start)
	}
	byName := map[string]report.Series{}
	for _, s := range n.Series {
		byName[s.Name] = s
	}
	thr, p95, rss := byName["achieved"], byName["p95"], byName["server rss"]
	if thr.Chart != report.ChartThroughput || len(thr.Points) != 3 || thr.Points[0].T != 3*time.Second || thr.Points[0].V != 3 {
		t.Errorf("throughput series %+v", thr)
	}
	if p95.Chart != report.ChartLatency || len(p95.Points) != 3 || !math.IsNaN(p95.Points[1].V) || p95.Points[2].V < 4.9 || p95.Points[2].V > 5.1 {
		t.Errorf("p95 series %+v: want a gap (NaN) for the empty interval and ~5 ms at the end", p95)
	}
	if rss.Chart != report.ChartMemory || len(rss.Points) != 3 || rss.Points[2].V != 12 {
		t.Errorf("rss series %+v", rss)
	}
	if len(n.Histograms) != 1 || len(n.Histograms[0].Intervals) != 3 {
		t.Fatalf("histograms %+v, want one log of 3 intervals", n.Histograms)
	}
	// The .hlog convention is nanoseconds: 5000 µs must read as ~5e6.
	if got := n.Histograms[0].Intervals[2].Hist.Max(); got < 4_990_000 || got > 5_010_000 {
		t.Errorf("last interval max %d ns, want ~5e6", got)
	}
	if len(n.Tables) != 1 || n.Tables[0].Rows[0][0] != "tools/call/echo" {
		t.Errorf("tables %+v", n.Tables)
	}

	lean := stress.SummaryNode("TestY", sum, runStart, false)
	if len(lean.Series) != 0 || len(lean.Histograms) != 0 {
		t.Errorf("series=false still carries %d series and %d histograms", len(lean.Series), len(lean.Histograms))
	}
}

func TestSummaryNodeWritesEveryReport(t *testing.T) {
	runStart := time.Unix(1_800_000_000, 0)
	n := stress.SummaryNode("TestBaselineLatencyPercentiles", fakeSummary(t, runStart), runStart, true)
	n.AddThreshold("p95 <= 102ms", 5, "ms", true).AddThreshold("error_rate < 0.1%", 16.7, "%", false)
	run := &report.Run{ID: "x", Started: runStart, Duration: 10 * time.Second, Suites: []*report.Node{report.NewSuite("baseline", n)}}
	dir := t.TempDir()
	if _, err := report.WriteAll(dir, run); err != nil {
		t.Fatal(err)
	}
	txt, err := os.ReadFile(filepath.Join(dir, "report.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"✓ p95 <= 102ms", "✗ error_rate < 0.1%", "messages_per_second"} {
		if !strings.Contains(string(txt), want) {
			t.Errorf("report.txt lacks %q:\n%s", want, txt)
		}
	}
	for _, f := range []string{"report.json", "report.csv", "baseline.TestBaselineLatencyPercentiles.hlog"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestThresholdChecksUseReadableUnits(t *testing.T) {
	parse := func(e string) framework.Threshold {
		th, err := framework.ParseThreshold(e)
		if err != nil {
			t.Fatal(err)
		}
		return th
	}
	tests := []struct {
		name   string
		in     framework.ThresholdResult
		value  float64
		unit   string
		pass   bool
		skiped bool
	}{
		{"a latency reads in ms", framework.ThresholdResult{Threshold: parse("p95 <= 102ms"), Passed: true, Value: float64(85 * time.Millisecond), Display: "85ms"}, 85, "ms", true, false},
		{"an error rate reads in percent", framework.ThresholdResult{Threshold: parse("error_rate < 0.1%"), Passed: false, Value: 0.002, Display: "0.2%"}, 0.2, "%", false, false},
		{"throughput reads in msg/s", framework.ThresholdResult{Threshold: parse("throughput >= 4500/s"), Passed: true, Value: 4990, Display: "4990/s"}, 4990, "msg/s", true, false},
		{"an unmeasured latency is not a pass", framework.ThresholdResult{Threshold: parse("p99 <= 150ms"), Passed: true, Value: 0, Display: "n/a"}, math.NaN(), "ms", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := stress.ThresholdCheck(tt.in)
			same := c.Measured == tt.value || (math.IsNaN(c.Measured) && math.IsNaN(tt.value)) || math.Abs(c.Measured-tt.value) < 1e-9
			if !same || c.Unit != tt.unit || c.Pass != tt.pass || (c.Skip != "") != tt.skiped {
				t.Errorf("got %+v, want %v %s pass=%v skipped=%v", c, tt.value, tt.unit, tt.pass, tt.skiped)
			}
		})
	}
	sum := &framework.Summary{Thresholds: []framework.ThresholdResult{tests[0].in, tests[1].in, tests[2].in, tests[3].in}}
	if got := stress.Thresholds(sum, "p95", "p99"); len(got) != 2 || got[0].Expr != "p95 <= 102ms" {
		t.Errorf("Thresholds(p95, p99) = %+v", got)
	}
	if got := stress.Thresholds(sum); len(got) != 4 {
		t.Errorf("Thresholds() = %d checks, want all 4", len(got))
	}
}
