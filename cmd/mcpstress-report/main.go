// Command mcpstress-report reads reports the suites wrote:
//
//	mcpstress-report table DIR...
//
// table reads DIR/report.json for each DIR (a path to a report.json file
// works too) and prints one table across the suites: per test the verdict,
// msg/s, p50/p95/p99 latency, errors, drops and the test's headline figure,
// then the failed and skipped tests and each suite's report.html
// (report.Digest). `make demo` ends with it.
//
// Exit codes:
//
//	0  every test passed or was skipped
//	1  a test (or a suite) failed
//	2  usage error, or a report that could not be read (the table still
//	   shows the reports that could)
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mcpstress/mcpstress/report"
)

// Exit codes (see the package comment).
const (
	exitOK     = 0
	exitFailed = 1
	exitInput  = 2
)

const usage = `usage: mcpstress-report table DIR...

table   one table across the suites' reports (DIR/report.json)`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return exitInput
	}
	switch args[0] {
	case "table":
		return table(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "mcpstress-report: unknown command %q\n%s\n", args[0], usage)
	return exitInput
}

func table(dirs []string, stdout, stderr io.Writer) int {
	if len(dirs) == 0 {
		fmt.Fprintf(stderr, "mcpstress-report table: no report directory given\n%s\n", usage)
		return exitInput
	}
	var runs []report.DigestRun
	var errs []error
	failed := false
	for _, d := range dirs {
		dr, err := load(d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		runs = append(runs, dr)
		failed = failed || anyFailed(dr.Run)
	}
	if len(runs) > 0 {
		fmt.Fprint(stdout, report.Digest(runs...))
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintf(stderr, "mcpstress-report table: %v\n", err)
		return exitInput
	}
	if failed {
		return exitFailed
	}
	return exitOK
}

// load reads the report.json of a report directory, or the file itself
// when arg is a .json file.
func load(arg string) (report.DigestRun, error) {
	path, dir := filepath.Join(arg, "report.json"), arg
	if fi, err := os.Stat(arg); strings.HasSuffix(arg, ".json") && (err != nil || !fi.IsDir()) {
		path, dir = arg, filepath.Dir(arg)
	}
	f, err := os.Open(path)
	if err != nil {
		return report.DigestRun{}, fmt.Errorf("cannot read the report: %w", err)
	}
	defer f.Close()
	rep, err := report.ReadJSON(f)
	if err != nil {
		return report.DigestRun{}, fmt.Errorf("%s: %w", path, err)
	}
	return report.DigestRun{Run: rep.Run, Dir: dir}, nil
}

// anyFailed reports whether a suite of the run failed or erred: a suite
// takes the worst verdict of its tests and its own checks.
func anyFailed(r *report.Run) bool {
	c := r.Clone()
	c.Normalize()
	for _, s := range c.Suites {
		if s.Status == report.StatusFailed || s.Status == report.StatusError {
			return true
		}
	}
	return false
}
