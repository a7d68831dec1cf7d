package protocol

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
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

// Table is the plain shape the report package renders.
type Table struct {
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
}

// Table returns the case table.
func (r Report) Table() Table {
	t := Table{Columns: []string{"case", "category", "transport", "generation", "expected", "got", "verdict"}}
	for _, row := range r.Rows {
		t.Rows = append(t.Rows, []string{row.Case, string(row.Category), row.Transport, row.Generation, row.Expected, row.Got, row.Verdict})
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
	t := r.Table()
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

// WriteJSON writes the report as name.json into dir (created if needed).
func (r Report) WriteJSON(dir, name string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	out := struct {
		Report
		Table Table `json:"table"`
	}{r, r.Table()}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, name+".json")
	return path, os.WriteFile(path, append(b, '\n'), 0o644)
}

// Markdown renders the case table as a Markdown table (for the README).
func (r Report) Markdown() string {
	var b strings.Builder
	t := r.Table()
	b.WriteString("| " + strings.Join(t.Columns, " | ") + " |\n")
	b.WriteString(strings.Repeat("|---", len(t.Columns)) + "|\n")
	for _, row := range t.Rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	return b.String()
}
