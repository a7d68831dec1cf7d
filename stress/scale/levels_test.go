//go:build stress

package scale

import (
	"fmt"
	"math"
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

// figures is the scale profile resolved for the suite's mode, with the
// criteria the levels read.
type figures struct {
	profile.Plan
	minFraction     float64       // criteria min_throughput_fraction (0.9)
	ceilingFraction float64       // criteria ceiling_fraction: the most of the ceiling a level is offered
	perClient       int           // criteria sessions_per_client_process
	perServer       int           // criteria sessions_per_server_process
	ceilingFor      time.Duration // phase ceiling
	scalingFactor   float64       // criteria scaling_factor_throughput (the seed's 100×)
}

func loadFigures(tb testing.TB) figures {
	tb.Helper()
	pl := suite.Plan(tb)
	f := figures{Plan: pl}
	f.minFraction = stress.Criterion(tb, pl.Profile, "min_throughput_fraction")
	f.ceilingFraction = stress.Criterion(tb, pl.Profile, "ceiling_fraction")
	f.perClient = int(stress.Criterion(tb, pl.Profile, "sessions_per_client_process"))
	f.perServer = int(stress.Criterion(tb, pl.Profile, "sessions_per_server_process"))
	f.scalingFactor = stress.Criterion(tb, pl.Profile, "scaling_factor_throughput")
	d, ok := pl.LookupPhase("ceiling")
	if !ok {
		tb.Fatalf("testdata/profiles/scale.json: modes.%s.phases.ceiling is missing", pl.Mode)
	}
	f.ceilingFor = d
	if f.minFraction <= 0 || f.minFraction > 1 || f.ceilingFraction <= 0 || f.ceilingFraction > 1 || f.perClient <= 0 || f.perServer <= 0 {
		tb.Fatalf("testdata/profiles/scale.json: criteria out of range: %+v", f)
	}
	return f
}

// level finds a level by name in the mode's levels; a level the mode does
// not run skips the test with the reason.
func (f figures) level(t *testing.T, tr *stress.T, name string) profile.Level {
	t.Helper()
	for _, l := range f.RunLevels() {
		if l.Name == name {
			return l
		}
	}
	tr.Skip(fmt.Sprintf("level %s is not in the %s mode's plan (testdata/profiles/scale.json)", name, f.Mode))
	return profile.Level{}
}

// interval is the collection interval: a quarter of the level's load,
// between 250 ms and 1 s.
func (f figures) interval() time.Duration {
	return min(max(f.LevelDuration.D()/4, 250*time.Millisecond), time.Second)
}

// levelResult is what one level measured.
type levelResult struct {
	Level            profile.Level
	Clients, Servers int
	// CeilingRate is the raw echo round trips per second at the level's
	// session count through the same layout; Offered what the MCP run was
	// offered: the seed's rate, or ceilingFraction of the ceiling when the
	// seed's rate is beyond it (SeedBeyond).
	CeilingRate float64
	Offered     float64
	SeedBeyond  bool
	Ceiling     *framework.Summary
	Run         *framework.Summary
}

// RampRate is the sessions opened per second during the MCP run's ramp.
func (r *levelResult) RampRate() float64 {
	if d := r.Run.Ramp.Duration; d > 0 {
		return float64(r.Run.Ramp.Opened) / d.Seconds()
	}
	return math.NaN()
}

// runLevel measures one level once per process (the level's test and the
// summary share it).
func runLevel(t *testing.T, f figures, l profile.Level) *levelResult {
	t.Helper()
	return stress.Shared(suite, t, "level/"+l.Name+"/"+string(f.Mode)+"/"+suite.Target(), func(tb testing.TB) *levelResult {
		lr := &levelResult{Level: l}
		lr.Clients, lr.Servers = stress.Layout(l.Sessions, f.perClient, f.perServer)
		tb.Logf("level %s: %d sessions on %d client process(es) and %d server process(es); ceiling %v, then load %v",
			l.Name, l.Sessions, lr.Clients, lr.Servers, f.ceilingFor, f.LevelDuration.D())
		lr.Ceiling = stress.Ceiling{Name: "scale/" + l.Name + "/ceiling", Sessions: l.Sessions, Clients: lr.Clients, Servers: lr.Servers,
			Duration: f.ceilingFor, Interval: f.interval(), Context: suite.Context()}.Measure(tb)
		lr.Ceiling = stress.Whole(tb, lr.Ceiling) // a shard sets its rate from the whole ceiling, as every shard does
		lr.CeilingRate = lr.Ceiling.AchievedRate
		lr.Offered = l.Rate
		if limit := f.ceilingFraction * lr.CeilingRate; l.Rate > limit {
			lr.Offered, lr.SeedBeyond = math.Floor(limit), true
		}
		if lr.Offered < 1 {
			lr.Offered = 1 // a ceiling of nothing is judged below, not divided by
		}
		sc := f.Scenario(l, workload())
		sc.Name = "scale/" + l.Name
		sc.Rate = lr.Offered
		sc.Duration = f.LevelDuration.D()
		sc.Pipeline = max(l.Slots, 4)
		sc.Config.CollectionInterval = f.interval()
		sc.Thresholds = levelThresholds(sc.Thresholds, f.minFraction*lr.Offered)
		tb.Logf("level %s: ceiling %.0f/s; offering %.0f/s (%s)", l.Name, lr.CeilingRate, lr.Offered, offerReason(lr, f))
		lr.Run = stress.RunWith(tb, suite.Target(), sc, stress.Options{
			Context: suite.Context(), NoFail: true, Shards: lr.Clients, ServerProcesses: lr.Servers,
			Progress: suite.Progress(tb.Name(), sc.Rate), OnSample: suite.Observer(),
		})
		return lr
	})
}

// workload is the seed's message: a small echo tool call.
func workload() framework.Workload {
	return framework.Workload{Ops: []framework.Operation{framework.CallTool("echo", map[string]any{"message": "scale"})}}
}

// levelThresholds replaces the profile's throughput floor (the seed's 90%
// of its own rate) with 90% of what the level was actually offered.
func levelThresholds(in []string, floor float64) []string {
	out := []string{fmt.Sprintf("throughput >= %.0f/s", floor)}
	for _, e := range in {
		if !strings.HasPrefix(strings.TrimSpace(e), "throughput") {
			out = append(out, e)
		}
	}
	return out
}

func offerReason(lr *levelResult, f figures) string {
	if lr.SeedBeyond {
		return fmt.Sprintf("the seed's %.0f/s is beyond this machine: %.0f%% of the %.0f/s ceiling", lr.Level.Rate, 100*f.ceilingFraction, lr.CeilingRate)
	}
	return "the seed's rate, within this machine's ceiling"
}

// testLevel is one level's test.
func testLevel(t *testing.T, name string) {
	tr := suite.Test(t)
	f := loadFigures(t)
	l := f.level(t, tr, name)
	lr := runLevel(t, f, l)
	checks := judge.Thresholds(lr.Run)
	checks = append(checks, judge.CeilingMeasured(lr.Ceiling, lr.Level.Sessions))
	if lr.SeedBeyond {
		checks = append(checks, verdict.Check{
			Expr:   fmt.Sprintf("throughput >= %.0f/s (the seed's 90%% of %.0f/s)", f.minFraction*l.Rate, l.Rate),
			Metric: "throughput", Unit: "msg/s", Measured: lr.Run.AchievedRate,
			Skip: fmt.Sprintf("beyond this machine: its ceiling at %d sessions is %.0f/s (raw echo, same layout), so the level was offered %.0f/s (%.0f%% of the ceiling) and judged at %.0f%% of that",
				l.Sessions, lr.CeilingRate, lr.Offered, 100*f.ceilingFraction, 100*f.minFraction),
		})
	}
	tr.Judge(lr.Run, checks...)
	recordLevel(tr, lr)
}

// recordLevel adds the level's figures: throughput absolute and as a
// fraction of the ceiling, server and client resources per session, the
// ramp rate.
func recordLevel(tr *stress.T, lr *levelResult) {
	run := lr.Run
	s := float64(lr.Level.Sessions)
	tr.Metric("sessions", "", s, "")
	tr.Metric("seed_rate", "msg/s", lr.Level.Rate, "")
	tr.Metric("ceiling_rate", "msg/s", lr.CeilingRate, report.BetterHigher)
	tr.Metric("offered_rate", "msg/s", lr.Offered, "")
	if lr.CeilingRate > 0 {
		tr.KeyMetric("fraction_of_ceiling", "%", 100*run.AchievedRate/lr.CeilingRate, report.BetterHigher)
	}
	tr.Metric("ramp_rate", "sessions/s", lr.RampRate(), report.BetterHigher)
	tr.Metric("client_processes", "", float64(lr.Clients), "")
	tr.Metric("server_processes", "", float64(lr.Servers), "")
	if rss, cpu, ok := serverPeak(run); ok {
		tr.Metric("server_rss_per_session", "KB", rss/s/1024, report.BetterLower)
		tr.Metric("server_cpu_percent", "%", cpu, report.BetterLower)
	}
	if mem, cpu, ok := clientPeak(run); ok {
		tr.Metric("client_memory_per_session", "KB", mem/s/1024, report.BetterLower)
		tr.Metric("client_cpu_percent", "%", cpu, report.BetterLower)
	}
	tr.Table(levelTable([]*levelResult{lr}))
}

// serverPeak is the server's peak RSS (bytes) and mean CPU over the run.
func serverPeak(s *framework.Summary) (rss, cpu float64, ok bool) {
	var n int
	for _, iv := range s.Intervals {
		if r := iv.Resources; r != nil && r.Server != nil && r.Server.Err == "" {
			rss = max(rss, float64(r.Server.RSSBytes))
			cpu += r.Server.CPUPercent
			n++
		}
	}
	if n == 0 {
		return 0, 0, false
	}
	return rss, cpu / float64(n), true
}

// clientPeak is the generator's peak memory (bytes mapped by the Go
// runtime, over its processes) and mean CPU over the run.
func clientPeak(s *framework.Summary) (mem, cpu float64, ok bool) {
	var n int
	for _, iv := range s.Intervals {
		if r := iv.Resources; r != nil {
			mem = max(mem, float64(r.Self.TotalBytes))
			cpu += r.Self.CPUPercent
			n++
		}
	}
	if n == 0 {
		return 0, 0, false
	}
	return mem, cpu / float64(n), true
}

// levelTable is the per-level table of the seed's summary.
func levelTable(rows []*levelResult) report.Table {
	t := report.Table{Title: "scale levels",
		Columns: []string{"level", "sessions", "clients×servers", "ramp sessions/s", "seed msg/s", "ceiling msg/s", "offered msg/s", "achieved msg/s",
			"of ceiling", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors", "dropped", "server RSS/session KB", "server CPU %", "client mem/session KB", "client CPU %"}}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }
	for _, lr := range rows {
		r := lr.Run
		s := float64(lr.Level.Sessions)
		l := r.Latency.Corrected
		frac, srss, scpu, cmem, ccpu := "n/a", "n/a", "n/a", "n/a", "n/a"
		if lr.CeilingRate > 0 {
			frac = fmt.Sprintf("%.1f%%", 100*r.AchievedRate/lr.CeilingRate)
		}
		if rss, cpu, ok := serverPeak(r); ok {
			srss, scpu = fmt.Sprintf("%.1f", rss/s/1024), fmt.Sprintf("%.0f", cpu)
		}
		if mem, cpu, ok := clientPeak(r); ok {
			cmem, ccpu = fmt.Sprintf("%.1f", mem/s/1024), fmt.Sprintf("%.0f", cpu)
		}
		t.Rows = append(t.Rows, []string{lr.Level.Name, fmt.Sprint(lr.Level.Sessions), fmt.Sprintf("%d×%d", lr.Clients, lr.Servers),
			fmt.Sprintf("%.0f", lr.RampRate()), fmt.Sprintf("%.0f", lr.Level.Rate), fmt.Sprintf("%.0f", lr.CeilingRate),
			fmt.Sprintf("%.0f", lr.Offered), fmt.Sprintf("%.0f", r.AchievedRate), frac, ms(l.P50), ms(l.P95), ms(l.P99), ms(l.Max),
			fmt.Sprint(r.Counts.Errors()), fmt.Sprint(r.Counts.Dropped), srss, scpu, cmem, ccpu})
	}
	return t
}

func TestScale150Connections(t *testing.T) { testLevel(t, "150") }
func TestScale500Connections(t *testing.T) { testLevel(t, "500") }
func TestScale1KConnections(t *testing.T)  { testLevel(t, "1K") }
func TestScale5KConnections(t *testing.T)  { testLevel(t, "5K") }
func TestScale10KConnections(t *testing.T) { testLevel(t, "10K") }
func TestScale15KConnections(t *testing.T) { testLevel(t, "15K") }
