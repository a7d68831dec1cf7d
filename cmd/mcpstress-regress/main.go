// Command mcpstress-regress compares stored results with the regression
// package outside `go test`:
//
//	mcpstress-regress compare [-alpha 0.05] [-correction holm|bh|none] [-allow-inconclusive] old.json new.json
//	mcpstress-regress compare [flags] OLD... -- NEW...
//	mcpstress-regress bench [-name echo] results.json > results.txt   # for benchstat
//	mcpstress-regress eval [-trials 2000] [-alpha 0.05] corpus.json
//
// Input files are baselines (testdata/baselines) or noise corpora
// (testdata/noise): any JSON object with a "metrics" list of samples,
// at most regression.MaxFileBytes (64 MiB) each. compare also reads, on
// either side and mixed:
//
//   - report.json files (what every suite writes, schema v1): one run
//     each, every metric with a direction, named "suite/test/metric"
//     (regression.MetricKey); a suite's stored runs (-update-baseline
//     keeps them in DIR/<suite>/*.json) are such files;
//   - Go benchmark format files (bench.txt, `go test -bench` output): each
//     result line is one run of "<benchmark>/<unit>"; a unit needs a
//     "Unit ... better=" line unless go test defines it (ns/op, B/op,
//     allocs/op, MB/s);
//   - directories, for every *.json and bench.txt below them.
//
// Values of one metric from several files are one sample; report.json
// files are taken in the order they started. When the new side has one
// run (one report.json), each metric is judged against the old side as
// its history (regression.CompareHistory: at least 10 runs, else
// inconclusive); otherwise the two sets are compared
// (regression.Compare). Only files of one kind line up: a report.json
// metric and a bench.txt metric have different names.
//
//	mcpstress-regress compare reports/baselines/baseline -- reports/baseline-20261201T100000Z/report.json
//	mcpstress-regress compare old/bench.txt -- new/bench.txt
//
// Exit codes:
//
//	0  no regression (compare), or the bench/eval output was written
//	1  compare flagged at least one regression
//	2  compare could not decide: some comparison is inconclusive (too few
//	   runs, a metric missing on one side), unless -allow-inconclusive is
//	   given; or a usage, input or I/O error
//
// A regression outranks inconclusive comparisons: when both occur the exit
// code is 1.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/mcpstress/mcpstress/regression"
)

func main() {
	err := run(os.Args[1:], os.Stdout)
	if err != nil && !errors.Is(err, errFlagged) {
		fmt.Fprintln(os.Stderr, "mcpstress-regress:", err)
	}
	os.Exit(exitCode(err))
}

// Exit codes (see the package comment).
const (
	exitOK           = 0
	exitRegression   = 1
	exitInconclusive = 2 // also usage, input and I/O errors
)

var (
	errFlagged      = errors.New("regressions flagged")
	errInconclusive = errors.New("inconclusive comparisons (pass -allow-inconclusive to accept them)")
)

// exitCode maps run's error to the process exit code.
func exitCode(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errFlagged):
		return exitRegression
	default:
		return exitInconclusive
	}
}

// results is the part of a baseline or noise corpus this command reads.
type results struct {
	Env     regression.Env       `json:"env"`
	Metrics []regression.Samples `json:"metrics"`
}

func load(path string) (results, error) {
	var r results
	b, err := readLimited(path, regression.MaxFileBytes)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("%s: %w", path, err)
	}
	if len(r.Metrics) == 0 {
		return r, fmt.Errorf("%s: no metrics", path)
	}
	return r, nil
}

// readLimited reads path, refusing a file larger than limit bytes rather
// than reading it whole into memory.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: larger than the %d-byte input limit", path, limit)
	}
	return b, nil
}

// splitSides splits compare's arguments at "--" (OLD... -- NEW...); without
// it there must be exactly two, old and new.
func splitSides(args []string) (old, cur []string, err error) {
	for i, a := range args {
		if a == "--" {
			if i == 0 || i == len(args)-1 {
				return nil, nil, errors.New("compare needs files on both sides of --")
			}
			return args[:i], args[i+1:], nil
		}
	}
	if len(args) != 2 {
		return nil, nil, errors.New("compare needs old.json new.json, or OLD... -- NEW...")
	}
	return args[:1], args[1:], nil
}

func run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: mcpstress-regress compare|bench|eval [flags] files")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	alpha := fs.Float64("alpha", regression.DefaultAlpha, "significance level after correction")
	corr := fs.String("correction", "holm", "holm, bh or none")
	name := fs.String("name", "mcpstress", "benchmark name for bench")
	trials := fs.Int("trials", 2000, "trials per cell for eval")
	allowInconclusive := fs.Bool("allow-inconclusive", false, "compare: exit 0 rather than 2 when some comparison is inconclusive")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg := regression.Config{Alpha: *alpha}
	switch *corr {
	case "holm":
		cfg.Correction = regression.Holm
	case "bh":
		cfg.Correction = regression.BenjaminiHochberg
	case "none":
		cfg.Correction = regression.NoCorrection
	default:
		return fmt.Errorf("unknown correction %q", *corr)
	}
	files := fs.Args()
	switch args[0] {
	case "compare":
		oldArgs, newArgs, err := splitSides(files)
		if err != nil {
			return err
		}
		old, err := loadSide(oldArgs)
		if err != nil {
			return err
		}
		cur, err := loadSide(newArgs)
		if err != nil {
			return err
		}
		var rep regression.Report
		if cur.set.MaxValues() == 1 {
			// One current run: judged against each metric's history.
			rep, err = regression.CompareHistory(cfg, regression.GateConfig{}, old.set.Samples(), cur.set.Samples())
		} else {
			rep, err = regression.Compare(cfg, old.set.Samples(), cur.set.Samples())
		}
		if err != nil {
			return err
		}
		rep.Warnings = append(rep.Warnings, old.set.Warnings()...)
		rep.Warnings = append(rep.Warnings, cur.set.Warnings()...)
		if mm := old.env.Mismatches(cur.env); len(mm) > 0 && old.env != (regression.Env{}) && cur.env != (regression.Env{}) {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("measured on different machine kinds: %v", mm))
		}
		for k := range cur.kinds {
			if len(old.kinds) > 0 && !old.kinds[k] {
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("the current reports' machine (%s) is not among the baseline's: differences may be the machine, not the code", k))
			}
		}
		if err := regression.WriteTable(out, rep, old.label("baseline"), cur.label("current")); err != nil {
			return err
		}
		if len(rep.Flagged()) > 0 {
			return errFlagged
		}
		if n := rep.Count(regression.Inconclusive); n > 0 && !*allowInconclusive {
			return fmt.Errorf("%d of %d: %w", n, len(rep.Comparisons), errInconclusive)
		}
		return nil
	case "bench":
		if len(files) != 1 {
			return errors.New("bench needs one file")
		}
		r, err := load(files[0])
		if err != nil {
			return err
		}
		return regression.WriteBenchFormat(out, *name, r.Env, r.Metrics)
	case "eval":
		if len(files) != 1 {
			return errors.New("eval needs one corpus file")
		}
		c, err := regression.LoadNoiseCorpus(files[0])
		if err != nil {
			return err
		}
		rep, err := regression.Evaluate(c, regression.EvalConfig{
			Compare: cfg, Trials: *trials, RunsPerSide: []int{5, 10, 20}, Seed: 20261123,
			Conditions: []regression.Injection{
				{Name: "step +10%", Kind: regression.InjectStep, Size: 0.10},
				{Name: "step +20%", Kind: regression.InjectStep, Size: 0.20},
				{Name: "improve 10%", Kind: regression.InjectImprove, Size: 0.10},
				{Name: "A/A in time order", Kind: regression.InjectSequential},
			},
		})
		if err != nil {
			return err
		}
		return regression.WriteEvalTable(out, rep)
	}
	return fmt.Errorf("unknown command %q", args[0])
}
