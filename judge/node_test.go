package judge_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/judge"
	"github.com/mcpstress/mcpstress/report"
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
		Throughput: float64(ok) / span.Seconds(), HDR: framework.EncodedSet{Corrected: framework.EncodedHistogram(enc)},
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
		Result: framework.Result{
			Scenario: "baseline/baseline", Start: t0, End: t0.Add(3 * time.Second),
			LoadDuration: 3 * time.Second, Offered: 6, Scheduled: 6,
			ByOp:           map[string]framework.OutcomeCounts{"tools/call/echo": {OK: 5, Timeout: 1}},
			Intervals:      iv,
			ResourcesStart: &framework.ResourceSample{Server: &framework.ProcessSample{RSSBytes: 10 << 20}},
			ResourcesEnd:   &framework.ResourceSample{Server: &framework.ProcessSample{RSSBytes: 12 << 20}},
			Ramp:           framework.RampStats{Requested: 2, Opened: 2},
			Warnings:       []string{"1 requests timed out"},
		},
		OfferedRate: 2, AchievedRate: 5.0 / 3,
		Counts:       framework.OutcomeCounts{OK: 5, Timeout: 1},
		ErrorRate:    1.0 / 6,
		Conservation: framework.Conservation{Scheduled: 6, Accounted: 6, Holds: true},
		Latency: framework.LatencySummary{Corrected: framework.LatencyStats{Count: 5, P50: 3 * time.Millisecond,
			P95: 5 * time.Millisecond, P99: 5 * time.Millisecond, Max: 5 * time.Millisecond}},
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
	n := judge.SummaryNode("TestX", sum, runStart, true)

	for name, want := range map[string]float64{
		judge.MetricMessagesPerSecond: 5.0 / 3,
		judge.MetricLatencyP95:        5,
		judge.MetricErrorRate:         100.0 / 6,
		judge.MetricMemoryUsage:       12,
		judge.MetricMemoryGrowth:      2,
		judge.MetricCPU:               50,
		judge.MetricTotalMessages:     6,
		judge.MetricSessionsOpened:    2,
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

	lean := judge.SummaryNode("TestY", sum, runStart, false)
	if len(lean.Series) != 0 || len(lean.Histograms) != 0 {
		t.Errorf("series=false still carries %d series and %d histograms", len(lean.Series), len(lean.Histograms))
	}
}

func TestSummaryNodeWritesEveryReport(t *testing.T) {
	runStart := time.Unix(1_800_000_000, 0)
	n := judge.SummaryNode("TestBaselineLatencyPercentiles", fakeSummary(t, runStart), runStart, true)
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
		name    string
		in      framework.ThresholdResult
		display string
		unit    string
		pass    bool
	}{
		{"a latency reads in ms", framework.ThresholdResult{Threshold: parse("p95 <= 102ms"), Passed: true, Value: float64(85 * time.Millisecond)}, "85 ms", "ms", true},
		{"an error rate reads in percent", framework.ThresholdResult{Threshold: parse("error_rate < 0.1%"), Passed: false, Value: 0.002}, "0.2%", "%", false},
		// The old report showed a failure_rate threshold in "ms".
		{"a failure rate reads in percent", framework.ThresholdResult{Threshold: parse("failure_rate < 0.1%"), Passed: true, Value: 0.0005}, "0.05%", "%", true},
		{"throughput reads in msg/s", framework.ThresholdResult{Threshold: parse("throughput >= 4500/s"), Passed: true, Value: 4990}, "4990 msg/s", "msg/s", true},
		// The old report showed this as "measured 0 ms", and the old
		// conversion skipped it instead of failing it.
		{"an unmeasured latency is no data and fails", framework.ThresholdResult{Threshold: parse("p99 <= 150ms"), Passed: true, NoData: true}, "no data", "ms", false},
		{"an unmeasured rate is no data and fails", framework.ThresholdResult{Threshold: parse("drop_rate < 0.1%"), Passed: true, NoData: true}, "no data", "%", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.in.Check()
			if c.Display() != tt.display || c.Unit != tt.unit || c.Passed() != tt.pass || c.Skipped() {
				t.Errorf("got %+v (display %q), want %q %s pass=%v", c, c.Display(), tt.display, tt.unit, tt.pass)
			}
		})
	}
	windowed := framework.ThresholdResult{Threshold: parse("p95 <= 102ms over 10s"), Passed: false, Value: float64(50 * time.Millisecond),
		WindowChecks: 12, WindowFailures: 2, Worst: float64(150 * time.Millisecond), FirstFailure: 4 * time.Second}
	if c := windowed.Check(); c.Window != 10*time.Second || !strings.Contains(c.String(), "over 10s") || !strings.Contains(c.Detail, "failed 2 of 12") {
		t.Errorf("the window is not carried: %s (%+v)", c, c)
	}
	var ths []framework.ThresholdResult
	for _, tt := range tests {
		ths = append(ths, tt.in)
	}
	sum := &framework.Summary{Thresholds: ths}
	if got := judge.Thresholds(sum, "p95", "p99"); len(got) != 2 || got[0].Expr != "p95 <= 102ms" {
		t.Errorf("Thresholds(p95, p99) = %+v", got)
	}
	if got := judge.Thresholds(sum); len(got) != len(tests) {
		t.Errorf("Thresholds() = %d checks, want all %d", len(got), len(tests))
	}
}

func TestSummaryNodeShowsTheLastServerStderrLines(t *testing.T) {
	var b strings.Builder
	for i := range judge.StderrLines + 10 {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	n := judge.SummaryNode("stdio", &framework.Summary{Result: framework.Result{Scenario: "stdio", ServerStderr: b.String()}}, time.Now(), false)
	var got *report.Table
	for i := range n.Tables {
		if strings.HasPrefix(n.Tables[i].Title, "server stderr") {
			got = &n.Tables[i]
		}
	}
	if got == nil {
		t.Fatalf("no stderr table in %+v", n.Tables)
	}
	if len(got.Rows) != judge.StderrLines || got.Rows[0][0] != "line 10" || got.Rows[judge.StderrLines-1][0] != fmt.Sprintf("line %d", judge.StderrLines+9) {
		t.Errorf("rows %v..%v (%d), want the last %d lines", got.Rows[0], got.Rows[len(got.Rows)-1], len(got.Rows), judge.StderrLines)
	}
	quiet := judge.SummaryNode("quiet", &framework.Summary{Result: framework.Result{Scenario: "quiet", ServerStderr: " \n"}}, time.Now(), false)
	for _, tab := range quiet.Tables {
		if strings.HasPrefix(tab.Title, "server stderr") {
			t.Errorf("a blank stderr got a table: %+v", tab)
		}
	}
}
