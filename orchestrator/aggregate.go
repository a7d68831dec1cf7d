package orchestrator

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/mcpstress/mcpstress/report"
)

// ReportNode is the step as a test node of the report: the node its Run
// returned (a shallow copy: metrics, checks and children are shared) or a
// new one, named after the step, with its status, start (from epoch) and
// duration. A step that did not pass gets the reason as the node's
// message: failed and timed out steps fail, skipped steps and steps
// cancelled before they started are skipped, and a step cancelled while
// running is an error (it could not complete). A passed step keeps a
// status its node set itself (a step may pass as code and still report a
// failed check).
func (s StepResult) ReportNode(epoch time.Duration) *report.Node {
	var n report.Node
	if s.Node != nil {
		n = *s.Node
	}
	n.Name, n.Kind = s.Name, report.KindTest
	n.Start, n.Duration = epoch+s.Start, s.Duration
	switch s.Status {
	case Passed:
		if n.Status == "" && len(n.Children) == 0 {
			n.Status = report.StatusPassed
		}
	case Failed, TimedOut:
		n.Status, n.Message = report.StatusFailed, s.Status.String()+": "+s.Reason
	case Cancelled:
		n.Status, n.Message = report.StatusSkipped, s.Reason
		if s.Ran {
			n.Status = report.StatusError
		}
	default:
		n.Status, n.Message = report.StatusSkipped, s.Reason
	}
	if s.Abandoned {
		n.Warnings = append(n.Warnings[:len(n.Warnings):len(n.Warnings)], "step abandoned: "+s.Reason)
	}
	return &n
}

// Report aggregates the run into a suite node: one test node per step, in
// declaration order (ReportNode), a "steps" table (status, start,
// duration, resources released, reason), the counts by status and the
// run's wall time, summed step time, and parallelism (summed step time
// over wall time).
func (r *Result) Report(suite string) *report.Node {
	off := r.Started.Sub(r.epoch)
	s := report.NewSuite(suite)
	s.Children = make([]*report.Node, 0, len(r.Steps))
	tbl := report.Table{Title: "steps", Columns: []string{"step", "status", "start", "duration", "released", "reason"},
		Rows: make([][]string, 0, len(r.Steps))}
	var sum time.Duration
	counts := map[string]uint64{}
	for _, st := range r.Steps {
		s.Children = append(s.Children, st.ReportNode(off))
		sum += st.Duration
		counts[st.Status.String()]++
		tbl.Rows = append(tbl.Rows, []string{st.Name, st.Status.String(), fmtDur(off + st.Start), fmtDur(st.Duration),
			strconv.Itoa(st.Released), st.Reason})
	}
	s.Start, s.Duration, s.Counts = off, r.Duration, counts
	s.Tables = append(s.Tables, tbl)
	s.AddMetric("wall_time", "ms", ms(r.Duration), report.BetterLower).
		AddMetric("step_time_sum", "ms", ms(sum), "").
		AddMetric("workers", "", float64(r.Workers), "").
		AddMetric("max_running", "", float64(r.MaxRunning), "")
	if r.Duration > 0 {
		s.AddMetric("parallelism", "x", float64(sum)/float64(r.Duration), "")
	}
	return s
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func fmtDur(d time.Duration) string { return d.Round(time.Microsecond).String() }

// ProgressEvent is one progress line's worth: a step started or ended.
type ProgressEvent struct {
	Step string
	// Started is true when the step starts; otherwise it ended with
	// Status (and Reason, Duration).
	Started  bool
	Status   Status
	Reason   string
	Duration time.Duration
	// Done of Total steps have an outcome; Running are running; Elapsed
	// since the run started.
	Done, Total, Running int
	Elapsed              time.Duration
}

// String is the progress line:
//
//	[ 3/10] 1.2s start     connect
//	[ 4/10] 1.3s passed    connect (12ms)
//	[ 5/10] 1.3s skipped   load: dependency connect failed: dial: refused
func (e ProgressEvent) String() string {
	w := len(strconv.Itoa(e.Total))
	head := fmt.Sprintf("[%*d/%d] %v", w, e.Done, e.Total, e.Elapsed.Round(time.Millisecond))
	if e.Started {
		return fmt.Sprintf("%s %-9s %s", head, "start", e.Step)
	}
	line := fmt.Sprintf("%s %-9s %s", head, e.Status, e.Step)
	if e.Status != Skipped && !(e.Status == Cancelled && e.Duration == 0) {
		line += " (" + fmtDur(e.Duration) + ")"
	}
	if e.Reason != "" {
		line += ": " + e.Reason
	}
	return line
}

// Lines returns an Options.Progress that writes each event's String as a
// line to w.
func Lines(w io.Writer) func(ProgressEvent) {
	return func(e ProgressEvent) { fmt.Fprintln(w, e.String()) }
}
