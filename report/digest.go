package report

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
)

// The metric names Digest reads: the seed's standard names the suites
// record for every engine run (stress.Metric… in package stress).
const (
	DigestMetricRate      = "messages_per_second"
	DigestMetricP50       = "latency_p50_ms"
	DigestMetricP95       = "latency_p95_ms"
	DigestMetricP99       = "latency_p99_ms"
	DigestMetricErrorRate = "error_rate_percent"
	DigestMetricDropRate  = "drop_rate_percent"
)

// errorOutcomes are the Counts keys Digest adds up as errors: failed
// requests that were sent (not dropped or cancelled ones).
var errorOutcomes = []string{"tool_error", "rpc_error", "transport_error", "timeout"}

// DigestRun is one run for Digest and the directory its report files were
// written to ("" when they were not).
type DigestRun struct {
	Run *Run
	Dir string
}

// Digest renders runs as one table for a person at a terminal: a row per
// test and subtest with the suite, the verdict (passed, FAILED, ERROR,
// skipped), the achieved rate (msg/s), the corrected p50/p95/p99 latency
// (ms), errors and drops (counts, with their rate when there were any), and
// the test's headline figures (its Key metrics as name=value unit). A cell
// the test did not measure is "-". Below the table come the totals, each
// failed or skipped test with its message and failed checks, and per suite
// the path of its report.html. The runs are not modified.
func Digest(runs ...DigestRun) string {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "SUITE\tTEST\tVERDICT\tMSG/S\tP50 ms\tP95 ms\tP99 ms\tERRORS\tDROPS\tKEY")
	var t Totals
	var notes, reports []string
	for _, dr := range runs {
		if dr.Run == nil {
			continue
		}
		c := dr.Run.Clone()
		c.Normalize()
		tot := c.Totals()
		t.Tests += tot.Tests
		t.Passed += tot.Passed
		t.Failed += tot.Failed
		t.Errors += tot.Errors
		t.Skipped += tot.Skipped
		c.Walk(func(path []string, n *Node) {
			if n.Kind == KindSuite {
				return
			}
			name := strings.Join(path[1:], "/")
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cell(path[0]), cell(name), digestVerdict(n.Status),
				rateCell(n), metricCell(n, DigestMetricP50), metricCell(n, DigestMetricP95), metricCell(n, DigestMetricP99),
				outcomeCell(n, errorOutcomes, DigestMetricErrorRate), outcomeCell(n, []string{"dropped"}, DigestMetricDropRate), keyCell(n))
			notes = append(notes, digestNotes(path[0]+"/"+name, n)...)
		})
		for _, s := range c.Suites {
			switch {
			case dr.Dir != "":
				reports = append(reports, fmt.Sprintf("%s report: %s", s.Name, filepath.Join(dr.Dir, "report.html")))
			default:
				reports = append(reports, fmt.Sprintf("%s report: not written", s.Name))
			}
			if (s.Status == StatusFailed || s.Status == StatusError) && s.Message != "" && !strings.HasPrefix(s.Message, "a child ") {
				notes = append(notes, fmt.Sprintf("%s %s: %s", digestVerdict(s.Status), s.Name, s.Message))
			}
		}
	}
	tw.Flush()
	var out strings.Builder
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		if line == "" {
			continue
		}
		out.WriteString(strings.TrimRight(line, " \n"))
		out.WriteString("\n")
	}
	fmt.Fprintf(&out, "\n%d tests: %d passed, %d failed, %d skipped", t.Tests, t.Passed, t.Failed+t.Errors, t.Skipped)
	if t.Errors > 0 {
		fmt.Fprintf(&out, " (%d of the failures are errors)", t.Errors)
	}
	out.WriteString("\n")
	if len(notes) > 0 {
		out.WriteString("\n" + strings.Join(notes, "\n") + "\n")
	}
	if len(reports) > 0 {
		out.WriteString("\n" + strings.Join(reports, "\n") + "\n")
	}
	return out.String()
}

// digestVerdict is a status as the digest shows it: failures in capitals.
func digestVerdict(s Status) string {
	switch s {
	case StatusFailed:
		return "FAILED"
	case StatusError:
		return "ERROR"
	case "":
		return "-"
	}
	return string(s)
}

// digestNotes explains a failed or skipped test: its message and the
// checks that failed.
func digestNotes(name string, n *Node) []string {
	if n.Status == StatusPassed {
		return nil
	}
	line := digestVerdict(n.Status) + " " + name
	if n.Message != "" {
		line += ": " + oneLine(n.Message)
	}
	out := []string{line}
	if n.Status == StatusSkipped {
		return out
	}
	for _, th := range n.Thresholds {
		if th.Failed() {
			out = append(out, "    "+oneLine(th.String()))
		}
	}
	return out
}

// rateCell is the achieved rate, whole messages from 100/s up.
func rateCell(n *Node) string {
	if m, ok := n.Metric(DigestMetricRate); ok && m.Value >= 100 {
		return strconv.FormatFloat(m.Value, 'f', 0, 64)
	}
	return metricCell(n, DigestMetricRate)
}

func metricCell(n *Node, name string) string {
	if m, ok := n.Metric(name); ok {
		return fmtNum(m.Value)
	}
	return "-"
}

// outcomeCell is the count of the outcomes keys, with the rate metric
// beside it when the count is not zero; the rate alone when the node has no
// counts; "-" when it has neither.
func outcomeCell(n *Node, keys []string, rateMetric string) string {
	rate, hasRate := n.Metric(rateMetric)
	if len(n.Counts) == 0 {
		if hasRate {
			return fmtValue(rate.Value, "%")
		}
		return "-"
	}
	var c uint64
	for _, k := range keys {
		c += n.Counts[k]
	}
	s := strconv.FormatUint(c, 10)
	if c > 0 && hasRate {
		s += " (" + fmtValue(rate.Value, "%") + ")"
	}
	return s
}

// keyCell lists the node's headline metrics as name=value unit.
func keyCell(n *Node) string {
	var parts []string
	for _, m := range n.KeyMetrics() {
		parts = append(parts, cell(m.Name)+"="+fmtValue(m.Value, m.Unit))
	}
	return strings.Join(parts, ", ")
}

// cell keeps a value on one line and out of the column separators.
func cell(s string) string {
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
}
