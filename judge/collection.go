package judge

import (
	"fmt"
	"math"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/report"
)

// Window is the intervals of a run that end in (from, to], aggregated:
// answered, errors and drops, the time they span, their merged
// corrected-latency histogram, and the last server sample (NaN without
// one).
type Window struct {
	Answered, Errors, Dropped uint64
	Span                      time.Duration
	Hist                      *hdrhistogram.Histogram // µs, as the engine records
	RSSMB, CPU                float64
}

// Aggregate sums the intervals that end in (from, to].
func Aggregate(iv []framework.IntervalSnapshot, from, to time.Time) Window {
	w := Window{Hist: hdrhistogram.New(1, 3_600_000_000, 3), RSSMB: math.NaN(), CPU: math.NaN()}
	for _, s := range iv {
		if !s.End.After(from) || s.End.After(to) {
			continue
		}
		w.Answered += s.Counts.Answered()
		w.Errors += s.Counts.Errors()
		w.Dropped += s.Counts.Dropped
		w.Span += s.End.Sub(s.Start)
		if h, err := s.HDR.Corrected.Decode(); err == nil {
			w.Hist.Merge(h.Histogram)
		}
		if r := s.Resources; r != nil && r.Server != nil && r.Server.Err == "" {
			w.RSSMB, w.CPU = float64(r.Server.RSSBytes)/(1<<20), r.Server.CPUPercent
		}
	}
	return w
}

// CollectionPoints is the seed's table of collection points: the baseline
// point after stabilisation (T+warmup), a regular point every minute (every
// second in runs under two minutes), and the final figures; each over the
// second before it, the final row over the whole run.
func CollectionPoints(sum *framework.Summary, warmup time.Duration) report.Table {
	regular := time.Minute
	if sum.LoadDuration < 2*regular {
		regular = time.Second // a short run: every second instead of every minute
	}
	t := report.Table{
		Title:   fmt.Sprintf("collection points (baseline at T+%v, then every %v, final)", warmup, regular),
		Columns: []string{"point", "t", "messages_per_second", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "errors", "dropped", "memory_usage_mb", "cpu_percent"},
	}
	ms := func(h *hdrhistogram.Histogram, q float64) string {
		if h.TotalCount() == 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.2f", float64(h.ValueAtQuantile(q))/1000)
	}
	num := func(v float64) string {
		if math.IsNaN(v) {
			return "n/a"
		}
		return fmt.Sprintf("%.1f", v)
	}
	row := func(name string, at time.Duration, w Window) {
		rate := math.NaN()
		if w.Span > 0 {
			rate = float64(w.Answered) / w.Span.Seconds()
		}
		t.Rows = append(t.Rows, []string{name, at.Round(time.Millisecond).String(), num(rate),
			ms(w.Hist, 50), ms(w.Hist, 95), ms(w.Hist, 99), fmt.Sprint(w.Errors), fmt.Sprint(w.Dropped), num(w.RSSMB), num(w.CPU)})
	}
	point := func(name string, at time.Duration) {
		end := sum.Start.Add(at)
		row(name, at, Aggregate(sum.Intervals, end.Add(-time.Second), end))
	}
	if warmup < sum.LoadDuration {
		point("baseline", warmup)
	}
	for at := regular; at < sum.LoadDuration; at += regular {
		if at != warmup {
			point("regular", at)
		}
	}
	row("final", sum.End.Sub(sum.Start), Aggregate(sum.Intervals, sum.Start.Add(-time.Nanosecond), sum.End.Add(time.Hour)))
	return t
}
