package orchestrator_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/orchestrator"
	"github.com/mcpstress/mcpstress/regression"
	"github.com/mcpstress/mcpstress/report"
)

// seedSteps are the seed's eight scenarios with dependencies, each
// returning a node with metrics metrics and a check.
func seedSteps(metrics int) []orchestrator.Step {
	deps := map[string][]string{
		"sustained_load": {"connection_scaling"}, "failover_recovery": {"connection_scaling"},
		"chaos_injection": {"connection_scaling"}, "memory_stability": {"sustained_load"},
		"latency_consistency": {"sustained_load"}, "error_handling": {"connection_scaling"},
		"graceful_degradation": {"sustained_load", "failover_recovery", "chaos_injection"},
	}
	names := []string{"connection_scaling", "sustained_load", "failover_recovery", "chaos_injection",
		"memory_stability", "latency_consistency", "error_handling", "graceful_degradation"}
	steps := make([]orchestrator.Step, len(names))
	for i, name := range names {
		steps[i] = orchestrator.Step{Name: name, DependsOn: deps[name], Run: func(context.Context, *orchestrator.StepEnv) (*report.Node, error) {
			n := &report.Node{}
			for k := range metrics {
				n.AddMetric(fmt.Sprintf("metric_%02d", k), "ms", float64(k+1), report.BetterLower)
			}
			n.AddThreshold("metric_00 <= 100ms", 1, "ms", true)
			return n, nil
		}}
	}
	return steps
}

func noops(n int) []orchestrator.Step {
	steps := make([]orchestrator.Step, n)
	for i := range steps {
		steps[i] = orchestrator.Step{Name: fmt.Sprintf("s%05d", i), Run: nop}
	}
	return steps
}

// BenchmarkOrchestratorStartup: from NewPlan of the seed's eight scenarios
// to the first step running (seed: < 1000 ms).
func BenchmarkOrchestratorStartup(b *testing.B) {
	steps := seedSteps(0)
	var total time.Duration
	for b.Loop() {
		t0 := time.Now()
		first := make(chan time.Duration, 1)
		ss := append([]orchestrator.Step(nil), steps...)
		ss[0].Run = func(context.Context, *orchestrator.StepEnv) (*report.Node, error) {
			first <- time.Since(t0)
			return nil, nil
		}
		p, err := orchestrator.NewPlan(ss...)
		if err != nil {
			b.Fatal(err)
		}
		orchestrator.Run(context.Background(), p, orchestrator.Options{Workers: 2})
		total += <-first
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms-to-first-step")
}

// BenchmarkSchedulingOverheadPerStep: many no-op steps, so the wall time
// is all orchestration (seed: < 1000 µs per test).
func BenchmarkSchedulingOverheadPerStep(b *testing.B) {
	for _, tc := range []struct {
		name    string
		workers int
		chain   bool
	}{{"independent/workers=1", 1, false}, {"independent/workers=2", 2, false}, {"independent/workers=8", 8, false}, {"chain/workers=2", 2, true}} {
		b.Run(tc.name, func(b *testing.B) {
			const n = 5000
			steps := noops(n)
			if tc.chain {
				for i := 1; i < n; i++ {
					steps[i].DependsOn = []string{steps[i-1].Name}
				}
			}
			p, err := orchestrator.NewPlan(steps...)
			if err != nil {
				b.Fatal(err)
			}
			var wall time.Duration
			for b.Loop() {
				res := orchestrator.Run(context.Background(), p, orchestrator.Options{Workers: tc.workers})
				wall += res.Duration
			}
			b.ReportMetric(float64(wall.Nanoseconds())/float64(b.N)/n/1000, "µs/step")
		})
	}
}

// BenchmarkAggregationPerResult: Result.Report over many step results, each
// carrying a node with 12 metrics (seed: < 200 µs per test).
func BenchmarkAggregationPerResult(b *testing.B) {
	const n = 5000
	steps := noops(n)
	for i := range steps {
		steps[i].Run = func(context.Context, *orchestrator.StepEnv) (*report.Node, error) {
			nd := &report.Node{}
			for k := range 12 {
				nd.AddMetric(fmt.Sprintf("m%d", k), "ms", float64(k), report.BetterLower)
			}
			return nd, nil
		}
	}
	p, err := orchestrator.NewPlan(steps...)
	if err != nil {
		b.Fatal(err)
	}
	res := orchestrator.Run(context.Background(), p, orchestrator.Options{Workers: 2})
	for b.Loop() {
		res.Report("integration")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n/1000, "µs/result")
}

// BenchmarkReportGeneration: report.WriteAll (every format) of the seed's
// eight scenarios aggregated, 12 metrics each (seed: 250 ms).
func BenchmarkReportGeneration(b *testing.B) {
	p, err := orchestrator.NewPlan(seedSteps(12)...)
	if err != nil {
		b.Fatal(err)
	}
	res := orchestrator.Run(context.Background(), p, orchestrator.Options{Workers: 2})
	run := &report.Run{ID: "bench", Started: res.Started, Duration: res.Duration, Suites: []*report.Node{res.Report("integration")}}
	dir := b.TempDir()
	for b.Loop() {
		if _, err := report.WriteAll(dir, run); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/report")
}

// BenchmarkRegressionDetection: regression.Compare of two run sets, 20
// metrics × 10 runs per side, the second 10% worse (seed: < 100 ms).
func BenchmarkRegressionDetection(b *testing.B) {
	for _, tc := range []struct{ metrics, runs int }{{20, 10}, {100, 20}} {
		b.Run(fmt.Sprintf("metrics=%d/runs=%d", tc.metrics, tc.runs), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			var old, cur []regression.Samples
			for k := range tc.metrics {
				m := regression.Metric{Name: fmt.Sprintf("s/t/m%d", k), Unit: "ms", Direction: regression.LowerIsBetter}
				a, c := make([]float64, tc.runs), make([]float64, tc.runs)
				for i := range a {
					a[i], c[i] = 100+3*rng.NormFloat64(), 110+3*rng.NormFloat64()
				}
				old, cur = append(old, regression.Samples{Metric: m, Values: a}), append(cur, regression.Samples{Metric: m, Values: c})
			}
			var flagged int
			for b.Loop() {
				rep, err := regression.Compare(regression.Config{}, old, cur)
				if err != nil {
					b.Fatal(err)
				}
				flagged = len(rep.Flagged())
			}
			if flagged != tc.metrics {
				b.Errorf("flagged %d of %d 10%% regressions", flagged, tc.metrics)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/compare")
		})
	}
}

// BenchmarkParallelEfficiency: 8 independent steps of real work, run one at
// a time and on 2 and 8 workers; speed-up = sequential / parallel. On this
// 2-core machine 2x is the ceiling whatever the number of workers.
func BenchmarkParallelEfficiency(b *testing.B) {
	works := []struct {
		name string
		fn   func(context.Context, *orchestrator.StepEnv) error
	}{
		{"cpu", func(ctx context.Context, _ *orchestrator.StepEnv) error {
			_, err := orchestrator.BurnCPU(ctx, 150)
			return err
		}},
		{"loopback", func(ctx context.Context, env *orchestrator.StepEnv) error {
			return orchestrator.EchoLoopback(ctx, env, 1000)
		}},
	}
	for _, w := range works {
		for _, workers := range []int{2, 8} {
			b.Run(fmt.Sprintf("%s/workers=%d", w.name, workers), func(b *testing.B) {
				var seq, par time.Duration
				for b.Loop() {
					e, err := orchestrator.MeasureParallel(context.Background(), 8, workers, w.name, w.fn)
					if err != nil {
						b.Fatal(err)
					}
					seq += e.Sequential
					par += e.Parallel
				}
				b.ReportMetric(float64(seq)/float64(par), "speedup")
				b.ReportMetric(float64(seq)/float64(par)/float64(min(workers, runtime.GOMAXPROCS(0))), "efficiency")
				b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "cores")
			})
		}
	}
}
