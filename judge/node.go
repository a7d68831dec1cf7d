package judge

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/report"
)

// The seed's standard metric names (seed 000, Metrics Reference), used for
// every summary a suite records.
const (
	MetricMessagesPerSecond = "messages_per_second"
	MetricOfferedRate       = "offered_rate"
	MetricLatencyP50        = "latency_p50_ms"
	MetricLatencyP95        = "latency_p95_ms"
	MetricLatencyP99        = "latency_p99_ms"
	MetricLatencyMax        = "latency_max_ms"
	MetricUncorrectedP99    = "latency_uncorrected_p99_ms"
	MetricErrorRate         = "error_rate_percent"
	MetricDropRate          = "drop_rate_percent"
	MetricMemoryUsage       = "memory_usage_mb"
	MetricMemoryGrowth      = "memory_growth_mb"
	MetricGCPause           = "client_gc_pause_p99_ms"
	MetricCPU               = "cpu_percent"
	MetricTotalMessages     = "total_messages"
	MetricSessionsOpened    = "sessions_opened"
)

// SummaryNode converts an engine summary into a report test node named
// name: the seed's standard metrics, counts by outcome, the per-operation
// table, warnings, and — when series is true — the interval series
// (throughput, latency percentiles, memory) and the corrected-latency
// interval histograms for the .hlog file. Every time offset is from
// runStarted (the report's Run.Started). The node's status is left empty
// for the caller (or Normalize) to decide.
func SummaryNode(name string, sum *framework.Summary, runStarted time.Time, series bool) *report.Node {
	n := &report.Node{Name: name, Kind: report.KindTest}
	if sum == nil {
		n.Warnings = append(n.Warnings, "no summary: the run did not start")
		return n
	}
	if !sum.Start.IsZero() {
		n.Start = max(sum.Start.Sub(runStarted), 0)
		n.Duration = sum.Duration()
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	l := sum.Latency.Corrected
	n.AddMetric(MetricMessagesPerSecond, "msg/s", sum.AchievedRate, report.BetterHigher).
		AddMetric(MetricOfferedRate, "msg/s", sum.OfferedRate, "").
		AddMetric(MetricLatencyP50, "ms", ms(l.P50), report.BetterLower).
		AddMetric(MetricLatencyP95, "ms", ms(l.P95), report.BetterLower).
		AddMetric(MetricLatencyP99, "ms", ms(l.P99), report.BetterLower).
		AddMetric(MetricLatencyMax, "ms", ms(l.Max), report.BetterLower).
		AddMetric(MetricUncorrectedP99, "ms", ms(sum.Latency.Uncorrected.P99), report.BetterLower).
		AddMetric(MetricErrorRate, "%", 100*sum.ErrorRate, report.BetterLower).
		AddMetric(MetricDropRate, "%", 100*sum.DropRate, report.BetterLower).
		AddMetric(MetricTotalMessages, "", float64(sum.Scheduled), "").
		AddMetric(MetricSessionsOpened, "", float64(sum.Ramp.Opened), "")
	if end := sum.ResourcesEnd; end != nil && end.Server != nil && end.Server.Err == "" {
		n.AddMetric(MetricMemoryUsage, "MB", mb(end.Server.RSSBytes), report.BetterLower)
		if g, ok := sum.ServerRSSGrowth(); ok {
			n.AddMetric(MetricMemoryGrowth, "MB", float64(g)/(1<<20), report.BetterLower)
		}
	}
	if cpu, ok := meanServerCPU(sum.Intervals); ok {
		n.AddMetric(MetricCPU, "%", cpu, report.BetterLower)
	}
	if p, ok := worstGCPause(sum.Intervals); ok {
		n.AddMetric(MetricGCPause, "ms", ms(p), report.BetterLower)
	}

	for _, o := range client.Outcomes() {
		if c := sum.Counts.Get(o); c > 0 {
			n.AddCount(o.String(), c)
		}
	}
	if len(sum.ByOp) > 0 {
		n.Tables = append(n.Tables, opTable(sum.ByOp))
	}
	if !sum.Conservation.Holds {
		n.Warnings = append(n.Warnings, sum.Conservation.Error().Error())
	}
	if sum.Aborted != "" {
		n.Warnings = append(n.Warnings, "aborted: "+sum.Aborted)
	}
	n.Warnings = append(n.Warnings, sum.Warnings...)
	if t, ok := stderrTable(sum.ServerStderr); ok {
		n.Tables = append(n.Tables, t)
	}
	if series {
		n.Series = intervalSeries(sum.Intervals, runStarted)
		if h, err := histogramLog(sum.Scenario, sum.Intervals, runStarted); err != nil {
			n.Warnings = append(n.Warnings, "interval histograms: "+err.Error())
		} else if len(h.Intervals) > 0 {
			n.Histograms = append(n.Histograms, h)
		}
	}
	return n
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

// meanServerCPU averages the server's CPU over the intervals that sampled it.
func meanServerCPU(iv []framework.IntervalSnapshot) (float64, bool) {
	var sum float64
	var k int
	for _, s := range iv {
		if r := s.Resources; r != nil && r.Server != nil && r.Server.Err == "" {
			sum += r.Server.CPUPercent
			k++
		}
	}
	if k == 0 {
		return 0, false
	}
	return sum / float64(k), true
}

// worstGCPause is the largest per-interval p99 GC pause of the test
// process (the server's pauses are not observable from outside).
func worstGCPause(iv []framework.IntervalSnapshot) (time.Duration, bool) {
	var worst time.Duration
	ok := false
	for _, s := range iv {
		if s.Resources != nil && s.Resources.Self.GCPauses > 0 {
			worst, ok = max(worst, s.Resources.Self.GCPauseP99), true
		}
	}
	return worst, ok
}

func opTable(byOp map[string]framework.OutcomeCounts) report.Table {
	t := report.Table{Title: "outcomes by operation", Columns: []string{"operation"}}
	for _, o := range client.Outcomes() {
		t.Columns = append(t.Columns, o.String())
	}
	names := make([]string, 0, len(byOp))
	for k := range byOp {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		row := []string{k}
		for _, o := range client.Outcomes() {
			row = append(row, strconv.FormatUint(byOp[k].Get(o), 10))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// intervalSeries turns the interval snapshots into the report's charts:
// achieved throughput and failures per second, the corrected latency
// percentiles (an empty interval is a gap, never a zero), and the server's
// RSS and the test process's heap.
func intervalSeries(iv []framework.IntervalSnapshot, runStarted time.Time) []report.Series {
	if len(iv) == 0 {
		return nil
	}
	thr := report.Series{Name: "achieved", Unit: "msg/s", Chart: report.ChartThroughput}
	fail := report.Series{Name: "failed", Unit: "msg/s", Chart: report.ChartThroughput}
	lat := []report.Series{
		{Name: "p50", Unit: "ms", Chart: report.ChartLatency},
		{Name: "p95", Unit: "ms", Chart: report.ChartLatency},
		{Name: "p99", Unit: "ms", Chart: report.ChartLatency},
		{Name: "max", Unit: "ms", Chart: report.ChartLatency},
	}
	rss := report.Series{Name: "server rss", Unit: "MB", Chart: report.ChartMemory}
	heap := report.Series{Name: "client heap", Unit: "MB", Chart: report.ChartMemory}
	for _, s := range iv {
		t := s.End.Sub(runStarted)
		span := s.End.Sub(s.Start).Seconds()
		failed := math.NaN()
		if span > 0 {
			failed = float64(s.Counts.Errors()+s.Counts.Dropped) / span
		}
		thr.Points = append(thr.Points, report.Point{T: t, V: s.Throughput})
		fail.Points = append(fail.Points, report.Point{T: t, V: failed})
		c := s.Latency.Corrected
		for i, d := range []time.Duration{c.P50, c.P95, c.P99, c.Max} {
			v := math.NaN()
			if c.Count > 0 {
				v = float64(d) / float64(time.Millisecond)
			}
			lat[i].Points = append(lat[i].Points, report.Point{T: t, V: v})
		}
		if r := s.Resources; r != nil {
			if r.Server != nil && r.Server.Err == "" {
				rss.Points = append(rss.Points, report.Point{T: t, V: mb(r.Server.RSSBytes)})
			}
			heap.Points = append(heap.Points, report.Point{T: t, V: mb(r.Self.HeapBytes)})
		}
	}
	out := []report.Series{thr, fail}
	out = append(out, lat...)
	for _, s := range []report.Series{rss, heap} {
		if len(s.Points) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// histogramLog decodes each interval's corrected-latency histogram (the
// engine records microseconds) into a nanosecond histogram, as the report's
// .hlog convention wants.
func histogramLog(name string, iv []framework.IntervalSnapshot, runStarted time.Time) (report.HistogramLog, error) {
	h := report.HistogramLog{Name: name + " corrected"}
	if name == "" {
		h.Name = "corrected"
	}
	for i, s := range iv {
		if s.HDR.Corrected == "" {
			continue
		}
		us, err := s.HDR.Corrected.Decode()
		if err != nil {
			return h, fmt.Errorf("interval %d: %w", i, err)
		}
		ns := hdrhistogram.New(1, 3_600_000_000_000, 3)
		for _, b := range us.Distribution() {
			if b.Count > 0 {
				_ = ns.RecordValues(b.To*1000, b.Count) // within range: the engine clamps at 1 h
			}
		}
		h.Intervals = append(h.Intervals, report.Interval{Start: s.Start.Sub(runStarted), End: s.End.Sub(runStarted), Hist: ns})
	}
	return h, nil
}

// StderrLines is how many of the last stderr lines a report table keeps.
const StderrLines = 40

// stderrTable shows the last lines the server processes wrote to stderr.
func stderrTable(stderr string) (report.Table, bool) {
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if strings.TrimSpace(stderr) == "" {
		return report.Table{}, false
	}
	if len(lines) > StderrLines {
		lines = lines[len(lines)-StderrLines:]
	}
	t := report.Table{
		Title:   fmt.Sprintf("server stderr (last %d lines, every process interleaved)", len(lines)),
		Columns: []string{"line"},
	}
	for _, l := range lines {
		t.Rows = append(t.Rows, []string{l})
	}
	return t, true
}
