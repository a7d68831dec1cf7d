//go:build stress

package baseline

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/internal/modroot"
	"github.com/mcpstress/mcpstress/judge"
	"github.com/mcpstress/mcpstress/regression"
	"github.com/mcpstress/mcpstress/stress"
)

// The noise collector repeats short runs of the baseline load with no code
// change and stores the suite's metrics per run as a regression.NoiseCorpus,
// the data package regression's harness calibrates and evaluates its
// detectors on. It is off by default:
//
//	go test -tags stress -run TestCollectBaselineNoise -collect-noise -noise-runs 40 -v ./stress/baseline
var (
	collectNoise  = flag.Bool("collect-noise", false, "collect run-to-run noise of the baseline load into a regression.NoiseCorpus (minutes)")
	noiseRuns     = flag.Int("noise-runs", 40, "number of short baseline runs to collect")
	noiseDuration = flag.Duration("noise-run-duration", 3*time.Second, "measured duration of each run, after the profile's warm-up")
	noiseOut      = flag.String("noise-out", "", "corpus file to write (default <module root>/testdata/noise/baseline_quick.json)")
	noiseNotes    = flag.String("noise-notes", "", "conditions during collection, stored in the corpus with the load average")
)

// noiseMetrics are the baseline suite's metrics, one value per run, in the
// order runBaselineNoise returns them.
var noiseMetrics = []regression.Metric{
	{Name: "baseline_throughput", Unit: "msg/s", Direction: regression.HigherIsBetter},
	{Name: "baseline_p50", Unit: "ms", Direction: regression.LowerIsBetter},
	{Name: "baseline_p95", Unit: "ms", Direction: regression.LowerIsBetter},
	{Name: "baseline_p99", Unit: "ms", Direction: regression.LowerIsBetter},
	{Name: "baseline_undelivered", Unit: "fraction", Direction: regression.LowerIsBetter},
	{Name: "baseline_server_rss", Unit: "MB", Direction: regression.LowerIsBetter},
	{Name: "baseline_client_cpu", Unit: "%", Direction: regression.LowerIsBetter},
}

// TestCollectBaselineNoise runs the baseline level (the profile's sessions
// and rate for the suite's mode, the suite's own workload and scenario)
// -noise-runs times, each against a fresh embedded reference server in its
// own process, for the profile's warm-up plus -noise-run-duration, and
// records the metrics over the measured window only.
func TestCollectBaselineNoise(t *testing.T) {
	if !*collectNoise {
		t.Skip("pass -collect-noise to measure the baseline load's run-to-run noise (takes minutes)")
	}
	if *noiseRuns < 2 || *noiseDuration <= 0 {
		t.Fatalf("bad flags: -noise-runs %d (want >= 2), -noise-run-duration %v (want > 0)", *noiseRuns, *noiseDuration)
	}
	// The corpus is of the embedded reference server: a target from the
	// environment would silently make it a corpus of something else.
	t.Setenv(stress.TargetEnv, "")
	p := loadFigures(t)
	out := *noiseOut
	if out == "" {
		out = filepath.Join(modroot.Or("."), "testdata", "noise", "baseline_quick.json")
	}
	loadStart := loadAverage()
	corpus := regression.NoiseCorpus{
		Source: fmt.Sprintf("baseline suite load (stress/baseline, mode %s): %d sessions offered %.0f msg/s (open model) "+
			"of the suite's echo tool call, against a fresh embedded reference server in its own process per run; "+
			"each run %v of load of which the first %v (the profile's warm-up) is not recorded; metrics over the "+
			"%v after it, from the 250 ms interval snapshots: throughput = answered/s, p50/p95/p99 = corrected latency "+
			"(from the intended send time), undelivered = (errors + dropped) / (answered + errors + dropped), "+
			"server_rss = reference server RSS at the last sample, client_cpu = mean CPU%% of the test process "+
			"(load generator, 100 = one core)",
			p.Mode, p.level.Sessions, p.level.Rate, p.warmup+*noiseDuration, p.warmup, *noiseDuration),
		Command:    "go test -tags stress ./stress/baseline -run TestCollectBaselineNoise -collect-noise " + strings.Join(nonDefaultNoiseFlags(), " ") + " -v",
		Env:        regression.CurrentEnv(),
		RunSeconds: noiseDuration.Seconds(),
	}
	corpus.Command = strings.TrimSpace(strings.ReplaceAll(corpus.Command, "  ", " "))
	if m := os.Getenv("STRESS_TEST_MODE"); m != "" {
		corpus.Command = "STRESS_TEST_MODE=" + m + " " + corpus.Command
	}
	for _, m := range noiseMetrics {
		corpus.Metrics = append(corpus.Metrics, regression.Samples{Metric: m})
	}
	for i := range *noiseRuns {
		var vals []float64
		ok := t.Run(fmt.Sprintf("run%03d", i), func(t *testing.T) {
			vals = runBaselineNoise(t, p, *noiseDuration)
		})
		if !ok || vals == nil {
			t.Fatalf("run %d failed; no corpus written", i)
		}
		for j := range corpus.Metrics {
			corpus.Metrics[j].Values = append(corpus.Metrics[j].Values, vals[j])
		}
		t.Logf("run %d: %.0f msg/s, p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, undelivered %.2g, server RSS %.1f MB, client CPU %.0f%%",
			i, vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], vals[6])
		if err := suite.Context().Err(); err != nil {
			t.Fatalf("interrupted after %d runs: %v; no corpus written", i+1, err)
		}
	}
	corpus.Collected = time.Now().UTC().Format(time.RFC3339)
	corpus.Notes = fmt.Sprintf("load average (1/5/15 min) at start %s, at end %s; one server process per run, started and stopped around each run",
		loadStart, loadAverage())
	if *noiseNotes != "" {
		corpus.Notes = *noiseNotes + "; " + corpus.Notes
	}
	if err := regression.SaveNoiseCorpus(out, corpus); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d runs to %s", *noiseRuns, out)
}

// runBaselineNoise makes one run and returns the values of noiseMetrics. A
// run that cannot give every metric (no server sample, nothing answered)
// fails: a corpus with made-up values would be worse than none.
func runBaselineNoise(t *testing.T, p figures, d time.Duration) []float64 {
	t.Helper()
	const interval = 250 * time.Millisecond
	sc := p.scenario("noise", p.warmup+d, interval)
	sum := stress.RunWith(t, "", sc, stress.Options{Context: suite.Context(), NoFail: true})
	if sum.Aborted != "" {
		t.Fatalf("run aborted: %s", sum.Aborted)
	}
	from := sum.Start.Add(p.warmup)
	to := sum.Start.Add(sum.LoadDuration)
	w := judge.Aggregate(sum.Intervals, from, to)
	var cpu float64
	var cpuN int
	for _, s := range sum.Intervals {
		if !s.End.After(from) || s.End.After(to) || s.Resources == nil {
			continue
		}
		cpu += s.Resources.Self.CPUPercent
		cpuN++
	}
	delivered := w.Answered + w.Errors + w.Dropped
	var errs []string
	if w.Span < d/2 {
		errs = append(errs, fmt.Sprintf("measured window only %v of %v", w.Span, d))
	}
	if w.Answered == 0 || w.Hist.TotalCount() == 0 {
		errs = append(errs, "nothing answered in the measured window")
	}
	if math.IsNaN(w.RSSMB) {
		errs = append(errs, "no server resource sample in the measured window")
	}
	if cpuN == 0 {
		errs = append(errs, "no client resource sample in the measured window")
	}
	if !sum.Conservation.Holds {
		errs = append(errs, fmt.Sprintf("conservation violated: %d scheduled, %d accounted", sum.Conservation.Scheduled, sum.Conservation.Accounted))
	}
	if len(errs) > 0 {
		t.Fatalf("run unusable: %s", strings.Join(errs, "; "))
	}
	ms := func(q float64) float64 { return float64(w.Hist.ValueAtQuantile(q)) / 1000 } // µs → ms
	return []float64{
		float64(w.Answered) / w.Span.Seconds(),
		ms(50), ms(95), ms(99),
		float64(w.Errors+w.Dropped) / float64(delivered),
		w.RSSMB,
		cpu / float64(cpuN),
	}
}

// nonDefaultNoiseFlags lists the noise flags (and -timeout) given on the
// command line.
func nonDefaultNoiseFlags() []string {
	var out []string
	flag.Visit(func(f *flag.Flag) {
		switch {
		case strings.HasPrefix(f.Name, "noise-"):
			out = append(out, fmt.Sprintf("-%s=%q", f.Name, f.Value.String()))
		case f.Name == "test.timeout":
			out = append(out, "-timeout="+f.Value.String())
		}
	})
	return out
}

// loadAverage is /proc/loadavg's first three fields, or why not.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unavailable (" + err.Error() + ")"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unreadable"
	}
	return strings.Join(f[:3], " ")
}
