//go:build stress

package baseline

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/mcpstress/mcpstress/chaos"
	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/report"
	"github.com/mcpstress/mcpstress/stress"
)

// plan is the baseline profile resolved for the suite's mode, with the
// criteria the checks read.
type plan struct {
	framework.Plan
	level framework.Level

	warmup         time.Duration // stabilisation before the baseline point (seed: T+10 s)
	memoryWarmup   time.Duration // load before the memory trend is fitted (phase memory_warmup)
	memoryWindow   time.Duration // the seed's "over 5 minutes"
	recoveryWindow time.Duration // how long after the drop recovery is watched

	memoryGrowthMaxMB float64       // criteria memory_growth_mb_max
	memoryHorizon     time.Duration // criteria memory_growth_window_s
	memoryMaxMB       float64       // criteria memory_mb_max
	recoveryMax       time.Duration // criteria recovery_s_max
	distributionAlpha float64       // criteria distribution_p_min
}

// criterion reads a named number from the profile; a missing one fails the
// test (criteria are data, never defaults made up here).
func criterion(tb testing.TB, p *framework.Profile, key string) float64 {
	tb.Helper()
	v, ok := p.Criteria[key]
	if !ok {
		tb.Fatalf("testdata/profiles/baseline.json: criteria.%s is missing", key)
	}
	return v
}

// phase reads a named phase of the mode from the profile; a missing one
// fails the test, as a missing criterion does.
func phase(tb testing.TB, pl framework.Plan, name string) time.Duration {
	tb.Helper()
	d, ok := pl.LookupPhase(name)
	if !ok {
		tb.Fatalf("testdata/profiles/baseline.json: modes.%s.phases.%s is missing", pl.Mode, name)
	}
	return d
}

func loadPlan(tb testing.TB) plan {
	tb.Helper()
	pl := suite.Plan(tb)
	levels := pl.RunLevels()
	if len(levels) != 1 {
		tb.Fatalf("baseline profile: want one level in mode %s, got %d", pl.Mode, len(levels))
	}
	p := plan{Plan: pl, level: levels[0]}
	p.warmup = phase(tb, pl, "warmup")
	p.memoryWindow = phase(tb, pl, "memory_window")
	// The reference server's RSS climbs for the first ~9 s of baseline load
	// and is flat after (measured: 21.5 MB at 1 s, 25.1 MB at 10 s, ±0.3 MB
	// to 40 s), so the profile's memory_warmup (10 s) is the load before the
	// trend is fitted: a slope fitted on the warm-up would be extrapolated
	// from allocation, not from a leak.
	p.memoryWarmup = phase(tb, pl, "memory_warmup")
	p.recoveryWindow = phase(tb, pl, "recovery_window")
	p.memoryGrowthMaxMB = criterion(tb, pl.Profile, "memory_growth_mb_max")
	p.memoryHorizon = time.Duration(criterion(tb, pl.Profile, "memory_growth_window_s") * float64(time.Second))
	p.memoryMaxMB = criterion(tb, pl.Profile, "memory_mb_max")
	p.recoveryMax = time.Duration(criterion(tb, pl.Profile, "recovery_s_max") * float64(time.Second))
	p.distributionAlpha = criterion(tb, pl.Profile, "distribution_p_min")
	if p.distributionAlpha <= 0 || p.distributionAlpha >= 1 {
		tb.Fatalf("testdata/profiles/baseline.json: criteria.distribution_p_min %v is not in (0, 1)", p.distributionAlpha)
	}
	return p
}

// workload is the baseline message: one small echo tool call.
func workload() framework.Workload {
	return framework.Workload{Ops: []framework.Operation{
		framework.CallTool("echo", map[string]any{"message": "baseline"}),
	}}
}

// scenario is the profile's level for this mode (150 sessions, 5,000 msg/s,
// the mode's duration and the level's thresholds), collected at interval.
func (p plan) scenario(name string, d, interval time.Duration) framework.Scenario {
	sc := p.Scenario(p.level, workload())
	sc.Name = "baseline/" + name
	if d > 0 {
		sc.Duration = d
	}
	sc.Config.CollectionInterval = interval
	return sc
}

// mainInterval is the main run's collection interval: 1 s as in the seed's
// collection_interval for runs of a minute or more, 250 ms for the short
// quick-mode run so that its memory slope and series have enough points.
func (p plan) mainInterval() time.Duration {
	if p.Duration.D() >= time.Minute {
		return time.Second
	}
	return 250 * time.Millisecond
}

// throughputChecks: the throughput band (4,500–5,500 msg/s).
func throughputChecks(sum *framework.Summary) []stress.Check {
	return stress.Thresholds(sum, "throughput")
}

// latencyChecks: the latency ceilings (p50, p95, p99, max). They are
// ceilings only: a faster server never fails.
func latencyChecks(sum *framework.Summary) []stress.Check {
	return stress.Thresholds(sum, "p50", "p95", "p99", "max")
}

// errorChecks: the engine's error rate (errors among the requests sent)
// and, because a message the client could not even send is a failed
// message too, errors plus drops among all scheduled.
func errorChecks(sum *framework.Summary, maxRate float64) []stress.Check {
	out := stress.Thresholds(sum, "error_rate")
	c := sum.Counts
	denom := sum.Scheduled - c.Cancelled
	failed := c.Errors() + c.Dropped
	chk := stress.Check{
		Expr: fmt.Sprintf("undelivered (errors + dropped) < %g%% of scheduled", maxRate*100),
		Unit: "%",
		Detail: fmt.Sprintf("%d errors (tool %d, rpc %d, transport %d, timeout %d) + %d dropped of %d scheduled (%d cancelled at the stop)",
			c.Errors(), c.ToolError, c.RPCError, c.TransportError, c.Timeout, c.Dropped, sum.Scheduled, c.Cancelled),
	}
	if denom == 0 {
		chk.Skip = "nothing was scheduled"
	} else {
		rate := float64(failed) / float64(denom)
		chk.Measured, chk.Pass = 100*rate, rate < maxRate
	}
	return append(out, chk)
}

// distributionCheck: per-session counts against equal shares.
func distributionCheck(sum *framework.Summary, alpha float64) (stress.Check, stress.Uniformity) {
	chk := stress.Check{Expr: fmt.Sprintf("per-session counts consistent with equal shares (p >= %g)", alpha)}
	u, err := stress.SessionUniformity(sum.SessionCounts)
	if err != nil {
		chk.Skip = err.Error()
		return chk, u
	}
	chk.Measured = min(u.PValue, u.ExtremePValue)
	chk.Pass = !u.Rejects(alpha)
	chk.Detail = u.String() + "; H0: each request picks a session uniformly at random (the engine's longest-idle dispatch is more even, so only starved or hogging sessions reject)"
	return chk, u
}

// memoryRange picks the part of a run the memory trend is judged on: the
// last memoryWindow of it, after the memory warm-up; scaled says the run
// had less than that.
func (p plan) memoryRange(sum *framework.Summary) (from, to time.Time, scaled bool) {
	from = sum.Start.Add(p.memoryWarmup)
	to = sum.End
	if to.Sub(from) > p.memoryWindow {
		from = to.Add(-p.memoryWindow)
	}
	return from, to, to.Sub(from) < p.memoryWindow-p.memoryWindow/20
}

// memoryFromMainRun says whether the main run is long enough to judge
// memory on (a memory warm-up plus a whole window); otherwise the memory
// test runs its own load of exactly that length.
func (p plan) memoryFromMainRun() bool {
	return p.Duration.D() >= p.memoryWarmup+p.memoryWindow
}

// memoryChecks: the server's RSS growth by slope, extrapolated to the
// seed's 5 minutes, and the RSS ceiling. A server that is not our process
// cannot be judged: the checks say so and are skipped, never passed.
func memoryChecks(p plan, sum *framework.Summary, target string) ([]stress.Check, stress.MemoryTrend) {
	growth := stress.Check{Expr: fmt.Sprintf("server memory growth over %v < %g MB (least-squares slope)", p.memoryHorizon, p.memoryGrowthMaxMB), Unit: "MB"}
	ceiling := stress.Check{Expr: fmt.Sprintf("server RSS < %g MB", p.memoryMaxMB), Unit: "MB"}
	from, to, scaled := p.memoryRange(sum)
	trend, err := stress.ServerMemoryTrend(sum.Intervals, from, to, p.memoryHorizon)
	switch {
	case err == stress.ErrServerNotSampled:
		reason := fmt.Sprintf("server memory not observable for target %s: it is not a process this suite started", target)
		growth.Skip, ceiling.Skip = reason, reason
		return []stress.Check{growth, ceiling}, trend
	case err != nil:
		growth.Skip = err.Error()
	default:
		growth.Measured, growth.Pass = trend.GrowthMB, trend.GrowthMB < p.memoryGrowthMaxMB
		growth.Detail = trend.String()
		if scaled {
			growth.Detail += fmt.Sprintf("; only a %v window (the run is shorter than the %v window)", trend.Window.Round(time.Millisecond), p.memoryWindow)
		}
		if p.memoryWindow < p.memoryHorizon {
			growth.Detail += fmt.Sprintf("; %s mode: slope over %v after %v of load, extrapolated to %v", p.Mode, p.memoryWindow, p.memoryWarmup, p.memoryHorizon)
		}
	}
	var peak float64
	for _, s := range sum.Intervals {
		if r := s.Resources; r != nil && r.Server != nil && r.Server.Err == "" {
			peak = max(peak, float64(r.Server.RSSBytes)/(1<<20))
		}
	}
	ceiling.Measured, ceiling.Pass, ceiling.Detail = peak, peak < p.memoryMaxMB, "peak of the interval samples"
	return []stress.Check{growth, ceiling}, trend
}

// recoveryCheck: the recovery time against the seed's < 10 s.
func recoveryCheck(r chaos.Recovery, maxTime time.Duration) stress.Check {
	c := stress.Check{Expr: fmt.Sprintf("recovery after dropping every connection < %v", maxTime), Unit: "s", Detail: r.String()}
	if !r.Recovered {
		c.Measured, c.Pass = r.Observed.Seconds(), false
		return c
	}
	c.Measured, c.Pass = r.Time.Seconds(), r.Time < maxTime
	return c
}

// window aggregates the intervals that end in (from, to]: answered rate,
// merged corrected-latency percentiles, errors, and the last server sample.
type window struct {
	answered, errors, dropped uint64
	span                      time.Duration
	hist                      *hdrhistogram.Histogram // µs, as the engine records
	rssMB, cpu                float64
}

func aggregate(iv []framework.IntervalSnapshot, from, to time.Time) window {
	w := window{hist: hdrhistogram.New(1, 3_600_000_000, 3), rssMB: math.NaN(), cpu: math.NaN()}
	for _, s := range iv {
		if !s.End.After(from) || s.End.After(to) {
			continue
		}
		w.answered += s.Counts.Answered()
		w.errors += s.Counts.Errors()
		w.dropped += s.Counts.Dropped
		w.span += s.End.Sub(s.Start)
		if s.CorrectedHDR != "" {
			if h, err := hdrhistogram.Decode([]byte(s.CorrectedHDR)); err == nil {
				w.hist.Merge(h)
			}
		}
		if r := s.Resources; r != nil && r.Server != nil && r.Server.Err == "" {
			w.rssMB, w.cpu = float64(r.Server.RSSBytes)/(1<<20), r.Server.CPUPercent
		}
	}
	return w
}

// collectionPoints is the seed's table: the baseline point after
// stabilisation (T+warm-up), the regular points, and the final figures,
// each over the second before it (the final row over the whole run).
func collectionPoints(p plan, sum *framework.Summary) report.Table {
	regular := time.Minute
	if sum.LoadDuration < 2*regular {
		regular = time.Second // a short run: every second instead of every minute
	}
	t := report.Table{
		Title:   fmt.Sprintf("collection points (baseline at T+%v, then every %v, final)", p.warmup, regular),
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
	row := func(name string, at time.Duration, w window) {
		rate := math.NaN()
		if w.span > 0 {
			rate = float64(w.answered) / w.span.Seconds()
		}
		t.Rows = append(t.Rows, []string{name, at.Round(time.Millisecond).String(), num(rate),
			ms(w.hist, 50), ms(w.hist, 95), ms(w.hist, 99), fmt.Sprint(w.errors), fmt.Sprint(w.dropped), num(w.rssMB), num(w.cpu)})
	}
	point := func(name string, at time.Duration) {
		end := sum.Start.Add(at)
		row(name, at, aggregate(sum.Intervals, end.Add(-time.Second), end))
	}
	if p.warmup < sum.LoadDuration {
		point("baseline", p.warmup)
	}
	for at := regular; at < sum.LoadDuration; at += regular {
		if at != p.warmup {
			point("regular", at)
		}
	}
	row("final", sum.End.Sub(sum.Start), aggregate(sum.Intervals, sum.Start.Add(-time.Nanosecond), sum.End.Add(time.Hour)))
	return t
}

// formatTable renders a table for the test log.
func formatTable(t report.Table) string {
	var b strings.Builder
	b.WriteString(t.Title + "\n")
	b.WriteString(strings.Join(t.Columns, "\t") + "\n")
	for _, r := range t.Rows {
		b.WriteString(strings.Join(r, "\t") + "\n")
	}
	return b.String()
}
