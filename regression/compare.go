package regression

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// Summary describes one side of a comparison.
type Summary struct {
	N int `json:"n"`
	// Center is the median (AssumeNothing), mean (AssumeNormal) or the
	// common value (AssumeExact).
	Center float64  `json:"center"`
	CI     Interval `json:"ci"`
	// Outliers flags values outside the 1.5·IQR fences; they are kept in
	// every computation.
	Outliers Outliers `json:"outliers"`
}

// Comparison is the A/B result for one metric.
type Comparison struct {
	Metric Metric  `json:"metric"`
	Old    Summary `json:"old"`
	New    Summary `json:"new"`
	// Delta is Center(new)/Center(old) - 1, as benchstat prints it.
	Delta float64 `json:"delta"`
	// Ratio is the estimate of new/old used for severity: exp of the
	// Hodges–Lehmann shift of the log values (AssumeNothing), the ratio of
	// means (AssumeNormal) or of the values (AssumeExact); RatioCI is its
	// confidence interval.
	Ratio   float64  `json:"ratio"`
	RatioCI Interval `json:"ratio_ci"`
	// Worse is the change in the metric's worse direction (positive means
	// worse) and WorseCI its interval; WorseCI.Lo is the conservative bound
	// that severity is graded on.
	Worse   float64  `json:"worse"`
	WorseCI Interval `json:"worse_ci"`
	// BootstrapRatioCI is the seeded bootstrap CI of the median ratio when
	// Config.BootstrapResamples > 0.
	BootstrapRatioCI *Interval `json:"bootstrap_ratio_ci,omitempty"`
	Test             string    `json:"test"`
	P                float64   `json:"p"`
	// Q is P adjusted across the report (Holm or BH).
	Q       float64 `json:"q"`
	Verdict Verdict `json:"verdict"`
	// BelowMinEffect marks a significant change smaller than
	// Config.MinEffect; Flagged is false for it.
	BelowMinEffect bool     `json:"below_min_effect,omitempty"`
	Severity       Severity `json:"severity"`
	// Z is the conservative shift in units of the baseline's robust
	// standard deviation, and ZSeverity its grade on the seed's z tiers.
	Z         float64  `json:"z"`
	ZSeverity Severity `json:"z_severity"`
	// Reason explains an Inconclusive verdict.
	Reason   string   `json:"reason,omitempty"`
	Warnings []string `json:"warnings,omitempty"`

	oldSD float64 // robust sd of the baseline (1.4826·MAD, else sd)
}

// Flagged reports whether this comparison should fail a gate: a
// significant regression at least MinEffect large.
func (c Comparison) Flagged() bool { return c.Verdict == Regression && !c.BelowMinEffect }

// Report is the A/B comparison of every metric of one run set.
type Report struct {
	Config      Config       `json:"config"`
	Comparisons []Comparison `json:"comparisons"`
	Warnings    []string     `json:"warnings,omitempty"`
}

// Flagged returns the comparisons that should fail a gate.
func (r Report) Flagged() []Comparison {
	var out []Comparison
	for _, c := range r.Comparisons {
		if c.Flagged() {
			out = append(out, c)
		}
	}
	return out
}

// Count returns the number of comparisons with verdict v.
func (r Report) Count(v Verdict) int {
	n := 0
	for _, c := range r.Comparisons {
		if c.Verdict == v {
			n++
		}
	}
	return n
}

// Comparer runs comparisons with one configuration and keeps a cache of
// exact Mann–Whitney distributions; it is safe for concurrent use.
type Comparer struct {
	cfg   Config
	cache uCache
}

// NewComparer validates cfg and returns a Comparer.
func NewComparer(cfg Config) (*Comparer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Comparer{cfg: cfg.withDefaults()}, nil
}

// Compare compares every metric of old with the same-named metric of new,
// then adjusts p-values across the report. Metrics present on one side only
// are reported as Inconclusive. See Comparer.Compare.
func Compare(cfg Config, old, new []Samples) (Report, error) {
	c, err := NewComparer(cfg)
	if err != nil {
		return Report{}, err
	}
	return c.Compare(old, new)
}

// Compare compares old (baseline) with new (current), metric by metric. It
// returns an error only for invalid input (bad metric declarations,
// non-finite values, duplicate names, conflicting declarations).
func (c *Comparer) Compare(old, new []Samples) (Report, error) {
	cfg := c.cfg
	var errs []error
	newBy := map[string]Samples{}
	for _, s := range new {
		if err := s.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("new: %w", err))
		}
		if _, dup := newBy[s.Metric.Name]; dup {
			errs = append(errs, fmt.Errorf("new: duplicate metric %q", s.Metric.Name))
		}
		newBy[s.Metric.Name] = s
	}
	seen := map[string]bool{}
	for _, s := range old {
		if err := s.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("old: %w", err))
		}
		if seen[s.Metric.Name] {
			errs = append(errs, fmt.Errorf("old: duplicate metric %q", s.Metric.Name))
		}
		seen[s.Metric.Name] = true
		if n, ok := newBy[s.Metric.Name]; ok && n.Metric.Direction != s.Metric.Direction {
			errs = append(errs, fmt.Errorf("metric %q: direction %v in old, %v in new", s.Metric.Name, s.Metric.Direction, n.Metric.Direction))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Report{}, err
	}
	rep := Report{Config: cfg}
	m := 0 // metrics that will be tested
	for _, s := range old {
		if _, ok := newBy[s.Metric.Name]; ok {
			m++
		}
	}
	threshold := cfg.Correction.smallestThreshold(cfg.Alpha, m)
	for _, s := range old {
		n, ok := newBy[s.Metric.Name]
		if !ok {
			rep.Comparisons = append(rep.Comparisons, Comparison{Metric: s.Metric, Verdict: Inconclusive,
				P: math.NaN(), Q: math.NaN(), Reason: "metric missing from the new results"})
			continue
		}
		rep.Comparisons = append(rep.Comparisons, c.compareOne(s.Metric, s.Values, n.Values, threshold, m))
	}
	for _, s := range new {
		if !seen[s.Metric.Name] {
			rep.Comparisons = append(rep.Comparisons, Comparison{Metric: s.Metric, Verdict: Inconclusive,
				P: math.NaN(), Q: math.NaN(), Reason: "metric missing from the baseline"})
		}
	}
	ps := make([]float64, len(rep.Comparisons))
	for i, cmp := range rep.Comparisons {
		ps[i] = cmp.P
		if cmp.Reason != "" {
			ps[i] = math.NaN()
		}
	}
	// Inconclusive comparisons still count as tests in the family so that
	// the correction cannot be gamed by starving a metric of runs.
	qs := adjustCounting(ps, cfg.Correction, m)
	for i := range rep.Comparisons {
		cmp := &rep.Comparisons[i]
		if cmp.Reason != "" { // set exactly when the comparison is inconclusive
			cmp.Verdict = Inconclusive
			cmp.Q = math.NaN()
			continue
		}
		cmp.Q = qs[i]
		c.decide(cmp)
	}
	return rep, nil
}

// adjustCounting adjusts the non-NaN p-values as if there were at least m
// tests (padding with p = 1, which never rejects).
func adjustCounting(ps []float64, corr Correction, m int) []float64 {
	real := 0
	for _, p := range ps {
		if !math.IsNaN(p) {
			real++
		}
	}
	padded := slices.Clone(ps)
	for range max(0, m-real) {
		padded = append(padded, 1)
	}
	return Adjust(padded, corr)[:len(ps)]
}

func (c *Comparer) compareOne(m Metric, old, new []float64, threshold float64, family int) Comparison {
	cfg := c.cfg
	cmp := Comparison{Metric: m, P: math.NaN(), Q: math.NaN(), Z: math.NaN()}
	cmp.Old = c.summarize(m, old)
	if cmp.oldSD = MAD(old); !(cmp.oldSD > 0) && len(old) > 1 {
		cmp.oldSD = stat.StdDev(old, nil)
	}
	cmp.New = c.summarize(m, new)
	if cmp.Old.Center != 0 {
		cmp.Delta = cmp.New.Center/cmp.Old.Center - 1
	} else {
		cmp.Delta = math.NaN()
	}
	floor := max(2, cfg.MinSamples)
	testFloor := MinSamplesForAlpha(threshold)
	switch {
	case len(old) < floor || len(new) < floor:
		cmp.Reason = fmt.Sprintf("need >= %d runs per side, have %d and %d", floor, len(old), len(new))
		return cmp
	case m.Assume != AssumeExact && MannWhitneyMinP(len(old), len(new)) > threshold:
		cmp.Reason = fmt.Sprintf("need >= %d runs per side to reach p <= %.3g (alpha %.3g, %s over %d metrics), have %d and %d",
			testFloor, threshold, cfg.Alpha, cfg.Correction, family, len(old), len(new))
		return cmp
	}
	for _, s := range []struct {
		name string
		sum  Summary
	}{{"old", cmp.Old}, {"new", cmp.New}} {
		if s.sum.Outliers.Any() {
			cmp.Warnings = append(cmp.Warnings, fmt.Sprintf("%s has %d outlier(s) outside [%.4g, %.4g] (kept)",
				s.name, len(s.sum.Outliers.Low)+len(s.sum.Outliers.High), s.sum.Outliers.Lower, s.sum.Outliers.Upper))
		}
		if !s.sum.CI.Bounded() {
			cmp.Warnings = append(cmp.Warnings, fmt.Sprintf("%s: need >= %d samples for a confidence interval at level %v",
				s.name, MinSamplesForMedianCI(cfg.Confidence), cfg.Confidence))
		}
	}
	switch m.Assume {
	case AssumeExact:
		if constant(old) && constant(new) {
			cmp.Test = "exact"
			cmp.Ratio = new[0] / old[0]
			cmp.RatioCI = Interval{Lo: cmp.Ratio, Hi: cmp.Ratio, Coverage: 1}
			if old[0] == new[0] {
				cmp.P = 1
			} else {
				cmp.P = 0
			}
			break
		}
		cmp.Warnings = append(cmp.Warnings, "values declared exact vary; compared with Mann–Whitney instead")
		c.nonparametric(&cmp, old, new)
	case AssumeNormal:
		w, err := Welch(old, new, cfg.Confidence)
		cmp.Test = "welch"
		cmp.P = w.P
		if errors.Is(err, ErrSamplesEqual) {
			cmp.Warnings = append(cmp.Warnings, "all values are equal")
		}
		mo := stat.Mean(old, nil)
		if mo != 0 {
			cmp.Ratio = 1 + w.Diff/mo
			cmp.RatioCI = Interval{Lo: 1 + w.DiffCI.Lo/mo, Hi: 1 + w.DiffCI.Hi/mo, Coverage: w.DiffCI.Coverage}
			if mo < 0 {
				cmp.RatioCI.Lo, cmp.RatioCI.Hi = cmp.RatioCI.Hi, cmp.RatioCI.Lo
			}
		} else {
			cmp.Ratio, cmp.RatioCI = math.NaN(), Interval{Lo: math.Inf(-1), Hi: math.Inf(1)}
		}
	default:
		c.nonparametric(&cmp, old, new)
	}
	cmp.Worse = m.Direction.worse(cmp.Ratio)
	a, b := m.Direction.worse(cmp.RatioCI.Lo), m.Direction.worse(cmp.RatioCI.Hi)
	cmp.WorseCI = Interval{Lo: math.Min(a, b), Hi: math.Max(a, b), Coverage: cmp.RatioCI.Coverage}
	if math.IsNaN(cmp.P) {
		cmp.Reason = "test could not be computed"
	}
	return cmp
}

func (c *Comparer) nonparametric(cmp *Comparison, old, new []float64) {
	cfg := c.cfg
	r, err := mannWhitney(old, new, &c.cache)
	cmp.P = r.P
	if r.Exact {
		cmp.Test = "mann-whitney exact"
	} else {
		cmp.Test = "mann-whitney normal"
	}
	if errors.Is(err, ErrSamplesEqual) {
		cmp.Warnings = append(cmp.Warnings, "all values are equal")
	}
	ratio, ci, ok := ratioCI(old, new, cfg.Confidence, &c.cache)
	if !ok {
		// Non-positive values: shift of the raw values relative to the old median.
		s := hodgesLehmann(old, new, cfg.Confidence, &c.cache)
		mo := cmp.Old.Center
		if mo > 0 {
			ratio = 1 + s.Estimate/mo
			ci = Interval{Lo: 1 + s.CI.Lo/mo, Hi: 1 + s.CI.Hi/mo, Coverage: s.CI.Coverage}
		} else {
			ratio, ci = math.NaN(), Interval{Lo: math.Inf(-1), Hi: math.Inf(1)}
			cmp.Warnings = append(cmp.Warnings, "baseline median is not positive: no relative change")
		}
	}
	cmp.Ratio, cmp.RatioCI = ratio, ci
	if cfg.BootstrapResamples > 0 {
		_, bci := BootstrapQuantileRatioCI(old, new, 0.5, cfg.Confidence, cfg.BootstrapResamples, SeedFor(cmp.Metric.Name))
		cmp.BootstrapRatioCI = &bci
	}
}

// decide sets the verdict and severity from the adjusted p-value.
func (c *Comparer) decide(cmp *Comparison) {
	cfg := c.cfg
	if cmp.Q > cfg.Alpha || math.IsNaN(cmp.Q) {
		cmp.Verdict = NoChange
		return
	}
	dir := cmp.Worse
	if math.IsNaN(dir) || dir == 0 {
		dir = cmp.Metric.Direction.worse(1 + cmp.Delta)
	}
	switch {
	case dir > 0:
		cmp.Verdict = Regression
	case dir < 0:
		cmp.Verdict = Improvement
	default:
		cmp.Verdict = NoChange
		return
	}
	if cfg.MinEffect > 0 && math.Abs(cmp.Worse) < cfg.MinEffect {
		cmp.BelowMinEffect = true
	}
	if cmp.Verdict != Regression {
		return
	}
	cons := math.Max(0, cmp.WorseCI.Lo)
	cmp.Severity = cfg.PercentTiers.grade(cons)
	sd := cmp.oldSD
	if sd > 0 && !math.IsNaN(cons) {
		cmp.Z = cons * math.Abs(cmp.Old.Center) / sd
		cmp.ZSeverity = cfg.ZTiers.grade(cmp.Z)
	} else {
		cmp.ZSeverity = Minor
	}
}

func (c *Comparer) summarize(m Metric, xs []float64) Summary {
	s := Summary{N: len(xs), Outliers: IQROutliers(xs, 1.5)}
	if len(xs) == 0 {
		s.Center = math.NaN()
		s.CI = Interval{Lo: math.Inf(-1), Hi: math.Inf(1)}
		return s
	}
	switch m.Assume {
	case AssumeNormal:
		s.Center = stat.Mean(xs, nil)
		s.CI = MeanCI(xs, c.cfg.Confidence)
	case AssumeExact:
		s.Center = Median(xs)
		s.CI = Interval{Lo: slices.Min(xs), Hi: slices.Max(xs), Coverage: 1}
	default:
		s.Center = Median(xs)
		s.CI = MedianCI(xs, c.cfg.Confidence)
	}
	return s
}

func constant(xs []float64) bool {
	for _, x := range xs {
		if x != xs[0] {
			return false
		}
	}
	return len(xs) > 0
}
