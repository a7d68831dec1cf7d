//go:build stress

package protocol

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/adapter"
	"github.com/mcpstress/mcpstress/mcptest"
)

var (
	flagTarget    = flag.String("target", os.Getenv("MCP_TARGET"), "server to test (tcp://…, http://…/mcp, stdio:cmd args); default: every built-in server (env MCP_TARGET)")
	flagToken     = flag.String("token", os.Getenv("MCP_TOKEN"), "bearer token of an HTTP -target; enables the auth cases (env MCP_TOKEN)")
	flagReportDir = flag.String("report-dir", os.Getenv("MCP_REPORT_DIR"), "directory for the JSON and Markdown reports (env MCP_REPORT_DIR)")
	flagStrict    = flag.Bool("strict", false, "fail a -target run on any MISMATCH too (as for the reference server)")
)

// referenceToken is the bearer token the reference HTTP server is started
// with, so the auth cases run against it.
const referenceToken = "mcpstress-protocol-token"

// suiteTarget is one server the suite runs against.
type suiteTarget struct {
	name string
	// strict: every case must be as expected (the reference server).
	strict bool
	start  func(t *testing.T) Target
}

func builtinTargets() []suiteTarget {
	ref := func(opts mcptest.Options) func(t *testing.T) Target {
		return func(t *testing.T) Target {
			s := mcptest.StartServer(t, opts)
			tgt := mustParse(t, s.Target())
			tgt.Token = opts.Token
			return tgt
		}
	}
	sdk := func(opts adapter.Options) func(t *testing.T) Target {
		return func(t *testing.T) Target { return mustParse(t, adapter.ServeSDK(t, adapter.NewSDKEchoServer(), opts)) }
	}
	mcpgo := func(opts adapter.Options) func(t *testing.T) Target {
		return func(t *testing.T) Target {
			return mustParse(t, adapter.ServeMCPGo(t, adapter.NewMCPGoEchoServer(), opts))
		}
	}
	everything := func(t *testing.T) string {
		root, err := filepath.Abs(filepath.Join("..", ".."))
		if err != nil {
			t.Fatal(err)
		}
		entry, err := adapter.EverythingEntry(root)
		if err != nil {
			t.Skipf("Node server-everything unavailable: %v", err)
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
		{"everything/stdio", false, func(t *testing.T) Target {
			return mustParse(t, adapter.EverythingStdioTarget(everything(t)))
		}},
		{"everything/http", false, func(t *testing.T) Target {
			return mustParse(t, adapter.ServeEverythingHTTP(t, everything(t)))
		}},
	}
}

func mustParse(t *testing.T, s string) Target {
	t.Helper()
	tgt, err := ParseTarget(s)
	if err != nil {
		t.Fatal(err)
	}
	return tgt
}

// modeConfig is the per-mode timing (STRESS_TEST_MODE: quick is the
// default; anything else waits longer and loads harder).
func modeConfig() (wait time.Duration, load LoadConfig) {
	if m := os.Getenv("STRESS_TEST_MODE"); m == "" || m == "quick" {
		return 2 * time.Second, LoadConfig{Sessions: 4, Rate: 50}
	}
	return 5 * time.Second, LoadConfig{Sessions: 16, Rate: 200}
}

// TestErrorHandling runs the case table against each server, alone and
// under a background load of valid calls on other sessions. Every server
// fails on a HANG or CRASH; the reference server also on any MISMATCH and
// on a failed background call. What third-party servers answer is
// reported, not judged.
func TestErrorHandling(t *testing.T) {
	targets := builtinTargets()
	if *flagTarget != "" {
		targets = []suiteTarget{{name: "target", strict: *flagStrict, start: func(t *testing.T) Target {
			tgt := mustParse(t, *flagTarget)
			tgt.Token = *flagToken
			return tgt
		}}}
	}
	wait, load := modeConfig()
	var (
		mu      sync.Mutex
		summary = Table{Columns: []string{"server", "run", "malformed", "invalid commands", "auth", "correct", "mismatches", "hangs", "crashes", "errors", "background calls (failed)"}}
		all     []string
	)
	for _, st := range targets {
		t.Run(st.name, func(t *testing.T) {
			tgt := st.start(t)
			for _, mode := range []string{"alone", "under load"} {
				t.Run(strings.ReplaceAll(mode, " ", "_"), func(t *testing.T) {
					cfg := Config{Target: tgt, ReplyWait: wait}
					if mode == "under load" {
						cfg.Load = load
						if tgt.Kind == Stdio {
							// Every stdio session is a process: fewer, slower.
							cfg.Load.Sessions, cfg.Load.Rate = 2, 20
						}
					}
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
					defer cancel()
					rep, err := Run(ctx, cfg)
					if err != nil {
						t.Fatalf("%s: %v", st.name, err)
					}
					t.Log("\n" + rep.Text())
					for _, f := range rep.Failures(st.strict) {
						t.Errorf("%s, case %q (%s, %s): %s: got %s; expected %s", st.name, f.Case, f.Transport, f.Generation, f.Verdict, f.Got, f.Expected)
					}
					if st.strict && rep.Load.Failed > 0 {
						t.Errorf("%s: %d of %d background calls failed while the cases ran (%s)", st.name, rep.Load.Failed, rep.Load.Calls, rep.Load.FirstError)
					}
					if rep.Load.Calls != rep.Load.Answered+rep.Load.Failed+rep.Load.Cancelled {
						t.Errorf("background calls unaccounted for: %+v", rep.Load)
					}
					if dir := *flagReportDir; dir != "" {
						name := "protocol-" + strings.NewReplacer("/", "-", " ", "-").Replace(st.name+"-"+mode)
						path, err := rep.WriteJSON(dir, name)
						if err != nil {
							t.Errorf("write report: %v", err)
						} else {
							t.Logf("report written: %s", path)
						}
					}
					c := rep.Counts
					mu.Lock()
					defer mu.Unlock()
					load := "-"
					if rep.Load.Workers > 0 {
						load = fmt.Sprintf("%d (%d)", rep.Load.Calls, rep.Load.Failed)
					}
					summary.Rows = append(summary.Rows, []string{st.name, mode, fmt.Sprint(c.MalformedTested), fmt.Sprint(c.InvalidCommandsTested),
						fmt.Sprint(c.AuthFailuresTested), fmt.Sprintf("%d/%d", c.CorrectResponses, c.MalformedTested+c.InvalidCommandsTested+c.AuthFailuresTested),
						fmt.Sprint(c.Mismatches), fmt.Sprint(c.Hangs), fmt.Sprint(c.Crashes), fmt.Sprint(c.Errors), load})
					all = append(all, fmt.Sprintf("### %s, %s\n\n%s", st.name, mode, rep.Markdown()))
				})
			}
		})
	}
	md := markdownTable(summary)
	t.Log("\nsummary\n" + md)
	if dir := *flagReportDir; dir != "" {
		path := filepath.Join(dir, "protocol.md")
		body := "# Error handling (stress/protocol)\n\n" + md + "\n" + strings.Join(all, "\n")
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Errorf("write summary: %v", err)
		} else {
			t.Logf("report written: %s", path)
		}
	}
}

func markdownTable(t Table) string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(t.Columns, " | ") + " |\n")
	b.WriteString(strings.Repeat("|---", len(t.Columns)) + "|\n")
	for _, r := range t.Rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	return b.String()
}
