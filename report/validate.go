package report

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Validate reports every structural problem of the run at once, each with
// the path of the node: nil or unnamed nodes, unknown kinds and statuses,
// kinds out of order (a suite below a test), negative durations, faults
// that end before they start, series or curves without names, tables whose
// rows do not match their columns, and nil interval histograms. Empty
// statuses are allowed (Normalize derives them). WriteAll refuses an
// invalid run.
func (r *Run) Validate() error {
	if r == nil {
		return errors.New("report: nil run")
	}
	var errs []error
	add := func(path []string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("report: %s: %s", strings.Join(path, "/"), fmt.Sprintf(format, args...)))
	}
	if r.Duration < 0 {
		add([]string{"run"}, "negative duration %v", r.Duration)
	}
	var check func(path []string, n *Node, want Kind)
	check = func(path []string, n *Node, want Kind) {
		if n == nil {
			add(path, "nil node")
			return
		}
		path = append(path[:len(path):len(path)], n.Name)
		if n.Name == "" {
			add(path, "node without a name")
		}
		switch {
		case n.Kind != KindSuite && n.Kind != KindTest && n.Kind != KindSubtest:
			add(path, "unknown kind %q", n.Kind)
		case want == KindSuite && n.Kind != KindSuite:
			add(path, "top-level node is a %s, want a suite", n.Kind)
		case want != KindSuite && n.Kind == KindSuite:
			add(path, "suite nested below another node")
		}
		switch n.Status {
		case "", StatusPassed, StatusFailed, StatusSkipped, StatusError:
		default:
			add(path, "unknown status %q", n.Status)
		}
		if n.Duration < 0 {
			add(path, "negative duration %v", n.Duration)
		}
		for _, m := range n.Metrics {
			if m.Name == "" {
				add(path, "metric without a name")
			}
			if m.Better != "" && m.Better != BetterHigher && m.Better != BetterLower {
				add(path, "metric %s: unknown direction %q", m.Name, m.Better)
			}
		}
		for _, s := range n.Series {
			if s.Name == "" {
				add(path, "series without a name")
			}
		}
		for _, c := range n.Curves {
			if c.Name == "" {
				add(path, "curve without a name")
			}
		}
		for _, f := range n.Faults {
			if f.Kind == "" {
				add(path, "fault without a kind")
			}
			if f.End != 0 && f.End < f.Start {
				add(path, "fault %s ends (%v) before it starts (%v)", f.Kind, f.End, f.Start)
			}
		}
		for _, th := range n.Thresholds {
			if th.Expr == "" {
				add(path, "threshold without an expression")
			}
			// A check marked NoData or Skip says itself that nothing was
			// measured (and never passes); a bare NaN with Pass set is a
			// producer's bug.
			if th.Pass && math.IsNaN(th.Measured) && !th.NoData && !th.Skipped() {
				add(path, "threshold %s passes on an unmeasured (NaN) value", th.Expr)
			}
		}
		for _, t := range n.Tables {
			for i, row := range t.Rows {
				if len(row) != len(t.Columns) {
					add(path, "table %q row %d has %d cells for %d columns", t.Title, i, len(row), len(t.Columns))
				}
			}
		}
		for _, h := range n.Histograms {
			if h.Name == "" {
				add(path, "histogram log without a name")
			}
			for i, iv := range h.Intervals {
				if iv.Hist == nil {
					add(path, "histogram %s interval %d is nil", h.Name, i)
				} else if iv.End < iv.Start {
					add(path, "histogram %s interval %d ends before it starts", h.Name, i)
				}
			}
		}
		next := KindTest
		for _, c := range n.Children {
			check(path, c, next)
		}
	}
	for _, s := range r.Suites {
		check(nil, s, KindSuite)
	}
	return errors.Join(errs...)
}
