package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// JUnitSuites is the root of junit.xml, in the de-facto schema CI systems
// read (Jenkins, GitLab, GitHub test reporters). Exported so that tests and
// tools can parse the output back.
type JUnitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []JUnitSuite `xml:"testsuite"`
}

// JUnitSuite is one suite.
type JUnitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Hostname   string          `xml:"hostname,attr,omitempty"`
	Properties []JUnitProperty `xml:"properties>property,omitempty"`
	Cases      []JUnitCase     `xml:"testcase"`
	SystemOut  string          `xml:"system-out,omitempty"`
}

// JUnitProperty is a name/value pair of a suite.
type JUnitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// JUnitCase is one test or subtest; its name is the path below the suite.
type JUnitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *JUnitProblem `xml:"failure,omitempty"`
	Error     *JUnitProblem `xml:"error,omitempty"`
	Skipped   *JUnitProblem `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

// JUnitProblem is a failure, error or skip with its message and details.
type JUnitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WriteJUnit writes junit.xml: one <testsuite> per suite, one <testcase>
// per test and subtest (named by its path, e.g. "TestScale/1K"). A failed
// case's message is its Message or its first failed threshold; the failed
// thresholds and assertion counts are the failure text, and its metrics go
// to system-out.
func WriteJUnit(w io.Writer, r *Run) error {
	c := r.Clone()
	c.Normalize()
	root := JUnitSuites{Name: "mcpstress " + c.ID, Time: secs(c.Duration)}
	for _, s := range c.Suites {
		js := JUnitSuite{
			Name:      s.Name,
			Time:      secs(s.Duration),
			Timestamp: c.Started.Add(s.Start).UTC().Format("2006-01-02T15:04:05"),
			Hostname:  c.Env.Hostname,
			Properties: []JUnitProperty{
				{"go_version", c.Env.GoVersion}, {"target", c.Env.Target},
				{"mode", c.Env.Mode}, {"git_revision", c.Env.GitRevision}, {"run_id", c.ID},
			},
			SystemOut: strings.Join(s.Warnings, "\n"),
		}
		var add func(prefix string, n *Node)
		add = func(prefix string, n *Node) {
			name := n.Name
			if prefix != "" {
				name = prefix + "/" + n.Name
			}
			js.Cases = append(js.Cases, junitCase(s.Name, name, n))
			js.Tests++
			switch n.Status {
			case StatusFailed:
				js.Failures++
			case StatusError:
				js.Errors++
			case StatusSkipped:
				js.Skipped++
			}
			for _, ch := range n.Children {
				add(name, ch)
			}
		}
		for _, t := range s.Children {
			add("", t)
		}
		root.Tests += js.Tests
		root.Failures += js.Failures
		root.Errors += js.Errors
		root.Skipped += js.Skipped
		root.Suites = append(root.Suites, js)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func junitCase(suite, name string, n *Node) JUnitCase {
	jc := JUnitCase{Name: name, Classname: suite, Time: secs(n.Duration)}
	var details []string
	msg := n.Message
	for _, th := range n.Thresholds {
		if th.Failed() {
			line := fmt.Sprintf("threshold %s failed: measured %s", th.Expr, checkLine(th))
			if th.Unmeasured() {
				line = fmt.Sprintf("threshold %s failed: %s", th.Expr, checkLine(th))
			}
			details = append(details, line)
			if msg == "" {
				msg = line
			}
		}
	}
	if n.Assertions.Failed > 0 {
		details = append(details, fmt.Sprintf("assertions: %d passed, %d failed", n.Assertions.Passed, n.Assertions.Failed))
	}
	details = append(details, n.Warnings...)
	switch n.Status {
	case StatusFailed:
		if msg == "" {
			msg = "failed"
		}
		jc.Failure = &JUnitProblem{Message: msg, Type: "failure", Text: strings.Join(details, "\n")}
	case StatusError:
		if msg == "" {
			msg = "error"
		}
		jc.Error = &JUnitProblem{Message: msg, Type: "error", Text: strings.Join(details, "\n")}
	case StatusSkipped:
		jc.Skipped = &JUnitProblem{Message: n.Message}
	}
	var out []string
	for _, th := range n.Thresholds {
		out = append(out, fmt.Sprintf("%s %s = %s", th.Mark(), th.Expr, checkLine(th)))
	}
	for _, m := range n.Metrics {
		out = append(out, fmt.Sprintf("%s = %s", m.Name, fmtValue(m.Value, m.Unit)))
	}
	jc.SystemOut = strings.Join(out, "\n")
	return jc
}
