package report

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"
)

//go:embed templates/report.html.tmpl
var templateFS embed.FS

// maxTablePoints bounds the interval table of one series in the HTML
// report; longer series are in intervals.csv (the charts show them all,
// decimated to their per-bucket extremes).
const maxTablePoints = 300

type htmlData struct {
	SchemaVersion    int
	Run              *Run
	Status           Status
	Verdict          string
	Started          string
	Totals           Totals
	Failed           int
	ThresholdsPassed int
	Env              [][2]string
	Thresholds       []htmlThreshold
	Rows             []htmlRow
	Sections         []htmlSection
}

// htmlThreshold is one check as the page shows it; Class is its verdict's
// CSS class (pass, fail, skipped).
type htmlThreshold struct {
	Path, Expr, Measured, Window, Note string
	Mark, Class                        string
}

func newHTMLThreshold(path string, th ThresholdResult) htmlThreshold {
	win := checkWindow(th)
	if win == "" {
		win = "whole test"
	}
	return htmlThreshold{Path: path, Expr: th.Expr, Measured: checkValue(th), Window: win, Note: checkNote(th),
		Mark: th.Mark(), Class: checkClass(th)}
}

type htmlRow struct {
	Name, Anchor, Message string
	Status                Status
	Indent                float64
	Duration              time.Duration
	Assertions            Assertions
}

type htmlSection struct {
	Node   *Node
	Checks []htmlThreshold
	Path   string
	Anchor string
	Level  int
	Counts [][2]string
	Charts []chart
	Series []Series
}

func newTemplate() (*template.Template, error) {
	return template.New("report.html.tmpl").Funcs(template.FuncMap{
		"dur":   fmtDur,
		"smark": statusMark,
		"val":   fmtValue,
		"num":   fmtNum,
		"secs":  func(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) },
	}).ParseFS(templateFS, "templates/report.html.tmpl")
}

// WriteHTML writes report.html: one self-contained file (no scripts, no
// network) with the summary, a threshold table (✓/✗ with measured values),
// the test tree, and per node its metrics, outcomes, fault events, tables
// and inline SVG charts drawn with gonum/plot — series over time grouped by
// chart (throughput, latency percentiles, memory, recovery) with fault
// events as shaded bands, and curves such as the scaling curve. Everything
// a chart shows is also in a table, so the report reads without them.
func WriteHTML(w io.Writer, r *Run) error {
	c := r.Clone()
	c.Normalize()
	tmpl, err := newTemplate()
	if err != nil {
		return err
	}
	t := c.Totals()
	d := htmlData{
		SchemaVersion:    SchemaVersion,
		Run:              c,
		Status:           StatusPassed,
		Verdict:          "passed",
		Started:          c.Started.UTC().Format(time.RFC3339),
		Totals:           t,
		Failed:           t.Failed + t.Errors,
		ThresholdsPassed: t.ThresholdsPassed(),
	}
	if d.Failed > 0 {
		d.Status, d.Verdict = StatusFailed, "failed"
	}
	e := c.Env
	for _, kv := range [][2]string{
		{"Target", e.Target}, {"Mode", e.Mode}, {"Git revision", e.GitRevision}, {"Go", e.GoVersion},
		{"OS/arch", e.OS + "/" + e.Arch}, {"CPUs", fmt.Sprint(e.CPUs)}, {"Memory", fmtValue(float64(e.MemoryBytes)/(1<<30), "GiB")},
		{"Host", e.Hostname}, {"Shard", e.Shard},
	} {
		if kv[1] != "" && kv[1] != "/" {
			d.Env = append(d.Env, kv)
		}
	}
	var werr error
	for _, s := range c.Suites {
		var visit func(path []string, n *Node, depth int)
		visit = func(path []string, n *Node, depth int) {
			path = append(path[:len(path):len(path)], n.Name)
			name := strings.Join(path, "/")
			anchor := "n-" + fileToken(strings.Join(path, "."))
			d.Rows = append(d.Rows, htmlRow{Name: n.Name, Anchor: anchor, Message: n.Message, Status: n.Status,
				Indent: 0.6 + 1.2*float64(depth), Duration: n.Duration, Assertions: n.Assertions})
			var checks []htmlThreshold
			for _, th := range n.Thresholds {
				checks = append(checks, newHTMLThreshold(name, th))
			}
			d.Thresholds = append(d.Thresholds, checks...)
			// Suite-level faults apply to every chart below the suite.
			faults := append(cloneSlice(s.Faults), n.Faults...)
			if n == s {
				faults = s.Faults
			}
			charts, err := nodeCharts(n, faults)
			if err != nil && werr == nil {
				werr = err
			}
			sec := htmlSection{Node: n, Checks: checks, Path: name, Anchor: anchor, Level: min(3+depth, 6), Charts: charts}
			for _, k := range sortedKeys(n.Counts) {
				sec.Counts = append(sec.Counts, [2]string{k, fmt.Sprint(n.Counts[k])})
			}
			for _, sr := range n.Series {
				if len(sr.Points) > maxTablePoints {
					sr.Points = sr.Points[:maxTablePoints]
					sr.Name += fmt.Sprintf(" (first %d points; all in intervals.csv)", maxTablePoints)
				}
				sec.Series = append(sec.Series, sr)
			}
			d.Sections = append(d.Sections, sec)
			for _, ch := range n.Children {
				visit(path, ch, depth+1)
			}
		}
		visit(nil, s, 0)
	}
	if werr != nil {
		return werr
	}
	return tmpl.Execute(w, d)
}
