package regression

import (
	"bytes"
	"flag"
	"math"
	"path/filepath"
	"testing"
	"time"
)

var (
	fullEval   = flag.Bool("full-eval", false, "run the full evaluation harness (2,000 trials per cell; minutes)")
	evalAlpha  = flag.Float64("eval-alpha", 0.05, "alpha used by the evaluation harness")
	evalTrials = flag.Int("eval-trials", 0, "override the number of trials per cell")
	evalCorpus = flag.String("eval-corpus", "", "noise corpus to evaluate on (default: every ../testdata/noise/*.json)")
)

func harnessConfig(trials int, sizes []int) EvalConfig {
	if *evalTrials > 0 {
		trials = *evalTrials
	}
	return EvalConfig{
		Compare:     Config{Alpha: *evalAlpha},
		Trials:      trials,
		RunsPerSide: sizes,
		// The tail latencies of every corpus in testdata/noise: the
		// loopback echo workload's and the baseline suite's.
		TailMetrics: []string{"echo_p95", "echo_p99", "baseline_p95", "baseline_p99"},
		Seed:        20261123,
		Conditions: []Injection{
			{Name: "step +5%", Kind: InjectStep, Size: 0.05},
			{Name: "step +10%", Kind: InjectStep, Size: 0.10},
			{Name: "step +20%", Kind: InjectStep, Size: 0.20},
			{Name: "ramp to +20%", Kind: InjectRamp, Size: 0.20},
			{Name: "tail +20%", Kind: InjectTail, Size: 0.20},
			{Name: "improve 10%", Kind: InjectImprove, Size: 0.10},
			{Name: "improve 20%", Kind: InjectImprove, Size: 0.20},
			{Name: "variance x2", Kind: InjectVariance, Size: 1},
			{Name: "one spike x3", Kind: InjectSpike, Size: 2},
			{Name: "A/A in time order", Kind: InjectSequential},
		},
	}
}

func corpora(t *testing.T) []string {
	t.Helper()
	if *evalCorpus != "" {
		return []string{*evalCorpus}
	}
	paths, err := filepath.Glob("../testdata/noise/*.json")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no noise corpus in ../testdata/noise (%v); collect one with -collect-noise", err)
	}
	return paths
}

// aloneConditions adds a 10% step on each metric of the corpus at path by
// itself (full harness).
func aloneConditions(t *testing.T, path string, cfg EvalConfig) EvalConfig {
	t.Helper()
	corpus, err := LoadNoiseCorpus(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range corpus.Metrics {
		m := s.Metric
		cfg.Conditions = append(cfg.Conditions, Injection{Name: "+10% " + m.Name + " alone", Kind: InjectStep, Size: 0.10, Metric: m.Name})
	}
	return cfg
}

func runHarness(t *testing.T, path string, cfg EvalConfig) EvalReport {
	t.Helper()
	corpus, err := LoadNoiseCorpus(path)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rep, err := Evaluate(corpus, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteEvalTable(&b, rep); err != nil {
		t.Fatal(err)
	}
	t.Logf("evaluation (%v):\n%s", time.Since(start).Round(time.Millisecond), b.String())
	return rep
}

func TestDetectorCalibration(t *testing.T) {
	trials, sizes := 150, []int{5, 10, 20}
	if *fullEval {
		trials = 2000
	}
	for _, path := range corpora(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			cfg := harnessConfig(trials, sizes)
			if *fullEval {
				cfg = aloneConditions(t, path, cfg)
			}
			rep := runHarness(t, path, cfg)
			checkHarness(t, rep)
		})
	}
}

func TestHistoryDetectorsCalibration(t *testing.T) {
	trials := 40
	if *fullEval {
		trials = 1000
	}
	if *evalTrials > 0 {
		trials = *evalTrials
	}
	for _, path := range corpora(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			corpus, err := LoadNoiseCorpus(path)
			if err != nil {
				t.Fatal(err)
			}
			gate, err := EvaluateGate(corpus, GateConfig{}, []float64{0.10, 0.20, 0.50})
			if err != nil {
				t.Fatal(err)
			}
			// Series of 60 (a step at 30) where the evaluation half
			// holds 60 runs; a smaller corpus (the baseline suite's 80
			// runs) gets series of all its evaluation runs, step halfway.
			half := min(30, corpus.Runs()/2/2)
			cps, err := EvaluateChangePoints(corpus, ChangePointConfig{}, []float64{0.10, 0.20, 0.50}, trials, half, 3, 20261123)
			if err != nil {
				t.Fatal(err)
			}
			seedZ, err := EvaluateSeedZRule(corpus, 30, 10*trials, []float64{0.10, 0.20}, 20261123)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := WriteSeriesEvalTables(&b, gate, cps); err != nil {
				t.Fatal(err)
			}
			if err := WriteSeedZTable(&b, seedZ); err != nil {
				t.Fatal(err)
			}
			t.Logf("history detectors (%d change-point trials per cell, series of %d, tolerance ±3):\n%s", trials, 2*half, b.String())
			for _, r := range cps {
				// Under A/A the pooled t-test at p <= 0.001 with merge must
				// rarely fire; allow the 95% CP interval to reach 5%.
				if r.Detected[0].Lo > 0.05 {
					t.Errorf("%s: change points in %v of flat series", r.Metric.Name, r.Detected[0])
				}
			}
		})
	}
}

// checkHarness asserts what the measured rates must satisfy. Each bound is
// tested against the 95% Clopper–Pearson interval of the measured rate, so
// a failure means the detector (not the dice) is off.
func checkHarness(t *testing.T, rep EvalReport) {
	t.Helper()
	alpha := rep.Config.Compare.withDefaults().Alpha
	for _, c := range rep.Cells {
		if c.Skipped != "" {
			continue
		}
		switch c.Condition.Kind {
		case NoInjection:
			// Holm bounds the family-wise error at alpha for exchangeable
			// A/A data: the measured per-report rate must be consistent
			// with that.
			if c.AnyRegression.Lo > alpha {
				t.Errorf("A/A n=%d: per-report false-positive rate %v exceeds alpha %v", c.N, c.AnyRegression, alpha)
			}
		case InjectImprove:
			// A direction-blind detector flags improvements as often as it
			// detects them. Ours may only err the way an A/A comparison
			// can (a sample drawn against the shift), so the rate must be
			// consistent with alpha, and far below the improvement rate.
			regs, imps := 0, 0
			for _, m := range rep.Metrics {
				r := c.Regression[m.Name]
				regs += r.Hits
				imps += c.Improvement[m.Name].Hits
				if r.Lo > alpha/2 {
					t.Errorf("%s n=%d: improvement of %s flagged as a regression in %v", c.Condition.Name, c.N, m.Name, r)
				}
			}
			if regs > 0 && regs*10 > imps {
				t.Errorf("%s n=%d: %d regressions against %d improvements", c.Condition.Name, c.N, regs, imps)
			}
		case InjectStep:
			// Where the noise is small against the effect on the calibration
			// half (robust CV <= effect/4, i.e. a shift of >= 4 robust sd,
			// and at most 2% of runs farther than effect/2 from the median,
			// so no second mode) a test with 10 runs per side must detect
			// it nearly always.
			if c.N < 10 {
				continue
			}
			for _, m := range rep.Metrics {
				if c.Condition.Metric != "" && c.Condition.Metric != m.Name {
					continue // not shifted in this condition
				}
				// A metric whose calibration median is 0 (no errors or
				// drops in most runs) has no relative noise (CV NaN) and
				// a relative step leaves its zeros at zero: nothing was
				// injected, so there is nothing to detect.
				cv := rep.CalibrationCV[m.Name]
				if math.IsNaN(cv) || cv > c.Condition.Size/4 || rep.FractionBeyond(m.Name, c.Condition.Size/2) > 0.02 {
					continue
				}
				if r := c.Regression[m.Name]; r.Hi < 0.95 {
					t.Errorf("%s n=%d: %s (CV %.1f%%) detected only %v", c.Condition.Name, c.N, m.Name, 100*rep.CalibrationCV[m.Name], r)
				}
			}
		}
	}
}
