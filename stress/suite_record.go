package stress

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/judge"
	"github.com/mcpstress/mcpstress/report"
	"github.com/mcpstress/mcpstress/verdict"
)

// T is one test's entry in the suite's report. Suite.Test returns it; when
// the test ends (pass, fail, skip or a fatal stop) its node is added to the
// report with the test's verdict and the report files are rewritten, so an
// interrupted or failing run still leaves reports.
type T struct {
	s     *Suite
	tb    testing.TB
	start time.Time

	mu   sync.Mutex
	node *report.Node
	skip string
	// partial, when set, says the test judged one slice of a run (a shard
	// process): its criteria are judged on the merged result instead.
	partial string
}

// Test starts the report entry of tb's test.
func (s *Suite) Test(tb testing.TB) *T {
	tb.Helper()
	t := &T{s: s, tb: tb, start: time.Now(), node: &report.Node{Name: tb.Name(), Kind: report.KindTest}}
	tb.Cleanup(t.finish)
	if err := s.Context().Err(); err != nil {
		t.Skip("the suite was interrupted before this test started")
	}
	return t
}

// Judge attaches a run's summary to the test and judges it: the seed's
// metrics, counts and, the first time a summary is recorded in this
// process, its interval series and histograms (tests that judge one shared
// run do not repeat them); then the run's own checks (judge.RunChecks:
// every request accounted for, every session opened, the plan completed),
// so a run that failed fails every test that judges it, whichever test ran
// it; then checks, as in Check. A nil summary (the run never started)
// fails the test.
func (t *T) Judge(sum *framework.Summary, checks ...verdict.Check) {
	t.tb.Helper()
	t.s.mu.Lock()
	full := sum != nil && !t.s.recorded[sum]
	if full {
		t.s.recorded[sum] = true
	}
	started := t.s.started
	t.s.mu.Unlock()
	n := judge.SummaryNode(t.tb.Name(), sum, started, full)
	if sum != nil && !full {
		n.Warnings = append(n.Warnings, fmt.Sprintf("judges the shared run %q; its series are under the test that ran it", sum.Scenario))
		// The run's own warnings went to the log of the test that ran
		// it; a test judging it again logs them too, so its failure
		// shows what disturbed the run (and scripts/stress.sh, which
		// reads a failing test's output, sees a host warning there).
		for _, w := range sum.Warnings {
			t.tb.Logf("the shared run %q warned: %s", sum.Scenario, w)
		}
	}
	t.mu.Lock()
	t.node.Metrics = append(t.node.Metrics, n.Metrics...)
	t.node.Series = append(t.node.Series, n.Series...)
	t.node.Histograms = append(t.node.Histograms, n.Histograms...)
	t.node.Tables = append(t.node.Tables, n.Tables...)
	t.node.Warnings = append(t.node.Warnings, n.Warnings...)
	for k, v := range n.Counts {
		t.node.AddCount(k, v)
	}
	t.mu.Unlock()
	if sum == nil {
		t.Check(verdict.NoDataCheck("the run produced a summary", "", "", "the run did not start"))
	} else {
		for _, c := range judge.RunChecks(sum) {
			t.Check(c)
		}
		if sum.Aborted != "" && !sum.AllowEarlyStop {
			t.Warn("partial: the run %q stopped after %v of load (%s); every figure here is of what it measured until then", sum.Scenario, sum.LoadDuration.Round(time.Millisecond), sum.Aborted)
		}
		if !sum.Slice.Whole() {
			t.mu.Lock()
			t.partial = fmt.Sprintf("shard %s measured one slice of the run: judged on the merged result (mcpstress-merge)", sum.Slice)
			t.mu.Unlock()
		}
	}
	for _, c := range checks {
		t.Check(c)
	}
}

// Check records c and reports it in the test log; a failed check (no data
// included) fails the test (without stopping it). A skipped check — one
// that does not apply, with the reason — is logged and reported as a
// warning, never as a pass. It returns c.Passed().
func (t *T) Check(c verdict.Check) bool {
	t.tb.Helper()
	t.mu.Lock()
	if t.partial != "" && !c.Skipped() {
		c.Skip = t.partial
	}
	if c.Skipped() {
		t.node.Warnings = append(t.node.Warnings, fmt.Sprintf("not judged: %s: %s", c.Expr, c.Skip))
	} else {
		t.node.Thresholds = append(t.node.Thresholds, c)
		if c.Passed() {
			t.node.Assertions.Passed++
		} else {
			t.node.Assertions.Failed++
		}
	}
	t.mu.Unlock()
	if c.Failed() {
		t.tb.Errorf("%s", c)
	} else {
		t.tb.Logf("%s", c)
	}
	return c.Passed()
}

// Skip ends the test as skipped with reason, which the report keeps.
func (t *T) Skip(reason string) {
	t.tb.Helper()
	t.mu.Lock()
	t.skip = reason
	t.mu.Unlock()
	t.tb.Skip(reason)
}

// Metric adds a metric to the test's node.
func (t *T) Metric(name, unit string, v float64, better report.Better) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.node.AddMetric(name, unit, v, better)
}

// KeyMetric adds the test's headline figure (recovery time, memory slope,
// …): the one the demo's table and the report put beside its verdict.
func (t *T) KeyMetric(name, unit string, v float64, better report.Better) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.node.AddKeyMetric(name, unit, v, better)
}

// Series adds a series to the test's node.
func (t *T) Series(s report.Series) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.node.Series = append(t.node.Series, s)
}

// Curve adds a curve (a figure against something other than time, such as
// throughput against sessions) to the test's node.
func (t *T) Curve(c report.Curve) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.node.Curves = append(t.node.Curves, c)
}

// Child adds a subtest node (for example one per orchestrator step).
func (t *T) Child(n *report.Node) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := *n
	c.Kind = report.KindSubtest
	t.node.Children = append(t.node.Children, &c)
}

// Table adds a table to the test's node.
func (t *T) Table(tab report.Table) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.node.Tables = append(t.node.Tables, tab)
}

// Warn adds a warning to the test's node and the log.
func (t *T) Warn(format string, args ...any) {
	t.tb.Helper()
	w := fmt.Sprintf(format, args...)
	t.tb.Logf("warning: %s", w)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.node.Warnings = append(t.node.Warnings, w)
}

// Fault records an injected fault at time at (a band on the test's charts)
// and counts it on the Prometheus exporter.
func (t *T) Fault(kind string, at, end time.Time, detail string) {
	started := t.s.Started()
	ev := report.FaultEvent{Kind: kind, Start: max(at.Sub(started), 0), Detail: detail}
	if !end.IsZero() {
		ev.End = max(end.Sub(started), ev.Start)
	}
	exp := t.s.Exporter()
	exp.FaultStarted(kind)
	if !end.IsZero() {
		exp.FaultEnded(kind)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.node.Faults = append(t.node.Faults, ev)
}

// Progress returns a framework progress callback that publishes each
// interval of a run offered offered requests per second to the report's
// event stream and the Prometheus exporter.
func (t *T) Progress(offered float64) func(framework.Progress) {
	return t.s.Progress(t.tb.Name(), offered)
}

// finish adds the node with the test's verdict and rewrites the reports.
func (t *T) finish() {
	t.mu.Lock()
	n := t.node
	n.Duration = time.Since(t.start)
	if n.Start == 0 {
		n.Start = max(t.start.Sub(t.s.Started()), 0)
	}
	switch {
	case t.tb.Skipped():
		n.Status = report.StatusSkipped
		n.Message = t.skip
	case t.tb.Failed():
		n.Status = report.StatusFailed
		if n.Message == "" {
			n.Message = failureMessage(n)
		}
	default:
		n.Status = report.StatusPassed
	}
	t.mu.Unlock()
	t.s.mu.Lock()
	b, ready := t.s.builder, t.s.ready
	t.s.mu.Unlock()
	if !ready {
		t.tb.Logf("report: the suite was not set up (call suite.Main(m) from TestMain); nothing written")
		return
	}
	b.AddResult(t.s.name, n)
	if err := t.s.writeReports(); err != nil {
		t.tb.Errorf("writing reports: %v", err)
	}
}

// failureMessage names the failed checks, or says the test failed
// otherwise (an assertion in the test body).
func failureMessage(n *report.Node) string {
	var failed []string
	for _, th := range n.Thresholds {
		if th.Failed() {
			failed = append(failed, th.Expr)
		}
	}
	if len(failed) == 0 {
		return "the test failed (see its log)"
	}
	return "failed: " + strings.Join(failed, "; ")
}
