package report

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/mcpstress/mcpstress/regression"
	"github.com/mcpstress/mcpstress/verdict"
)

// AddRegressionSamples adds every metric of r that has a direction
// (Better) to s as one run's values, keyed regression.MetricKey(path,
// name), "suite/test/metric". Neutral metrics (counts, settings) are left
// out: without a direction a change is neither better nor worse. Add runs
// oldest first.
func AddRegressionSamples(s *regression.SampleSet, r *Run) {
	r.Walk(func(path []string, n *Node) {
		for _, m := range n.Metrics {
			var d regression.Direction
			switch m.Better {
			case BetterLower:
				d = regression.LowerIsBetter
			case BetterHigher:
				d = regression.HigherIsBetter
			default:
				continue
			}
			s.Add(regression.Metric{Name: regression.MetricKey(path, m.Name), Unit: m.Unit, Direction: d}, m.Value)
		}
	})
}

// RegressionSamples is the samples of runs (oldest first), with the
// warnings of what was left out (regression.SampleSet).
func RegressionSamples(runs ...*Run) ([]regression.Samples, []string) {
	var s regression.SampleSet
	for _, r := range runs {
		AddRegressionSamples(&s, r)
	}
	return s.Samples(), s.Warnings()
}

// CompareWithBaseline compares the current run's metrics with stored runs
// of the same suite(s): each metric's current value against its history
// (regression.CompareHistory: at least 10 stored runs per metric, else
// that metric is inconclusive). stored may be in any order; they are
// sorted by Started. Stored-only metrics are left out; a stored run from
// another machine kind or CPU adds a warning, since its numbers may
// differ for that reason alone.
func CompareWithBaseline(cfg regression.Config, gate regression.GateConfig, stored []*Run, current *Run) (regression.Report, error) {
	runs := append([]*Run(nil), stored...)
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].Started.Before(runs[j].Started) })
	hist, hw := RegressionSamples(runs...)
	cur, cw := RegressionSamples(current)
	rep, err := regression.CompareHistory(cfg, gate, hist, cur)
	if err != nil {
		return rep, err
	}
	rep.Warnings = append(rep.Warnings, hw...)
	rep.Warnings = append(rep.Warnings, cw...)
	kinds := map[string]int{}
	for _, r := range runs {
		if mm := envMismatch(r.Env, current.Env); mm != "" {
			kinds[mm]++
		}
	}
	for mm, n := range kinds {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d stored run(s) were measured on another machine (%s): differences may be the machine, not the code", n, mm))
	}
	sort.Strings(rep.Warnings[len(rep.Warnings)-len(kinds):])
	return rep, nil
}

func envMismatch(a, b Environment) string {
	var d []string
	if a.MachineKind != b.MachineKind {
		d = append(d, fmt.Sprintf("machine kind %q vs %q", a.MachineKind, b.MachineKind))
	}
	if a.CPUModel != b.CPUModel {
		d = append(d, fmt.Sprintf("CPU %q vs %q", a.CPUModel, b.CPUModel))
	}
	if a.CPUs != b.CPUs {
		d = append(d, fmt.Sprintf("%d vs %d CPUs", a.CPUs, b.CPUs))
	}
	return strings.Join(d, ", ")
}

// RegressionTableTitle is the title of RegressionTable's table.
const RegressionTableTitle = "regression vs baseline"

// RegressionTable is the honest counterpart of the seed's "Metric
// Baseline Current Z-Score Verdict" table: per metric its direction, each
// side's center and number of runs, the change with its confidence
// interval, the adjusted significance, the verdict (regression,
// improvement, no change, inconclusive with the reason) and, for a
// regression, the severity graded on the conservative end of the
// interval, with the seed's z tiers beside it.
func RegressionTable(rep regression.Report) Table {
	t := Table{Title: RegressionTableTitle, Columns: []string{"metric", "better", "baseline (center, n)", "current (center, n)",
		"change (CI)", "q", "verdict", "severity (z)"}}
	for _, c := range rep.Comparisons {
		better := "lower"
		if c.Metric.Direction == regression.HigherIsBetter {
			better = "higher"
		}
		row := []string{c.Metric.Name, better, side(c.Old, c.Metric.Unit), side(c.New, c.Metric.Unit), change(c), "", c.Verdict.String(), ""}
		switch c.Verdict {
		case regression.Inconclusive:
			row[6] = "inconclusive: " + c.Reason
		case regression.Regression:
			row[7] = fmt.Sprintf("%s (z %s: %s)", c.Severity, verdict.FormatValue(c.Z, ""), c.ZSeverity)
			if c.BelowMinEffect {
				row[6] += " (below the minimum effect)"
			}
		}
		if !math.IsNaN(c.Q) {
			row[5] = verdict.FormatValue(c.Q, "")
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func side(s regression.Summary, unit string) string {
	if s.N == 0 || math.IsNaN(s.Center) {
		return fmt.Sprintf("– (n=%d)", s.N)
	}
	return fmt.Sprintf("%s (n=%d)", verdict.FormatValue(s.Center, unit), s.N)
}

func change(c regression.Comparison) string {
	if c.Verdict == regression.Inconclusive {
		return ""
	}
	pct := func(v float64) string {
		switch {
		case math.IsNaN(v):
			return "?"
		case math.IsInf(v, 0):
			return fmt.Sprintf("%+v", v)
		}
		return fmt.Sprintf("%+.1f%%", 100*v)
	}
	// Delta is new/old-1 in the metric's units; the interval is of the
	// ratio, shown the same way.
	s := pct(c.Delta)
	if math.IsNaN(c.Delta) && !math.IsNaN(c.Worse) {
		s = pct(c.Worse) + " worse"
	}
	if c.RatioCI.Bounded() && !(c.RatioCI.Lo == c.RatioCI.Hi) {
		s += fmt.Sprintf(" [%s, %s]", pct(c.RatioCI.Lo-1), pct(c.RatioCI.Hi-1))
	}
	return s
}

// RegressionChecks turns a comparison into checks a CI run can be gated
// on: one failed check per flagged regression (significant, at least the
// minimum effect, at failAt severity or above) and one summary check, "no
// regression vs baseline", that fails when any is flagged. Inconclusive
// comparisons never pass or fail: when nothing could be decided the
// summary check is skipped with the reason.
func RegressionChecks(rep regression.Report, failAt regression.Severity) []verdict.Check {
	var cs []verdict.Check
	flagged, decided := 0, 0
	var names []string
	for _, c := range rep.Comparisons {
		if c.Verdict != regression.Inconclusive {
			decided++
		}
		if !c.Flagged() || c.Severity < failAt {
			continue
		}
		flagged++
		names = append(names, c.Metric.Name)
		cs = append(cs, verdict.Check{
			Expr: "no regression in " + c.Metric.Name, Metric: c.Metric.Name, Measured: 100 * c.Worse, Unit: "%",
			Detail: fmt.Sprintf("%s worse than the baseline, CI %s to %s, q=%s, %s (%s)", pctWorse(c.Worse), pctWorse(c.WorseCI.Lo),
				pctWorse(c.WorseCI.Hi), verdict.FormatValue(c.Q, ""), c.Severity, c.Test),
		})
	}
	expr := fmt.Sprintf("no regression vs baseline (%s, alpha %s)", rep.Config.Correction, verdict.FormatValue(rep.Config.Alpha, ""))
	if decided == 0 {
		reason := "no metric to compare"
		if len(rep.Comparisons) > 0 {
			reason = fmt.Sprintf("all %d comparisons inconclusive (%s)", len(rep.Comparisons), rep.Comparisons[0].Reason)
		}
		return append(cs, verdict.SkippedCheck(expr, "regressions", reason))
	}
	detail := fmt.Sprintf("%d metrics decided, %d inconclusive", decided, len(rep.Comparisons)-decided)
	if flagged > 0 {
		detail += "; regressed: " + strings.Join(names, ", ")
	}
	return append(cs, verdict.Check{Expr: expr, Metric: "regressions", Measured: float64(flagged), Pass: flagged == 0, Detail: detail})
}

func pctWorse(v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return fmt.Sprint(v)
	}
	return fmt.Sprintf("%+.1f%%", 100*v)
}

// RegressionWarnings are the lines a report shows for a comparison: each
// flagged regression, the inconclusive comparisons grouped by reason
// (inconclusive is a warning, never a pass), and the report's own
// warnings.
func RegressionWarnings(rep regression.Report) []string {
	var out []string
	reasons := map[string]int{}
	var order []string
	for _, c := range rep.Comparisons {
		switch {
		case c.Flagged():
			out = append(out, fmt.Sprintf("regression vs baseline: %s %s worse (CI %s to %s), %s", c.Metric.Name, pctWorse(c.Worse),
				pctWorse(c.WorseCI.Lo), pctWorse(c.WorseCI.Hi), c.Severity))
		case c.Verdict == regression.Inconclusive:
			if reasons[c.Reason] == 0 {
				order = append(order, c.Reason)
			}
			reasons[c.Reason]++
		}
	}
	for _, r := range order {
		out = append(out, fmt.Sprintf("regression vs baseline: %d of %d metrics inconclusive: %s", reasons[r], len(rep.Comparisons), r))
	}
	return append(out, rep.Warnings...)
}
