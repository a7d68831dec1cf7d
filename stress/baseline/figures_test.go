//go:build stress

package baseline

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/framework/profile"
	"github.com/mcpstress/mcpstress/judge"
	"github.com/mcpstress/mcpstress/report"
	"github.com/mcpstress/mcpstress/stress"
	"github.com/mcpstress/mcpstress/verdict"
)

// figures is the baseline profile resolved for the suite's mode, with the
// criteria the checks read.
type figures struct {
	profile.Plan
	level profile.Level

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

func loadFigures(tb testing.TB) figures {
	tb.Helper()
	pl := suite.Plan(tb)
	levels := pl.RunLevels()
	if len(levels) != 1 {
		tb.Fatalf("baseline profile: want one level in mode %s, got %d", pl.Mode, len(levels))
	}
	p := figures{Plan: pl, level: levels[0]}
	p.warmup = stress.Phase(tb, pl, "warmup")
	p.memoryWindow = stress.Phase(tb, pl, "memory_window")
	// The reference server's RSS climbs for the first ~9 s of baseline load
	// and is flat after (measured: 21.5 MB at 1 s, 25.1 MB at 10 s, ±0.3 MB
	// to 40 s), so the profile's memory_warmup (10 s) is the load before the
	// trend is fitted: a slope fitted on the warm-up would be extrapolated
	// from allocation, not from a leak.
	p.memoryWarmup = stress.Phase(tb, pl, "memory_warmup")
	p.recoveryWindow = stress.Phase(tb, pl, "recovery_window")
	p.memoryGrowthMaxMB = stress.Criterion(tb, pl.Profile, "memory_growth_mb_max")
	p.memoryHorizon = time.Duration(stress.Criterion(tb, pl.Profile, "memory_growth_window_s") * float64(time.Second))
	p.memoryMaxMB = stress.Criterion(tb, pl.Profile, "memory_mb_max")
	p.recoveryMax = time.Duration(stress.Criterion(tb, pl.Profile, "recovery_s_max") * float64(time.Second))
	p.distributionAlpha = stress.Criterion(tb, pl.Profile, "distribution_p_min")
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
func (p figures) scenario(name string, d, interval time.Duration) framework.Scenario {
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
func (p figures) mainInterval() time.Duration {
	if p.Duration.D() >= time.Minute {
		return time.Second
	}
	return 250 * time.Millisecond
}

// throughputChecks: the throughput band (4,500–5,500 msg/s).
func throughputChecks(sum *framework.Summary) []verdict.Check {
	return judge.Thresholds(sum, "throughput")
}

// latencyChecks: the latency ceilings (p50, p95, p99, max). They are
// ceilings only: a faster server never fails.
func latencyChecks(sum *framework.Summary) []verdict.Check {
	return judge.Thresholds(sum, "p50", "p95", "p99", "max")
}

// errorChecks: the engine's error rate (errors among the requests sent)
// and, because a message the client could not even send is a failed
// message too, errors plus drops among all scheduled.
func errorChecks(sum *framework.Summary, maxRate float64) []verdict.Check {
	return append(judge.Thresholds(sum, "error_rate"), judge.Undelivered(sum, maxRate))
}

// distributionCheck: answered requests per session against equal shares.
func distributionCheck(sum *framework.Summary, alpha float64) (verdict.Check, judge.Uniformity) {
	return judge.Distribution(sum, alpha)
}

// memoryRange picks the part of a run the memory trend is judged on: the
// last memoryWindow of it, after the memory warm-up; scaled says the run
// had less than that.
func (p figures) memoryRange(sum *framework.Summary) (from, to time.Time, scaled bool) {
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
func (p figures) memoryFromMainRun() bool {
	return p.Duration.D() >= p.memoryWarmup+p.memoryWindow
}

// memoryChecks: the server's RSS growth by slope, extrapolated to the
// seed's 5 minutes, and the RSS ceiling. A server that is not our process
// cannot be judged: the checks say so and are skipped, never passed.
func memoryChecks(p figures, sum *framework.Summary, target string) ([]verdict.Check, judge.MemoryTrend) {
	from, to, scaled := p.memoryRange(sum)
	var notes []string
	if scaled {
		notes = append(notes, fmt.Sprintf("only a %v window (the run is shorter than the %v window)", to.Sub(from).Round(time.Millisecond), p.memoryWindow))
	}
	if p.memoryWindow < p.memoryHorizon {
		notes = append(notes, fmt.Sprintf("%s mode: slope over %v after %v of load, extrapolated to %v", p.Mode, p.memoryWindow, p.memoryWarmup, p.memoryHorizon))
	}
	return judge.Memory(sum, judge.MemorySpec{From: from, To: to, Horizon: p.memoryHorizon, GrowthMaxMB: p.memoryGrowthMaxMB,
		MaxMB: p.memoryMaxMB, Target: target, Note: strings.Join(notes, "; ")})
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
