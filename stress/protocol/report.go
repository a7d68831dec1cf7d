package protocol

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/mcpstress/mcpstress/report"
)

// Verdicts of one case.
const (
	VerdictExpected = "expected"
	VerdictMismatch = "MISMATCH"
	VerdictHang     = "HANG"
	VerdictCrash    = "CRASH"
	VerdictSkipped  = "skipped"
	// VerdictError: the case could not run (no session could be opened
	// for it); a failure, since nothing was tested.
	VerdictError = "ERROR"
)

// Row is one case in one setting.
type Row struct {
	Case       string   `json:"case"`
	Category   Category `json:"category"`
	Transport  string   `json:"transport"`
	Generation string   `json:"generation"`
	Expected   string   `json:"expected"`
	Got        string   `json:"got"`
	Verdict    string   `json:"verdict"`
}

// Counts are seed 004's error-handling metrics plus the failure classes.
type Counts struct {
	MalformedTested       int `json:"malformed_requests_tested"`
	InvalidCommandsTested int `json:"invalid_commands_tested"`
	AuthFailuresTested    int `json:"auth_failures_tested"`
	CorrectResponses      int `json:"correct_error_responses"`
	Mismatches            int `json:"mismatches"`
	Hangs                 int `json:"hangs"`
	Crashes               int `json:"crashes"`
	Errors                int `json:"errors"`
	Skipped               int `json:"skipped"`
}

// Report is the outcome of one Run.
type Report struct {
	Target string    `json:"target"`
	Server string    `json:"server"` // serverInfo from initialize or discover, if any
	Rows   []Row     `json:"rows"`
	Counts Counts    `json:"counts"`
	Load   LoadStats `json:"load"`
	// Notes are run-level findings (generation detection, load errors).
	Notes []string `json:"notes,omitempty"`
}

// Table returns the case table as the report renders it: per case, what
// the spec allows against what the server did, and the verdict.
func (r Report) Table(title string) report.Table {
	t := report.Table{Title: title, Columns: []string{"case", "transport", "generation", "expected", "got", "verdict"}}
	for _, row := range r.Rows {
		t.Rows = append(t.Rows, []string{row.Case, row.Transport, row.Generation, row.Expected, row.Got, row.Verdict})
	}
	return t
}

// Failures lists the rows that fail a run: HANG and CRASH always, MISMATCH
// too when strict (the reference server).
func (r Report) Failures(strict bool) []Row {
	var out []Row
	for _, row := range r.Rows {
		switch row.Verdict {
		case VerdictHang, VerdictCrash, VerdictError:
			out = append(out, row)
		case VerdictMismatch:
			if strict {
				out = append(out, row)
			}
		}
	}
	return out
}

func (r *Report) count() {
	var c Counts
	for _, row := range r.Rows {
		if row.Verdict == VerdictSkipped {
			c.Skipped++
			continue
		}
		switch row.Category {
		case Malformed:
			c.MalformedTested++
		case InvalidCommand:
			c.InvalidCommandsTested++
		case Auth:
			c.AuthFailuresTested++
		}
		switch row.Verdict {
		case VerdictExpected:
			c.CorrectResponses++
		case VerdictMismatch:
			c.Mismatches++
		case VerdictHang:
			c.Hangs++
		case VerdictCrash:
			c.Crashes++
		case VerdictError:
			c.Errors++
		}
	}
	r.Counts = c
}

// Text renders the report as aligned text for the test log.
func (r Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "error handling against %s", r.Target)
	if r.Server != "" {
		fmt.Fprintf(&b, " (%s)", r.Server)
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	t := r.Table("")
	fmt.Fprintln(tw, strings.Join(t.Columns, "\t"))
	for _, row := range t.Rows {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
	c := r.Counts
	fmt.Fprintf(&b, "malformed tested %d, invalid commands tested %d, auth failures tested %d, correct responses %d/%d (mismatches %d, hangs %d, crashes %d, errors %d, skipped %d)\n",
		c.MalformedTested, c.InvalidCommandsTested, c.AuthFailuresTested, c.CorrectResponses,
		c.MalformedTested+c.InvalidCommandsTested+c.AuthFailuresTested, c.Mismatches, c.Hangs, c.Crashes, c.Errors, c.Skipped)
	if r.Load.Workers > 0 {
		fmt.Fprintf(&b, "background load (lean client): %d sessions, %d calls, %d answered, %d failed, %d cancelled at stop\n",
			r.Load.Workers, r.Load.Calls, r.Load.Answered, r.Load.Failed, r.Load.Cancelled)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	return b.String()
}

// The seed's error-handling metric names (seed 004, scenario 7) and the
// failure classes next to them.
const (
	MetricMalformedTested       = "malformed_requests_tested"
	MetricInvalidCommandsTested = "invalid_commands_tested"
	MetricAuthFailuresTested    = "auth_failures_tested"
	MetricCorrectResponses      = "correct_error_responses"
	MetricMismatches            = "mismatches"
	MetricHangs                 = "hangs"
	MetricCrashes               = "crashes"
	MetricErrors                = "errors"
	MetricSkipped               = "cases_skipped"
)

// Tested is the number of cases that ran (every category).
func (c Counts) Tested() int {
	return c.MalformedTested + c.InvalidCommandsTested + c.AuthFailuresTested
}

// Metrics returns the counts as report metrics under the seed's names.
func (c Counts) Metrics() []report.Metric {
	return []report.Metric{
		{Name: MetricMalformedTested, Value: float64(c.MalformedTested)},
		{Name: MetricInvalidCommandsTested, Value: float64(c.InvalidCommandsTested)},
		{Name: MetricAuthFailuresTested, Value: float64(c.AuthFailuresTested)},
		{Name: MetricCorrectResponses, Value: float64(c.CorrectResponses), Better: report.BetterHigher},
		{Name: MetricMismatches, Value: float64(c.Mismatches), Better: report.BetterLower},
		{Name: MetricHangs, Value: float64(c.Hangs), Better: report.BetterLower},
		{Name: MetricCrashes, Value: float64(c.Crashes), Better: report.BetterLower},
		{Name: MetricErrors, Value: float64(c.Errors), Better: report.BetterLower},
		{Name: MetricSkipped, Value: float64(c.Skipped)},
	}
}

// Metrics returns the background load's accounting as report metrics
// (none when the run had no load).
func (l LoadStats) Metrics() []report.Metric {
	if l.Workers == 0 {
		return nil
	}
	return []report.Metric{
		{Name: "load_sessions", Value: float64(l.Workers)},
		{Name: "load_calls", Value: float64(l.Calls)},
		{Name: "load_answered", Value: float64(l.Answered), Better: report.BetterHigher},
		{Name: "load_failed", Value: float64(l.Failed), Better: report.BetterLower},
		{Name: "load_cancelled_at_stop", Value: float64(l.Cancelled)},
		{Name: "load_sessions_reopened", Value: float64(l.Reopened), Better: report.BetterLower},
	}
}

// Unaccounted is how many background calls ended in none of answered,
// failed or cancelled (zero when every call is accounted for).
func (l LoadStats) Unaccounted() int { return l.Calls - l.Answered - l.Failed - l.Cancelled }
