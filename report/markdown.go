package report

import (
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes summary.md, GitHub-flavoured Markdown meant for
// $GITHUB_STEP_SUMMARY: a verdict line, the totals, one table per suite
// (test, verdict, duration, thresholds) and the failed thresholds with their
// measured values; per-test metrics are folded into <details>.
func WriteMarkdown(w io.Writer, r *Run) error {
	c := r.Clone()
	c.Normalize()
	t := c.Totals()
	mw := &errWriter{w: w}
	verdict := "✅ passed"
	if t.Failed+t.Errors > 0 {
		verdict = "❌ failed"
	}
	mw.printf("## mcpstress %s — %s\n\n", mdEscape(c.ID), verdict)
	mw.printf("| Tests | Passed | Failed | Skipped | Pass rate | Thresholds failed | Duration |\n")
	mw.printf("|---:|---:|---:|---:|---:|---:|---:|\n")
	mw.printf("| %d | %d | %d | %d | %.2f%% | %d / %d | %s |\n\n",
		t.Tests, t.Passed, t.Failed+t.Errors, t.Skipped, t.PassRate(), t.ThresholdsFailed, t.Thresholds-t.ThresholdsSkipped, fmtDur(c.Duration))
	env := c.Env
	mw.printf("Target `%s` · mode `%s` · %s %s/%s · %d CPUs · rev `%s`\n\n",
		mdCode(env.Target), mdCode(env.Mode), env.GoVersion, env.OS, env.Arch, env.CPUs, mdCode(short(env.GitRevision)))
	for _, w := range c.Warnings {
		mw.printf("> ⚠️ %s\n\n", mdEscape(w))
	}
	for _, s := range c.Suites {
		mw.printf("### %s %s\n\n", statusMark(s.Status), mdEscape(s.Name))
		for _, w := range s.Warnings {
			mw.printf("> ⚠️ %s\n\n", mdEscape(w))
		}
		mw.printf("| Test | Status | Duration | Thresholds |\n|---|---|---:|---|\n")
		var failed []string
		var walk func(prefix string, n *Node)
		walk = func(prefix string, n *Node) {
			name := n.Name
			if prefix != "" {
				name = prefix + "/" + n.Name
			}
			var ths []string
			for _, th := range n.Thresholds {
				ths = append(ths, fmt.Sprintf("%s `%s` %s", th.Mark(), mdCode(th.Expr), mdEscape(checkLine(th))))
				if th.Failed() {
					what := "measured " + checkLine(th)
					if th.Unmeasured() {
						what = checkLine(th)
					}
					failed = append(failed, fmt.Sprintf("- **%s**: `%s` %s", mdEscape(name), mdCode(th.Expr), mdEscape(what)))
				}
			}
			if n.Message != "" && n.Status != StatusPassed {
				failed = append(failed, fmt.Sprintf("- **%s**: %s", mdEscape(name), mdEscape(n.Message)))
			}
			mw.printf("| %s | %s %s | %s | %s |\n", mdEscape(name), statusMark(n.Status), n.Status, fmtDur(n.Duration), strings.Join(ths, "<br>"))
			for _, ch := range n.Children {
				walk(name, ch)
			}
		}
		for _, tn := range s.Children {
			walk("", tn)
		}
		mw.printf("\n")
		if len(failed) > 0 {
			mw.printf("**Failures and skips**\n\n%s\n\n", strings.Join(failed, "\n"))
		}
		mw.printf("<details><summary>Metrics</summary>\n\n| Test | Metric | Value |\n|---|---|---:|\n")
		c.Walk(func(path []string, n *Node) {
			if path[0] != s.Name {
				return
			}
			for _, m := range n.Metrics {
				mw.printf("| %s | %s | %s |\n", mdEscape(strings.Join(path[1:], "/")), mdEscape(m.Name), mdEscape(fmtValue(m.Value, m.Unit)))
			}
		})
		mw.printf("\n</details>\n\n")
	}
	return mw.err
}

// mdEscape keeps a value from breaking a table row or starting markup.
func mdEscape(s string) string {
	r := strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ", "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "`", "'")
	return r.Replace(s)
}

// mdCode makes s safe inside a single-backtick code span in a table.
func mdCode(s string) string {
	return strings.NewReplacer("`", "'", "|", `\|`, "\n", " ").Replace(s)
}

func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}
