package regression

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"text/tabwriter"

	"gonum.org/v1/gonum/stat/distuv"
)

// Injection is a known change applied to the "current" side of an A/A pair
// of run sets drawn from a noise corpus.
type Injection struct {
	// Name labels the condition in the output.
	Name string
	// Kind selects the shape.
	Kind InjectionKind
	// Size is the relative change: 0.10 is 10% worse (Step, Ramp's final
	// value, Tail), a spread factor for Variance (1 doubles deviations), a
	// multiplier minus one for Spike.
	Size float64
	// Metric, when set, restricts the change to that metric (the others
	// stay A/A), so Holm's correction bites as it does when one metric of
	// a report regresses alone.
	Metric string
}

// InjectionKind is the shape of an injected change.
type InjectionKind int

const (
	// NoInjection: A/A, measures false positives.
	NoInjection InjectionKind = iota
	// InjectStep makes every current run Size worse on every metric.
	InjectStep
	// InjectImprove makes every current run Size better (must never be called a
	// regression).
	InjectImprove
	// InjectRamp makes current run i worse by Size·i/(n-1): a gradual drift whose
	// mean is Size/2.
	InjectRamp
	// InjectTail makes only the tail metrics (EvalConfig.TailMetrics) Size worse.
	InjectTail
	// InjectVariance scales each current value's deviation from the metric's
	// corpus median by 1+Size, keeping the median: a negative control.
	InjectVariance
	// InjectSpike makes one current run 1+Size times worse: a negative control.
	InjectSpike
	// InjectSequential is A/A without resampling: baseline = evaluation runs
	// [i, i+n) and current = [i+n, i+2n) in collection order, for every i.
	// It keeps the machine's drift (runs made at different times), which
	// resampling hides; trials overlap, so they are correlated.
	InjectSequential
)

// EvalConfig configures Evaluate.
type EvalConfig struct {
	Compare Config
	// Trials per cell (condition × runs per side).
	Trials int
	// RunsPerSide lists the sample sizes to evaluate, e.g. 5, 10, 20.
	RunsPerSide []int
	// Conditions to evaluate; A/A is always evaluated first.
	Conditions []Injection
	// TailMetrics names the metrics a Tail injection changes (e.g. p95 and
	// p99 but not p50).
	TailMetrics []string
	// Seed makes the whole evaluation reproducible.
	Seed uint64
}

// Validate reports every problem at once.
func (c EvalConfig) Validate() error {
	var errs []error
	if err := c.Compare.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Trials < 1 {
		errs = append(errs, fmt.Errorf("eval: trials %d: want >= 1", c.Trials))
	}
	if len(c.RunsPerSide) == 0 {
		errs = append(errs, errors.New("eval: no runs-per-side sizes"))
	}
	for _, n := range c.RunsPerSide {
		if n < 2 {
			errs = append(errs, fmt.Errorf("eval: runs per side %d: want >= 2", n))
		}
	}
	return errors.Join(errs...)
}

// Rate is a count of hits in trials with its 95% Clopper–Pearson interval.
type Rate struct {
	Hits, Trials int
	Lo, Hi       float64
}

// Value is Hits/Trials.
func (r Rate) Value() float64 { return float64(r.Hits) / float64(max(1, r.Trials)) }

// String prints "12.3% [10.1, 14.8] (123/1000)".
func (r Rate) String() string {
	return fmt.Sprintf("%.1f%% [%.1f,%.1f] (%d/%d)", 100*r.Value(), 100*r.Lo, 100*r.Hi, r.Hits, r.Trials)
}

// NewRate computes the Clopper–Pearson 95% interval.
func NewRate(hits, trials int) Rate {
	r := Rate{Hits: hits, Trials: trials, Lo: 0, Hi: 1}
	if trials == 0 {
		return r
	}
	if hits > 0 {
		r.Lo = distuv.Beta{Alpha: float64(hits), Beta: float64(trials - hits + 1)}.Quantile(0.025)
	}
	if hits < trials {
		r.Hi = distuv.Beta{Alpha: float64(hits + 1), Beta: float64(trials - hits)}.Quantile(0.975)
	}
	return r
}

// EvalCell is the outcome of one condition at one sample size.
type EvalCell struct {
	Condition Injection
	N         int
	// Regression[m] counts trials where metric m was flagged as a
	// regression (the gate would fail on it); Improvement[m] where it was
	// called an improvement.
	Regression  map[string]Rate
	Improvement map[string]Rate
	// AnyRegression counts trials where at least one metric of the report
	// was flagged: the per-report rate.
	AnyRegression Rate
	// Skipped explains a cell that could not be run (corpus too small).
	Skipped string
}

// EvalReport is the result of Evaluate.
type EvalReport struct {
	Source  string
	Metrics []Metric
	// CalibrationCV is each metric's robust CV (IQR/1.349/median) on the
	// calibration half.
	CalibrationCV map[string]float64
	EvalRuns      int
	Config        EvalConfig
	Cells         []EvalCell
	// Calibration is the calibration half, for checks on the rates.
	Calibration NoiseCorpus
}

// FractionBeyond returns the fraction of calibration runs of metric whose
// value is more than rel (relative) away from the calibration median: the
// share of "other mode" runs a robust CV does not show.
func (r EvalReport) FractionBeyond(metric string, rel float64) float64 {
	for _, s := range r.Calibration.Metrics {
		if s.Metric.Name != metric {
			continue
		}
		m := Median(s.Values)
		n := 0
		for _, v := range s.Values {
			if math.Abs(v-m) > rel*math.Abs(m) {
				n++
			}
		}
		return float64(n) / float64(max(1, len(s.Values)))
	}
	return math.NaN()
}

// Evaluate measures the detector on real noise: for each condition and
// sample size it draws 2n distinct runs (all metrics of a run together)
// from the evaluation half of corpus, uses n as baseline and n, with the
// injection applied, as current, compares them with Holm (or the
// configured correction) across all metrics, and counts verdicts. The
// calibration half is used only for the reported CVs. Runs are drawn
// without replacement, so the pair is exchangeable under A/A; trials are
// seeded per cell.
func Evaluate(corpus NoiseCorpus, cfg EvalConfig) (EvalReport, error) {
	if err := corpus.Validate(); err != nil {
		return EvalReport{}, err
	}
	if err := cfg.Validate(); err != nil {
		return EvalReport{}, err
	}
	cal, ev := corpus.Split()
	rep := EvalReport{Source: corpus.Source, EvalRuns: ev.Runs(), Config: cfg, CalibrationCV: map[string]float64{}, Calibration: cal}
	for _, s := range cal.Metrics {
		rep.Metrics = append(rep.Metrics, s.Metric)
		rep.CalibrationCV[s.Metric.Name] = robustCV(s.Values)
	}
	cmp, err := NewComparer(cfg.Compare)
	if err != nil {
		return rep, err
	}
	tail := map[string]bool{}
	for _, n := range cfg.TailMetrics {
		tail[n] = true
	}
	medians := make([]float64, len(ev.Metrics))
	for j, s := range ev.Metrics {
		medians[j] = Median(s.Values)
	}
	conds := append([]Injection{{Name: "A/A", Kind: NoInjection}}, cfg.Conditions...)
	for _, cond := range conds {
		for _, n := range cfg.RunsPerSide {
			cell := EvalCell{Condition: cond, N: n, Regression: map[string]Rate{}, Improvement: map[string]Rate{}}
			if 2*n > ev.Runs() {
				cell.Skipped = fmt.Sprintf("need %d evaluation runs, corpus has %d", 2*n, ev.Runs())
				rep.Cells = append(rep.Cells, cell)
				continue
			}
			rng := rand.New(rand.NewPCG(cfg.Seed, cellSeed(cond.Name, n)))
			regHits := make([]int, len(ev.Metrics))
			impHits := make([]int, len(ev.Metrics))
			anyHits := 0
			old := make([]Samples, len(ev.Metrics))
			cur := make([]Samples, len(ev.Metrics))
			for j, s := range ev.Metrics {
				old[j] = Samples{Metric: s.Metric, Values: make([]float64, n)}
				cur[j] = Samples{Metric: s.Metric, Values: make([]float64, n)}
			}
			trials := cfg.Trials
			if cond.Kind == InjectSequential {
				trials = ev.Runs() - 2*n + 1
			}
			for trial := range trials {
				idx := rng.Perm(ev.Runs())[:2*n]
				if cond.Kind == InjectSequential {
					for i := range idx {
						idx[i] = trial + i
					}
				}
				spikeAt := rng.IntN(n)
				for j, s := range ev.Metrics {
					for i := range n {
						old[j].Values[i] = s.Values[idx[i]]
						v := s.Values[idx[n+i]]
						if cond.Metric == "" || cond.Metric == s.Metric.Name {
							v = inject(v, cond, s.Metric, i, n, spikeAt, medians[j], tail[s.Metric.Name])
						}
						cur[j].Values[i] = v
					}
				}
				r, err := cmp.Compare(old, cur)
				if err != nil {
					return rep, err
				}
				any := false
				for j, c := range r.Comparisons {
					if c.Flagged() {
						regHits[j]++
						any = true
					}
					if c.Verdict == Improvement {
						impHits[j]++
					}
				}
				if any {
					anyHits++
				}
			}
			for j, s := range ev.Metrics {
				cell.Regression[s.Metric.Name] = NewRate(regHits[j], trials)
				cell.Improvement[s.Metric.Name] = NewRate(impHits[j], trials)
			}
			cell.AnyRegression = NewRate(anyHits, trials)
			rep.Cells = append(rep.Cells, cell)
		}
	}
	return rep, nil
}

func cellSeed(name string, n int) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", name, n)
	return h.Sum64()
}

func robustCV(xs []float64) float64 {
	s := sortedCopy(xs)
	m := quantileSorted(s, 0.5)
	if m == 0 {
		return math.NaN()
	}
	return (quantileSorted(s, 0.75) - quantileSorted(s, 0.25)) / 1.349 / math.Abs(m)
}

// inject applies cond to value v of current run i (of n).
func inject(v float64, cond Injection, m Metric, i, n, spikeAt int, median float64, isTail bool) float64 {
	worse := func(v, d float64) float64 {
		if m.Direction == HigherIsBetter {
			return v * (1 - d)
		}
		return v * (1 + d)
	}
	switch cond.Kind {
	case InjectStep:
		return worse(v, cond.Size)
	case InjectImprove:
		if m.Direction == HigherIsBetter {
			return v * (1 + cond.Size)
		}
		return v * (1 - cond.Size)
	case InjectRamp:
		return worse(v, cond.Size*float64(i)/float64(max(1, n-1)))
	case InjectTail:
		if isTail {
			return worse(v, cond.Size)
		}
	case InjectVariance:
		return median + (1+cond.Size)*(v-median)
	case InjectSpike:
		if i == spikeAt {
			if m.Direction == HigherIsBetter {
				return v / (1 + cond.Size)
			}
			return v * (1 + cond.Size)
		}
	}
	return v
}

// WriteEvalTable writes one row per condition and sample size with the
// per-metric regression rate and the per-report rate, each with its
// Clopper–Pearson interval, and for Improve conditions the improvement
// rate.
func WriteEvalTable(w io.Writer, r EvalReport) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "source: %s\n", r.Source)
	fmt.Fprintf(tw, "evaluation runs: %d; trials per cell: %d; alpha %.3g, %s; seed %d\n",
		r.EvalRuns, r.Config.Trials, r.Config.Compare.withDefaults().Alpha, r.Config.Compare.Correction, r.Config.Seed)
	var cvs []string
	for _, m := range r.Metrics {
		cvs = append(cvs, fmt.Sprintf("%s %.1f%%", m.Name, 100*r.CalibrationCV[m.Name]))
	}
	fmt.Fprintf(tw, "robust CV on the calibration half: %s\n", strings.Join(cvs, ", "))
	fmt.Fprint(tw, "condition\tn/side")
	for _, m := range r.Metrics {
		fmt.Fprintf(tw, "\t%s", m.Name)
	}
	fmt.Fprint(tw, "\tany metric (per report)\n")
	for _, c := range r.Cells {
		fmt.Fprintf(tw, "%s\t%d", c.Condition.Name, c.N)
		if c.Skipped != "" {
			fmt.Fprintf(tw, "\tskipped: %s\n", c.Skipped)
			continue
		}
		for _, m := range r.Metrics {
			rate := c.Regression[m.Name]
			s := fmt.Sprintf("%.1f%%", 100*rate.Value())
			if c.Condition.Kind == InjectImprove {
				s = fmt.Sprintf("reg %d, imp %.1f%%", rate.Hits, 100*c.Improvement[m.Name].Value())
			}
			fmt.Fprintf(tw, "\t%s", s)
		}
		fmt.Fprintf(tw, "\t%s\n", c.AnyRegression)
	}
	return tw.Flush()
}

// Cell returns the cell for a condition name and sample size.
func (r EvalReport) Cell(name string, n int) (EvalCell, bool) {
	i := slices.IndexFunc(r.Cells, func(c EvalCell) bool { return c.Condition.Name == name && c.N == n })
	if i < 0 {
		return EvalCell{}, false
	}
	return r.Cells[i], true
}
