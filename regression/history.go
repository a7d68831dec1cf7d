package regression

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// CompareHistory compares one current run with the stored history of
// every metric (oldest first): Compare's question when the current side
// has a single run, which a rank test cannot answer (one value against
// ten gives p >= 0.18). Each metric is judged by Gate (the one-sided
// Student-t prediction interval over the newest gate.Window points, cut
// at the last change point; at least gate.MinHistory points or the
// comparison is Inconclusive with Gate's reason), made two-sided, then
// Holm-adjusted across the report like Compare. The verdict, direction,
// MinEffect and severity (graded on the conservative end of the change's
// interval) follow Compare's rules, so WriteTable prints the result.
//
// The current value of a metric with several values is their median. The
// baseline's center is the gate window's mean and its interval the t
// interval of that mean; the change's interval is the current value over
// that interval, so it reflects how well the history pins its level, not
// the current run's own noise, which one run cannot show. Metrics only in
// history are left out (a suite run with -run measures a subset); metrics
// only in current are Inconclusive ("metric missing from the baseline").
func CompareHistory(cfg Config, gate GateConfig, history, current []Samples) (Report, error) {
	c, err := NewComparer(cfg)
	if err != nil {
		return Report{}, err
	}
	if err := gate.Validate(); err != nil {
		return Report{}, err
	}
	cfg = c.cfg
	var errs []error
	hist := map[string]Samples{}
	for _, s := range history {
		if err := s.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("history: %w", err))
		}
		if _, dup := hist[s.Metric.Name]; dup {
			errs = append(errs, fmt.Errorf("history: duplicate metric %q", s.Metric.Name))
		}
		hist[s.Metric.Name] = s
	}
	seen := map[string]bool{}
	for _, s := range current {
		if err := s.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("current: %w", err))
		}
		if seen[s.Metric.Name] {
			errs = append(errs, fmt.Errorf("current: duplicate metric %q", s.Metric.Name))
		}
		seen[s.Metric.Name] = true
		if h, ok := hist[s.Metric.Name]; ok && h.Metric.Direction != s.Metric.Direction {
			errs = append(errs, fmt.Errorf("metric %q: direction %v in history, %v now", s.Metric.Name, h.Metric.Direction, s.Metric.Direction))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Report{}, err
	}
	rep := Report{Config: cfg}
	for _, cur := range current {
		h, ok := hist[cur.Metric.Name]
		cmp := Comparison{Metric: cur.Metric, P: math.NaN(), Q: math.NaN(), Z: math.NaN(), Delta: math.NaN(), Ratio: math.NaN(), Worse: math.NaN()}
		cmp.New = Summary{N: len(cur.Values), Center: math.NaN(), CI: Interval{Lo: math.Inf(-1), Hi: math.Inf(1)}}
		if len(cur.Values) > 0 {
			cmp.New.Center = Median(cur.Values)
		}
		switch {
		case !ok:
			cmp.Reason = "metric missing from the baseline"
		case len(cur.Values) == 0:
			cmp.Reason = "metric has no current value"
		}
		if cmp.Reason != "" {
			cmp.Old.N = len(h.Values)
			cmp.Old.Center = math.NaN()
			rep.Comparisons = append(rep.Comparisons, cmp)
			continue
		}
		x := cmp.New.Center
		g, err := Gate(h.Values, x, cur.Metric.Direction, gate)
		if err != nil {
			return Report{}, fmt.Errorf("metric %q: %w", cur.Metric.Name, err)
		}
		historyOne(&cmp, g, h.Values, x, cfg.Confidence, gate.Log)
		rep.Comparisons = append(rep.Comparisons, cmp)
	}
	ps := make([]float64, len(rep.Comparisons))
	for i, cmp := range rep.Comparisons {
		ps[i] = cmp.P
		if cmp.Reason != "" {
			ps[i] = math.NaN()
		}
	}
	qs := adjustCounting(ps, cfg.Correction, len(rep.Comparisons))
	for i := range rep.Comparisons {
		cmp := &rep.Comparisons[i]
		if cmp.Reason != "" {
			cmp.Verdict, cmp.P, cmp.Q = Inconclusive, math.NaN(), math.NaN()
			continue
		}
		cmp.Q = qs[i]
		c.decide(cmp)
		if cmp.Verdict == Regression && math.IsInf(cmp.Worse, 1) {
			cmp.Severity = Critical
		}
	}
	return rep, nil
}

// historyOne fills one comparison from a gate result.
func historyOne(cmp *Comparison, g GateResult, history []float64, x, confidence float64, logScale bool) {
	cmp.Old = Summary{N: g.N, Center: g.Mean, CI: Interval{Lo: math.Inf(-1), Hi: math.Inf(1)}}
	if g.Outcome == GateInconclusive {
		cmp.Reason = g.Reason
		cmp.Old.N, cmp.Old.Center = len(history), math.NaN()
		if len(history) > 0 {
			cmp.Old.Center = Median(history)
		}
		return
	}
	cmp.Test = fmt.Sprintf("history gate (t prediction, n=%d)", g.N)
	if g.CutAt >= 0 {
		cmp.Warnings = append(cmp.Warnings, fmt.Sprintf("history cut at the change point at run %d", g.CutAt))
	}
	if len(g.Outliers) > 0 {
		cmp.Warnings = append(cmp.Warnings, fmt.Sprintf("history has %d outlier(s) (kept)", len(g.Outliers)))
	}
	// Gate's P is one-sided on the worse side; two-sided like Compare's
	// tests, so an improvement is as visible as a regression.
	cmp.P = math.Min(1, 2*math.Min(g.P, 1-g.P))
	cmp.oldSD = g.StdDev
	if !logScale && g.N > 1 {
		h := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(g.N - 1)}.Quantile(0.5+confidence/2) * g.StdDev / math.Sqrt(float64(g.N))
		cmp.Old.CI = Interval{Lo: g.Mean - h, Hi: g.Mean + h, Coverage: confidence}
	}
	dir := cmp.Metric.Direction
	switch m := g.Mean; {
	case m == 0 && x == 0:
		cmp.Delta, cmp.Ratio, cmp.Worse = 0, 1, 0
		cmp.RatioCI, cmp.WorseCI = Interval{Lo: 1, Hi: 1, Coverage: confidence}, Interval{Coverage: confidence}
	case m == 0:
		// A relative change from zero (errors that appeared) is unbounded.
		w := math.Inf(1)
		if (x > 0) == (dir == HigherIsBetter) {
			w = math.Inf(-1)
		}
		cmp.Worse, cmp.WorseCI = w, Interval{Lo: w, Hi: w, Coverage: confidence}
		cmp.Warnings = append(cmp.Warnings, "baseline is 0: the relative change is unbounded")
	default:
		cmp.Ratio = x / m
		cmp.Delta = cmp.Ratio - 1
		lo, hi := math.Inf(-1), math.Inf(1)
		if cmp.Old.CI.Bounded() && cmp.Old.CI.Lo > 0 && m > 0 {
			lo, hi = x/cmp.Old.CI.Hi, x/cmp.Old.CI.Lo
		}
		cmp.RatioCI = Interval{Lo: lo, Hi: hi, Coverage: confidence}
		cmp.Worse = dir.worse(cmp.Ratio)
		a, b := dir.worse(lo), dir.worse(hi)
		cmp.WorseCI = Interval{Lo: math.Min(a, b), Hi: math.Max(a, b), Coverage: confidence}
		if !cmp.Old.CI.Bounded() || cmp.Old.CI.Lo <= 0 {
			cmp.WorseCI = Interval{Lo: cmp.Worse, Hi: cmp.Worse, Coverage: 0}
			cmp.Warnings = append(cmp.Warnings, "no interval for the baseline's level: severity graded on the point estimate")
		}
	}
}
