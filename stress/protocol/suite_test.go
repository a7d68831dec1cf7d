//go:build stress

package protocol

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/adapter"
	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/framework/profile"
	"github.com/mcpstress/mcpstress/mcptest"
	"github.com/mcpstress/mcpstress/report"
	"github.com/mcpstress/mcpstress/stress"
	"github.com/mcpstress/mcpstress/verdict"
)

// The suite's own flags; -target (or $MCP_TARGET) and -report-dir (or
// $MCPSTRESS_REPORT_DIR, or $MCP_REPORT_DIR) are the harness's.
var (
	flagToken  = flag.String("token", os.Getenv("MCP_TOKEN"), "bearer token of an HTTP -target; enables the auth cases (env MCP_TOKEN)")
	flagStrict = flag.Bool("strict", false, "judge a -target run like the reference server: every case must be as expected")
)

// referenceToken is the bearer token the reference HTTP server is started
// with, so the auth cases run against it.
const referenceToken = "mcpstress-protocol-token"

// suiteTarget is one server the suite runs against.
type suiteTarget struct {
	name string
	// strict: every case must be as expected (the reference server).
	strict bool
	// start starts (or names) the server; tr.Skip when it is unavailable.
	start func(tr *stress.T, t *testing.T) client.Target
}

func builtinTargets() []suiteTarget {
	ref := func(opts mcptest.Options) func(*stress.T, *testing.T) client.Target {
		return func(_ *stress.T, t *testing.T) client.Target {
			s := mcptest.StartServer(t, opts)
			return mustParse(t, s.Target(), opts.Token)
		}
	}
	sdk := func(opts adapter.Options) func(*stress.T, *testing.T) client.Target {
		return func(_ *stress.T, t *testing.T) client.Target {
			return mustParse(t, adapter.ServeSDK(t, adapter.NewSDKEchoServer(), opts), "")
		}
	}
	mcpgo := func(opts adapter.Options) func(*stress.T, *testing.T) client.Target {
		return func(_ *stress.T, t *testing.T) client.Target {
			return mustParse(t, adapter.ServeMCPGo(t, adapter.NewMCPGoEchoServer(), opts), "")
		}
	}
	everything := func(tr *stress.T, t *testing.T) string {
		root, err := filepath.Abs(filepath.Join("..", ".."))
		if err != nil {
			t.Fatal(err)
		}
		entry, err := adapter.EverythingEntry(root)
		if err != nil {
			tr.Skip(fmt.Sprintf("Node server-everything unavailable: %v", err))
		}
		return entry
	}
	return []suiteTarget{
		{"reference/tcp", true, ref(mcptest.Options{Transport: mcptest.TransportTCP})},
		{"reference/http", true, ref(mcptest.Options{Transport: mcptest.TransportHTTP, Token: referenceToken})},
		{"reference/http-sse", true, ref(mcptest.Options{Transport: mcptest.TransportHTTP, HTTPResponse: mcptest.HTTPResponseSSE, Token: referenceToken})},
		{"reference/stdio", true, ref(mcptest.Options{Transport: mcptest.TransportStdio})},
		{"go-sdk/tcp", false, sdk(adapter.Options{})},
		{"go-sdk/http-stateless", false, sdk(adapter.Options{Transport: adapter.TransportHTTP, Stateless: true})},
		{"go-sdk/http-stateful", false, sdk(adapter.Options{Transport: adapter.TransportHTTP})},
		{"mcp-go/tcp", false, mcpgo(adapter.Options{})},
		{"mcp-go/http-stateless", false, mcpgo(adapter.Options{Transport: adapter.TransportHTTP, Stateless: true})},
		{"everything/stdio", false, func(tr *stress.T, t *testing.T) client.Target {
			return mustParse(t, adapter.EverythingStdioTarget(everything(tr, t)), "")
		}},
		{"everything/http", false, func(tr *stress.T, t *testing.T) client.Target {
			return mustParse(t, adapter.ServeEverythingHTTP(t, everything(tr, t)), "")
		}},
	}
}

// mustParse parses a target string with the framework's parser; token is
// the bearer token of an HTTP target ("" = none).
func mustParse(t *testing.T, s, token string) client.Target {
	t.Helper()
	tgt, err := client.ParseTarget(s, client.Options{Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return tgt
}

// modeConfig is the per-mode timing: quick (the default) waits 2 s per
// answer under a light load; the longer modes wait longer and load harder.
func modeConfig(mode profile.Mode) (wait time.Duration, load LoadConfig) {
	if mode == profile.ModeQuick {
		return 2 * time.Second, LoadConfig{Sessions: 4, Rate: 50}
	}
	return 5 * time.Second, LoadConfig{Sessions: 16, Rate: 200}
}

// runModes are the two runs of every server: the cases alone, and with a
// background load of valid calls on other sessions.
var runModes = []string{"alone", "under load"}

// TestErrorHandling runs the case table against each server, alone and
// under a background load of valid calls on other sessions, and reports
// per server and run the case table, the seed's counts and the load's
// accounting. Every server fails on a HANG, CRASH or ERROR; the reference
// server (and a -target with -strict) also on any MISMATCH and on a failed
// background call. What third-party servers answer otherwise is reported
// (the table, warnings), not judged.
func TestErrorHandling(t *testing.T) {
	top := suite.Test(t)
	targets := builtinTargets()
	if target := suite.Target(); target != "" {
		targets = []suiteTarget{{name: "target", strict: *flagStrict, start: func(_ *stress.T, t *testing.T) client.Target {
			return mustParse(t, target, *flagToken)
		}}}
	}
	wait, load := modeConfig(suite.Mode())
	summary := report.Table{Title: "error handling by server and run",
		Columns: []string{"server", "run", "malformed", "invalid commands", "auth", "correct", "mismatches", "hangs", "crashes", "errors", "background calls (failed)"}}
	for _, st := range targets {
		t.Run(st.name, func(t *testing.T) {
			// The server's own entry: a server that is unavailable is
			// reported as skipped, with the reason.
			tgt := st.start(suite.Test(t), t)
			for _, mode := range runModes {
				t.Run(strings.ReplaceAll(mode, " ", "_"), func(t *testing.T) {
					tr := suite.Test(t)
					cfg := Config{Target: tgt, ReplyWait: wait}
					if mode == "under load" {
						cfg.Load = load
						if _, stdio := tgt.(*client.StdioTarget); stdio {
							// Every stdio session is a process: fewer, slower.
							cfg.Load.Sessions, cfg.Load.Rate = 2, 20
						}
					}
					ctx, cancel := context.WithTimeout(suite.Context(), 10*time.Minute)
					defer cancel()
					rep, err := Run(ctx, cfg)
					t.Log("\n" + rep.Text())
					judge(tr, st, mode, rep)
					if err != nil {
						t.Fatalf("%s: %v", st.name, err)
					}
					c := rep.Counts
					bg := "-"
					if rep.Load.Workers > 0 {
						bg = fmt.Sprintf("%d (%d)", rep.Load.Calls, rep.Load.Failed)
					}
					summary.Rows = append(summary.Rows, []string{st.name, mode, fmt.Sprint(c.MalformedTested), fmt.Sprint(c.InvalidCommandsTested),
						fmt.Sprint(c.AuthFailuresTested), fmt.Sprintf("%d/%d", c.CorrectResponses, c.Tested()),
						fmt.Sprint(c.Mismatches), fmt.Sprint(c.Hangs), fmt.Sprint(c.Crashes), fmt.Sprint(c.Errors), bg})
				})
			}
		})
	}
	top.Table(summary)
	t.Log("\nsummary\n" + markdownTable(summary))
}

// judge puts one run into the report: the case table, the seed's counts and
// the load's accounting as metrics, and the checks of the verdict policy.
// For a strict server (the reference) every case that ran is a check: its
// answer must be one the spec allows. The others are checked only for
// surviving the cases (no HANG, CRASH or ERROR, naming the cases that were
// not); a MISMATCH is a finding, in the table and as a warning.
func judge(tr *stress.T, st suiteTarget, mode string, rep Report) {
	title := st.name + ", " + mode + ": " + rep.Target
	if rep.Server != "" {
		title += " (" + rep.Server + ")"
	}
	tr.Table(rep.Table(title))
	for _, m := range rep.Counts.Metrics() {
		tr.Metric(m.Name, m.Unit, m.Value, m.Better)
	}
	for _, m := range rep.Load.Metrics() {
		tr.Metric(m.Name, m.Unit, m.Value, m.Better)
	}
	failed := map[string][]string{} // verdict → the cases that got it
	for _, row := range rep.Rows {
		if row.Verdict == VerdictSkipped {
			continue
		}
		name := fmt.Sprintf("%s [%s %s]", row.Case, row.Transport, row.Generation)
		detail := "got " + row.Got + "; expected " + row.Expected
		if st.strict {
			tr.Check(verdict.Check{Expr: name + ": answers the spec does not allow = 0",
				Measured: boolCount(row.Verdict != VerdictExpected), Pass: row.Verdict == VerdictExpected, Detail: row.Verdict + ": " + detail})
			continue
		}
		switch row.Verdict {
		case VerdictMismatch:
			tr.Warn("finding: %s: %s", name, detail)
		case VerdictHang, VerdictCrash, VerdictError:
			failed[row.Verdict] = append(failed[row.Verdict], name+": "+row.Got)
		}
	}
	if !st.strict && rep.Counts.Tested() > 0 {
		// A third-party server is judged only on surviving the cases.
		for _, k := range []struct {
			verdict, expr string
			n             int
		}{
			{VerdictHang, "cases after which the session stopped answering (HANG) = 0", rep.Counts.Hangs},
			{VerdictCrash, "cases that took the server down (CRASH) = 0", rep.Counts.Crashes},
			{VerdictError, "cases that could not run (ERROR) = 0", rep.Counts.Errors},
		} {
			detail := fmt.Sprintf("of %d cases run", rep.Counts.Tested())
			if cases := failed[k.verdict]; len(cases) > 0 {
				detail += ": " + strings.Join(cases, "; ")
			}
			tr.Check(verdict.Check{Expr: k.expr, Measured: float64(k.n), Pass: k.n == 0, Detail: detail})
		}
	}
	if l := rep.Load; l.Workers > 0 {
		tr.Check(verdict.Check{Expr: "background calls unaccounted for = 0", Measured: float64(l.Unaccounted()), Pass: l.Unaccounted() == 0,
			Detail: fmt.Sprintf("%d calls: %d answered, %d failed, %d cancelled at stop", l.Calls, l.Answered, l.Failed, l.Cancelled)})
		if st.strict {
			detail := fmt.Sprintf("of %d calls on %d other sessions", l.Calls, l.Workers)
			if l.FirstError != "" {
				detail += "; first error: " + l.FirstError
			}
			tr.Check(verdict.Check{Expr: "background calls failed = 0", Measured: float64(l.Failed), Pass: l.Failed == 0, Detail: detail})
		}
	}
	for _, n := range rep.Notes {
		tr.Warn("%s", n)
	}
}

func boolCount(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func markdownTable(t report.Table) string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(t.Columns, " | ") + " |\n")
	b.WriteString(strings.Repeat("|---", len(t.Columns)) + "|\n")
	for _, r := range t.Rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	return b.String()
}
