package report

import (
	"fmt"
	"io"
	"strings"
)

// WriteText writes the seed's plain-text block (=== … Test Report ===,
// totals, pass rate, duration) followed by a k6-like summary of every
// suite and test: ✓/✗ thresholds with the measured value, metrics and
// outcome counts, fault events and warnings.
func WriteText(w io.Writer, r *Run) error {
	c := r.Clone()
	c.Normalize()
	t := c.Totals()
	tw := &errWriter{w: w}
	tw.printf("=== mcpstress Test Report ===\n")
	tw.printf("Run: %s\n", c.ID)
	tw.printf("Started: %s\n", c.Started.UTC().Format("2006-01-02T15:04:05Z07:00"))
	if c.Env.Target != "" || c.Env.Mode != "" {
		tw.printf("Target: %s  Mode: %s\n", c.Env.Target, c.Env.Mode)
	}
	tw.printf("Total Tests: %d\n", t.Tests)
	tw.printf("Passed: %d\n", t.Passed)
	tw.printf("Failed: %d\n", t.Failed+t.Errors)
	if t.Skipped > 0 {
		tw.printf("Skipped: %d\n", t.Skipped)
	}
	tw.printf("Pass Rate: %.2f%%\n", t.PassRate())
	tw.printf("Total Duration: %d ms\n", c.Duration.Milliseconds())
	if t.Thresholds > 0 {
		tw.printf("Thresholds: %d passed, %d failed", t.ThresholdsPassed(), t.ThresholdsFailed)
		if t.ThresholdsSkipped > 0 {
			tw.printf(", %d not judged", t.ThresholdsSkipped)
		}
		tw.printf("\n")
	}
	tw.printf("================================\n")
	for _, w := range c.Warnings {
		tw.printf("WARNING: %s\n", w)
	}
	for _, s := range c.Suites {
		tw.printf("\n█ %s  %s %s", s.Name, statusMark(s.Status), s.Status)
		if s.Duration > 0 {
			tw.printf("  %s", fmtDur(s.Duration))
		}
		tw.printf("\n")
		writeTextNode(tw, s, "  ")
		for _, ch := range s.Children {
			writeTextTree(tw, ch, "  ")
		}
	}
	return tw.err
}

func writeTextTree(tw *errWriter, n *Node, indent string) {
	tw.printf("\n%s%s %s  %s  %s", indent, statusMark(n.Status), n.Name, n.Status, fmtDur(n.Duration))
	if n.Message != "" {
		tw.printf("  — %s", n.Message)
	}
	tw.printf("\n")
	writeTextNode(tw, n, indent+"    ")
	for _, c := range n.Children {
		writeTextTree(tw, c, indent+"    ")
	}
}

// writeTextNode writes a node's own details (not its children).
func writeTextNode(tw *errWriter, n *Node, indent string) {
	if len(n.Thresholds) > 0 {
		tw.printf("%sTHRESHOLDS\n", indent)
		for _, th := range n.Thresholds {
			tw.printf("%s  %s %s %s\n", indent, th.Mark(), dotted(th.Expr, 34), checkLine(th))
		}
	}
	if len(n.Metrics) > 0 {
		tw.printf("%sMETRICS\n", indent)
		for _, m := range n.Metrics {
			tw.printf("%s  %s: %s\n", indent, dotted(m.Name, 34), fmtValue(m.Value, m.Unit))
		}
	}
	if len(n.Counts) > 0 {
		parts := make([]string, 0, len(n.Counts))
		for _, k := range sortedKeys(n.Counts) {
			parts = append(parts, fmt.Sprintf("%s=%d", k, n.Counts[k]))
		}
		tw.printf("%sOUTCOMES %s\n", indent, strings.Join(parts, " "))
	}
	if a := n.Assertions; a.Passed+a.Failed > 0 {
		tw.printf("%sASSERTIONS %d passed, %d failed\n", indent, a.Passed, a.Failed)
	}
	for _, f := range n.Faults {
		end := "still active"
		if f.End > 0 {
			end = "→ " + fmtDur(f.End)
		}
		tw.printf("%sFAULT %s at %s %s %s\n", indent, f.Kind, fmtDur(f.Start), end, f.Detail)
	}
	for _, t := range n.Tables {
		tw.printf("%sTABLE %s (%d rows)\n", indent, t.Title, len(t.Rows))
	}
	for _, w := range n.Warnings {
		tw.printf("%sWARNING: %s\n", indent, w)
	}
}

// dotted pads s with dots to width, k6 style.
func dotted(s string, width int) string {
	n := width - len([]rune(s))
	if n < 2 {
		return s + " "
	}
	return s + " " + strings.Repeat(".", n-1)
}

// errWriter remembers the first write error so writers can print freely
// and check once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err != nil {
		return
	}
	_, e.err = fmt.Fprintf(e.w, format, args...)
}
