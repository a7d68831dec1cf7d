package stress

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mcpstress/mcpstress/regression"
	"github.com/mcpstress/mcpstress/report"
	"github.com/mcpstress/mcpstress/verdict"
)

// Regression detection on a suite's own output. Three flags, registered by
// NewSuite:
//
//	-baseline DIR      compare this run with the runs stored in DIR/<suite>/*.json
//	-update-baseline   store this run there (DIR/<suite>/<UTC start>.json)
//	-baseline-fail     let a regression fail the run (exit code 1)
//
// With -baseline, after the tests the run's metrics (every metric with a
// direction, keyed "suite/test/metric") are judged against the stored
// runs as their history (report.CompareWithBaseline,
// regression.CompareHistory: at least 10 stored runs per metric, Holm
// across the metrics, severity on the conservative end of the interval).
// The suite node of the report gets the "regression vs baseline" table
// (direction, both centers with n, change with its CI, q, verdict,
// severity), a warning per regression and per group of inconclusive
// metrics, and the table is printed in benchstat's layout.
//
// By default the comparison only reports: a regression is visible in the
// table, the warnings and the output, and does not change the verdict or
// the exit code, because a stored baseline from another hour on a shared
// machine flags far more often than its alpha (regression/doc.go measured
// 23% of reports at alpha 0.05 with runs in time order). With
// -baseline-fail the comparison is judged: each flagged regression is a
// failed check, "no regression vs baseline" sums them, and the run exits
// 1, as a failed k6 threshold does. Inconclusive is never a pass or a
// failure: a warning, and a skipped check under -baseline-fail.
//
// -update-baseline stores the run only when every test passed and the run
// was not interrupted (a failed or regressed run would poison the
// history); to accept a new level on purpose, store without
// -baseline-fail. It is independent of -baseline's comparison, which
// always uses the runs stored before this one.

// baselineOutcome is what a comparison with stored runs adds to a report.
type baselineOutcome struct {
	rep      regression.Report
	stored   int
	table    report.Table
	checks   []verdict.Check // only when gating
	warnings []string
	failed   bool // gating and a regression was flagged
}

// compareWithStored compares current with the runs stored in dir.
func compareWithStored(dir string, current *report.Run, gate bool) (baselineOutcome, error) {
	var o baselineOutcome
	stored, warns, err := loadStoredRuns(dir)
	if err != nil {
		return o, err
	}
	o.stored = len(stored)
	o.rep, err = report.CompareWithBaseline(regression.Config{}, regression.GateConfig{}, stored, current)
	if err != nil {
		return o, err
	}
	o.table = report.RegressionTable(o.rep)
	o.warnings = append(warns, report.RegressionWarnings(o.rep)...)
	if len(stored) == 0 {
		o.warnings = append(o.warnings, fmt.Sprintf("regression vs baseline: no stored runs in %s; run with -update-baseline to store this one", dir))
	}
	if gate {
		o.checks = report.RegressionChecks(o.rep, regression.SeverityNone)
		o.failed = len(o.rep.Flagged()) > 0
	}
	return o, nil
}

// loadStoredRuns reads every *.json in dir as a report; an unreadable file
// is a warning, a missing directory no runs.
func loadStoredRuns(dir string) ([]*report.Run, []string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(paths)
	var runs []*report.Run
	var warns []string
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			warns = append(warns, fmt.Sprintf("regression vs baseline: %v", err))
			continue
		}
		rep, err := report.ReadJSON(f)
		f.Close()
		if err != nil {
			warns = append(warns, fmt.Sprintf("regression vs baseline: %s left out: %v", p, err))
			continue
		}
		runs = append(runs, rep.Run)
	}
	return runs, warns, nil
}

// storeRun writes r as report.json into dir, named by its start time.
func storeRun(dir string, r *report.Run) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	p := filepath.Join(dir, r.Started.UTC().Format("20060102T150405.000000Z")+".json")
	return p, report.WriteFileAtomic(p, func(w io.Writer) error { return report.WriteJSON(w, r) })
}

// applyBaseline runs the -baseline comparison and -update-baseline store
// for the suite after its tests ran with exit code code, adds the result
// to the report, prints it, and returns the exit code.
func (s *Suite) applyBaseline(code int, interrupted bool) int {
	dir := strings.TrimSpace(*s.baseline)
	if dir == "" {
		if *s.updateBaseline || *s.baselineFail {
			fmt.Fprintf(os.Stderr, "%s: -update-baseline and -baseline-fail need -baseline DIR\n", s.name)
			return max(code, 2)
		}
		return code
	}
	suiteDir := filepath.Join(dir, strings.ReplaceAll(s.name, string(filepath.Separator), "_"))
	s.mu.Lock()
	b := s.builder
	s.mu.Unlock()
	o, err := compareWithStored(suiteDir, b.Snapshot(), *s.baselineFail)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: regression vs baseline: %v\n", s.name, err)
		b.Warn(s.name, "regression vs baseline could not be computed: "+err.Error())
		if *s.baselineFail {
			code = max(code, 1)
		}
	} else {
		b.UpdateSuite(s.name, func(n *report.Node) {
			n.Tables = append(n.Tables, o.table)
			n.Warnings = append(n.Warnings, o.warnings...)
			n.AddCheck(o.checks...)
		})
		fmt.Printf("regression vs baseline (%d stored runs in %s):\n", o.stored, suiteDir)
		regression.WriteTable(os.Stdout, o.rep, "baseline", "this run")
		if o.failed && code == 0 {
			code = 1
		}
	}
	if !*s.updateBaseline {
		return code
	}
	switch {
	case interrupted:
		fmt.Printf("%s: run not stored as a baseline: it was interrupted\n", s.name)
	case code != 0:
		fmt.Printf("%s: run not stored as a baseline: it failed (exit code %d)\n", s.name, code)
	default:
		p, err := storeRun(suiteDir, b.Snapshot())
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: storing the baseline: %v\n", s.name, err)
			return max(code, 1)
		}
		fmt.Printf("%s: run stored as a baseline: %s\n", s.name, p)
	}
	return code
}
