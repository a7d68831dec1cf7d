// Command mcpstress-merge merges the results of a run split across shard
// processes, pods or CI jobs, and judges the merged data:
//
//	mcpstress-merge [-suite NAME] [-report-dir OUT] [-expect N] DIR
//
// DIR holds what every shard wrote (MCPSTRESS_SHARD_DIR): <scenario>.shard-
// <i>-of-<N>.result.json and .intervals.jsonl. For each scenario the slices
// are merged exactly (counts add up, histograms merge losslessly, intervals
// align on the epoch grid), the scenario's thresholds and the run's own
// checks (every request accounted for, every session opened, the plan
// completed, every slice present and finished) are judged on the merged
// result, and the usual reports (report.json, report.html, junit.xml, …)
// are written into OUT (default DIR). A missing slice, or one that died
// (its interval log without a result), is reported and fails the merge;
// the dead slice's share counts as transport errors.
//
// Exit status: 0 every merged verdict passed; 1 a verdict failed or a
// slice is missing; 2 bad usage or nothing to merge.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/judge"
	"github.com/mcpstress/mcpstress/report"
	"github.com/mcpstress/mcpstress/shard"
	"github.com/mcpstress/mcpstress/verdict"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mcpstress-merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	suite := fs.String("suite", "merged", "suite name in the reports")
	out := fs.String("report-dir", "", "where the reports go (default: DIR)")
	expect := fs.Int("expect", 0, "the number of shards expected (default: what the results say)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mcpstress-merge [-suite NAME] [-report-dir OUT] [-expect N] DIR")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	dir := fs.Arg(0)
	if *out == "" {
		*out = dir
	}
	groups, err := shard.Read(dir)
	if len(groups) == 0 {
		fmt.Fprintf(stderr, "mcpstress-merge: %v\n", err)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "mcpstress-merge: %v\n", err) // some files unreadable: judged below as missing
	}
	started := time.Now()
	for _, g := range groups {
		if !g.Parts[0].Epoch.IsZero() && g.Parts[0].Epoch.Before(started) {
			started = g.Parts[0].Epoch
		}
	}
	b := report.NewBuilder(*suite+"-merged-"+started.UTC().Format("20060102T150405Z"), started,
		report.DetectEnvironment(groups[0].Parts[0].Target, "merged"), nil)
	defer b.Close()
	failed := false
	for _, g := range groups {
		n, ok := judgeGroup(g, dir, *expect, started, stdout)
		failed = failed || !ok
		b.AddResult(*suite, n)
	}
	paths, err := report.WriteAll(*out, b.Snapshot())
	if err != nil {
		fmt.Fprintf(stderr, "mcpstress-merge: writing reports: %v\n", err)
		return 2
	}
	fmt.Fprintf(stdout, "reports written to %s (%d files)\n", *out, len(paths))
	if failed {
		return 1
	}
	return 0
}

// judgeGroup merges one scenario's slices and judges the result: its
// thresholds, the run's checks, and that every slice was there.
func judgeGroup(g shard.Group, dir string, expect int, started time.Time, stdout io.Writer) (*report.Node, bool) {
	name := g.Scenario
	complete := verdict.Check{Expr: fmt.Sprintf("every slice of %d present and finished", g.Count), Metric: "slices",
		Measured: float64(len(g.Parts)), Pass: g.Complete()}
	if expect > 0 && expect != g.Count {
		complete.Pass = false
		complete.Detail = fmt.Sprintf("the run was split %d ways, %d expected; ", g.Count, expect)
	}
	for _, p := range g.Problems {
		complete.Detail += p + "; "
	}
	merged, err := g.Merge(dir)
	if err != nil {
		n := report.NewTest(name, report.StatusFailed, 0)
		n.Message = err.Error()
		n.AddCheck(complete)
		fmt.Fprintf(stdout, "✗ %s: %v\n", name, err)
		return n, false
	}
	ths, err := framework.ParseThresholds(merged.ThresholdExprs)
	if err != nil {
		merged.Warnings = append(merged.Warnings, "thresholds: "+err.Error())
	}
	sum := framework.Summarize(merged, ths)
	n := judge.SummaryNode(name, sum, started, true)
	checks := append([]verdict.Check{complete}, judge.RunChecks(sum)...)
	checks = append(checks, judge.Thresholds(sum)...)
	n.AddCheck(checks...)
	ok := true
	for _, c := range checks {
		if c.Failed() {
			ok = false
		}
	}
	n.Status = report.StatusPassed
	if !ok {
		n.Status = report.StatusFailed
		n.Message = "failed: " + failedExprs(checks)
	}
	fmt.Fprintf(stdout, "%s %s: %d slices merged; %s\n", mark(ok), name, merged.Parts, oneLine(sum))
	for _, c := range checks {
		fmt.Fprintf(stdout, "  %s\n", c)
	}
	return n, ok
}

func failedExprs(cs []verdict.Check) string {
	var s string
	for _, c := range cs {
		if c.Failed() {
			if s != "" {
				s += "; "
			}
			s += c.Expr
		}
	}
	return s
}

func oneLine(sum *framework.Summary) string {
	l := sum.Latency.Corrected
	return fmt.Sprintf("%d scheduled, %.1f/s achieved of %.1f/s offered, p50 %v p95 %v p99 %v, %d errors, %d dropped",
		sum.Scheduled, sum.AchievedRate, sum.OfferedRate, l.P50, l.P95, l.P99, sum.Counts.Errors(), sum.Counts.Dropped)
}

func mark(ok bool) string {
	if ok {
		return verdict.MarkPass
	}
	return verdict.MarkFail
}
