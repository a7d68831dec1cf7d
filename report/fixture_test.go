package report

import (
	"math"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/mcpstress/mcpstress/verdict"
)

// fixtureStart is the fixed start of the golden fixture.
var fixtureStart = time.Date(2026, 1, 27, 10, 0, 0, 0, time.UTC)

// fixtureHist returns a deterministic interval histogram: n latencies
// spread from base to base+spread nanoseconds.
func fixtureHist(tb testing.TB, n int, base, spread int64) *hdrhistogram.Histogram {
	tb.Helper()
	h := hdrhistogram.New(1, int64(time.Minute), 3)
	for i := range n {
		if err := h.RecordValue(base + spread*int64(i)/int64(n)); err != nil {
			tb.Fatalf("record: %v", err)
		}
	}
	return h
}

// latencySeries builds p50/p95/p99/max series over 60 one-second
// intervals, with a slow-down between 20 and 30 s (the fault window).
func latencySeries() []Series {
	names := []string{"p50", "p95", "p99", "max"}
	mult := []float64{1, 2.1, 3.5, 6}
	out := make([]Series, len(names))
	for i, n := range names {
		s := Series{Name: n, Unit: "ms", Chart: ChartLatency}
		for t := 1; t <= 60; t++ {
			v := 40 * mult[i]
			if t > 20 && t <= 30 {
				v *= 2.5
			}
			v += float64(t%7) * mult[i] // deterministic wobble
			s.Points = append(s.Points, Point{T: time.Duration(t) * time.Second, V: v})
		}
		out[i] = s
	}
	return out
}

func throughputSeries() Series {
	s := Series{Name: "achieved", Unit: "msg/s", Chart: ChartThroughput}
	for t := 1; t <= 60; t++ {
		v := 5000.0 - float64(t%5)*10
		if t > 20 && t <= 30 {
			v = 3100
		}
		s.Points = append(s.Points, Point{T: time.Duration(t) * time.Second, V: v})
	}
	return s
}

// fixtureRun is a deterministic run touching every field of the tree:
// passing, failing, skipped and erroring tests, a subtest, thresholds with
// and without windows, NaN values, faults, curves, tables and histograms.
func fixtureRun(tb testing.TB) *Run {
	tb.Helper()
	env := Environment{Hostname: "ci-runner", OS: "linux", Arch: "amd64", CPUs: 2, MemoryBytes: 24 << 30,
		GoVersion: "go1.26.0", Target: "tcp://127.0.0.1:9001", Mode: "quick", GitRevision: "0123456789abcdef0123456789abcdef01234567"}

	latency := NewTest("TestBaselineLatencyPercentiles", StatusPassed, 60*time.Second)
	latency.Start = 0
	latency.AddMetric("throughput", "msg/s", 4890.5, BetterHigher).
		AddMetric("latency_p50", "ms", 41.2, BetterLower).
		AddMetric("latency_p95", "ms", 85.25, BetterLower).
		AddMetric("latency_p99", "ms", 142, BetterLower).
		AddMetric("error_rate", "%", 0.02, BetterLower).
		AddThreshold("p(95)<102ms", 85.25, "ms", true).
		AddThreshold("rate>=4500", 4890.5, "msg/s", true).
		AddCount("ok", 293400).AddCount("tool_error", 12).AddCount("timeout", 47).AddCount("dropped", 0)
	latency.Thresholds = append(latency.Thresholds, ThresholdResult{Expr: "error_rate<0.1%", Metric: "error_rate", Measured: 0.02, Unit: "%", Pass: true,
		Window: time.Minute, Detail: "0 of 50 windows failed"})
	latency.Assertions = Assertions{Passed: 120, Failed: 0}
	latency.Series = append(latency.Series, throughputSeries())
	latency.Series = append(latency.Series, latencySeries()...)
	hl := HistogramLog{Name: "latency"}
	for i := range 3 {
		hl.Intervals = append(hl.Intervals, Interval{
			Start: time.Duration(i) * time.Second, End: time.Duration(i+1) * time.Second,
			Hist: fixtureHist(tb, 1000, int64(30*time.Millisecond), int64(time.Duration(20+10*i)*time.Millisecond)),
		})
	}
	latency.Histograms = []HistogramLog{hl}

	memory := NewTest("TestBaselineMemoryStability", StatusFailed, 300*time.Second)
	memory.Start = 60 * time.Second
	memory.Message = "memory grew 140 MB in 5 minutes"
	memory.AddMetric("memory_growth", "MB", 140, BetterLower).
		AddMetric("gc_pause", "ms", math.NaN(), BetterLower).
		AddThreshold("memory_growth<100MB", 140, "MB", false).
		AddCheck(verdict.NoDataCheck("p99<=150ms", "p99", "ms", "no request was answered"))
	mem := Series{Name: "rss", Unit: "MB", Chart: ChartMemory}
	for t := 0; t <= 30; t++ {
		mem.Points = append(mem.Points, Point{T: 60*time.Second + time.Duration(t*10)*time.Second, V: 300 + float64(t)*4.5})
	}
	mem.Points = append(mem.Points, Point{T: 370 * time.Second, V: math.NaN()})
	memory.Series = []Series{mem}
	memory.Assertions = Assertions{Passed: 3, Failed: 1}
	memory.Warnings = []string{"GC pause not measured: server runs in another process"}

	recovery := NewTest("TestBaselineRecoveryTime", StatusPassed, 45*time.Second)
	recovery.AddChild(NewSubtest("drop 10% of connections", StatusPassed, 20*time.Second).
		AddKeyMetric("recovery_time", "s", 2.4, BetterLower).AddThreshold("recovery<10s", 2.4, "s", true).
		AddCheck(verdict.SkippedCheck("server memory growth<10MB", "memory_growth", "the suite did not start the server")))
	recovery.AddChild(NewSubtest("server crash", StatusSkipped, 0))
	recovery.Children[1].Message = "needs a target started by mcpstress"

	baseline := NewSuite("baseline", latency, memory, recovery)
	baseline.Faults = []FaultEvent{{Kind: "latency", Start: 20 * time.Second, End: 30 * time.Second, Detail: "+100ms on every frame"}}

	scaleTest := NewTest("TestScaleCurve", StatusPassed, 600*time.Second)
	scaleTest.Curves = []Curve{{Name: "scaling curve", XLabel: "connections", YLabel: "achieved rate", YUnit: "msg/s",
		Points: []XY{{150, 4900}, {500, 14800}, {1000, 29100}, {5000, 98000}, {10000, 121000}, {15000, 118500}}}}
	scaleTest.Tables = []Table{{Title: "levels", Columns: []string{"connections", "target", "achieved", "verdict"},
		Rows: [][]string{{"150", "5000", "4900", "✓"}, {"15000", "500000", "118500", "✗ beyond one machine"}}}}
	scaleTest.AddMetric("scaling_factor", "x", 24.2, BetterHigher)
	scaleErr := NewTest("TestScale15K", StatusError, 2*time.Second)
	scaleErr.Message = "open files: limit 20000 < 2 × 15000 sockets <needed>"
	scale := NewSuite("scale", scaleTest, scaleErr)

	chaosTest := NewTest("TestChaosProcessCrash", StatusPassed, 90*time.Second)
	chaosTest.Faults = []FaultEvent{{Kind: "crash", Start: 30 * time.Second, End: 32 * time.Second, Detail: "SIGKILL, restart"},
		{Kind: "partition", Start: 60 * time.Second, Detail: "port 9001 unreachable"}}
	rec := Series{Name: "recovered", Unit: "%", Chart: ChartRecovery}
	for t := 0; t <= 90; t += 5 {
		v := 100.0
		if t >= 30 && t < 40 {
			v = float64(t-30) * 10
		}
		rec.Points = append(rec.Points, Point{T: time.Duration(t) * time.Second, V: v})
	}
	chaosTest.Series = []Series{rec}
	chaosTest.AddKeyMetric("recovery_time", "s", 9.5, BetterLower).AddThreshold("recovery<10s", 9.5, "s", true)
	chaos := NewSuite("chaos", chaosTest)

	return &Run{
		ID: "run-20260127-100000", Started: fixtureStart, Duration: 15 * time.Minute, Env: env,
		Suites:   []*Node{baseline, scale, chaos},
		Warnings: []string{"quick mode: figures are not comparable with the seed's 10-minute runs"},
	}
}
