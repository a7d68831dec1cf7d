//go:build stress

package chaossuite

import (
	"fmt"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/chaos"
	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/framework/profile"
)

// figures is the chaos profile resolved for the suite's mode: the load,
// the phases every scenario runs through, and each scenario's parameters
// and targets (testdata/profiles/chaos.json).
type figures struct {
	profile.Plan
	sessions, pipeline int
	rate               float64
	interval           time.Duration // collection interval: 100 ms points
	timeout            time.Duration // request timeout where the scenario sets none
	window             time.Duration // recovery's sliding window
	fraction           float64       // of pre-fault throughput that counts as recovered

	warmup, baseline, fault, recovery, combinedRecovery        time.Duration
	crashEvery, disconnectEvery, partitionEvery, partitionHold time.Duration

	scenarios map[string]profile.FaultScenario
}

func loadFigures(tb testing.TB) figures {
	tb.Helper()
	pl := suite.Plan(tb)
	p := pl.Profile
	crit := func(key string) float64 {
		v, ok := p.Criteria[key]
		if !ok {
			tb.Fatalf("testdata/profiles/chaos.json: criteria.%s is missing", key)
		}
		return v
	}
	ph := func(name string) time.Duration {
		d, ok := pl.LookupPhase(name)
		if !ok {
			tb.Fatalf("testdata/profiles/chaos.json: modes.%s.phases.%s is missing", pl.Mode, name)
		}
		return d
	}
	f := figures{Plan: pl,
		sessions: int(crit("load_sessions")), pipeline: int(crit("load_pipeline")), rate: crit("load_rate"),
		interval: ms(crit("interval_ms")), timeout: ms(crit("request_timeout_ms")),
		window: secs(crit("recovery_window_s")), fraction: crit("recovery_fraction"),
		warmup: ph("warmup"), baseline: ph("baseline"), fault: ph("fault"), recovery: ph("recovery"), combinedRecovery: ph("combined_recovery"),
		crashEvery: ph("crash_every"), disconnectEvery: ph("disconnect_every"), partitionEvery: ph("partition_every"), partitionHold: ph("partition_hold"),
		scenarios: map[string]profile.FaultScenario{}}
	for _, s := range p.Scenarios {
		f.scenarios[s.Name] = s
	}
	return f
}

// param and target read one scenario's figure; a missing one fails the
// test (a figure is data, never a default in code).
func (f figures) param(tb testing.TB, scenario, key string) float64 {
	tb.Helper()
	return f.figure(tb, scenario, "params", key)
}

func (f figures) target(tb testing.TB, scenario, key string) float64 {
	tb.Helper()
	return f.figure(tb, scenario, "targets", key)
}

func (f figures) figure(tb testing.TB, scenario, kind, key string) float64 {
	tb.Helper()
	s, ok := f.scenarios[scenario]
	if !ok {
		tb.Fatalf("testdata/profiles/chaos.json: scenario %q is missing", scenario)
	}
	m := s.Params
	if kind == "targets" {
		m = s.Targets
	}
	v, ok := m[key]
	if !ok {
		tb.Fatalf("testdata/profiles/chaos.json: scenarios[%s].%s.%s is missing", scenario, kind, key)
	}
	return v
}

// impactOptions are MeasureImpact's options for a run that started its
// load at start: the reference period starts after the warm-up.
func (f figures) impactOptions(start time.Time) chaos.ImpactOptions {
	return chaos.ImpactOptions{BaselineFrom: start.Add(f.warmup), Window: f.window, Fraction: f.fraction}
}

// plan is one line for the test log saying how the mode scales the
// scenario.
func (f figures) plan(what string) string {
	return fmt.Sprintf("%s mode: %d sessions offered %.0f msg/s (open model, %d in flight per session at most), %v points; warm-up %v, pre-fault reference %v, fault phase %v, then %v watched: %s",
		f.Mode, f.sessions, f.rate, f.pipeline, f.interval, f.warmup, f.baseline, f.fault, f.recovery, what)
}

func workload() framework.Workload {
	return framework.Workload{Ops: []framework.Operation{framework.CallTool("echo", map[string]any{"message": "chaos"})}}
}

func ms(v float64) time.Duration   { return time.Duration(v * float64(time.Millisecond)) }
func secs(v float64) time.Duration { return time.Duration(v * float64(time.Second)) }
