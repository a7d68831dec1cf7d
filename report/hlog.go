package report

import (
	"fmt"
	"io"
	"strings"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// WriteHistogramLog writes one node's histograms as an HdrHistogram
// interval log (format 1.3, readable by HistogramLogAnalyzer, Java's
// HistogramLogProcessor and hdrhistogram-go's HistogramLogReader). Each
// HistogramLog becomes a tag; interval timestamps are seconds from the
// run's start, which the #[StartTime]/#[BaseTime] headers record.
func WriteHistogramLog(w io.Writer, r *Run, n *Node) error {
	startMs := r.Started.UnixMilli()
	lw := hdrhistogram.NewHistogramLogWriter(w)
	lw.SetBaseTime(startMs)
	if err := lw.OutputLogFormatVersion(); err != nil {
		return err
	}
	if err := lw.OutputComment(fmt.Sprintf("[mcpstress run %s, node %s, values in ns, max column in ms]", oneLine(r.ID), oneLine(n.Name))); err != nil {
		return err
	}
	if err := lw.OutputStartTime(startMs); err != nil {
		return err
	}
	if err := lw.OutputBaseTime(startMs); err != nil {
		return err
	}
	if err := lw.OutputLegend(); err != nil {
		return err
	}
	for _, hl := range n.Histograms {
		tag := token(hl.Name)
		for i, iv := range hl.Intervals {
			if iv.Hist == nil {
				return fmt.Errorf("histogram %q interval %d: nil histogram", hl.Name, i)
			}
			// The writer takes timestamps and the tag from the histogram, and
			// the caller's histogram must stay untouched: write a copy.
			h := hdrhistogram.Import(iv.Hist.Export())
			h.SetTag(tag)
			h.SetStartTimeMs(startMs + iv.Start.Milliseconds())
			h.SetEndTimeMs(startMs + iv.End.Milliseconds())
			if err := lw.OutputIntervalHistogram(h); err != nil {
				return fmt.Errorf("histogram %q interval %d: %w", hl.Name, i, err)
			}
		}
	}
	return nil
}

// hlogName is the file name of a node's interval log: the path joined with
// "." and made file-safe, e.g. "baseline.TestLatency.hlog".
func hlogName(path []string) string {
	parts := make([]string, len(path))
	for i, p := range path {
		parts[i] = fileToken(p)
	}
	return strings.Join(parts, ".") + ".hlog"
}
