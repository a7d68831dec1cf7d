package regression

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Baseline is the stored reference for one suite: every metric's per-run
// samples and the environment they were measured in. It is stored as JSON
// under testdata/baselines/<suite>.json and rewritten golden-file style by a
// suite's -update-baseline flag.
type Baseline struct {
	Suite string `json:"suite"`
	// Created is the RFC 3339 time the baseline was written.
	Created string `json:"created"`
	// Commit identifies the code measured, when the caller knows it.
	Commit  string    `json:"commit,omitempty"`
	Command string    `json:"command,omitempty"`
	Env     Env       `json:"env"`
	Metrics []Samples `json:"metrics"`
	// Histograms optionally keeps each run's latency histogram (index =
	// run), V2 compressed and base64 encoded (EncodeHistogram), so tail
	// percentiles can be recomputed later.
	Histograms []string `json:"histograms,omitempty"`
}

// Validate reports every problem at once.
func (b Baseline) Validate() error {
	var errs []error
	if b.Suite == "" {
		errs = append(errs, errors.New("baseline: empty suite name"))
	}
	seen := map[string]bool{}
	for _, s := range b.Metrics {
		if err := s.Validate(); err != nil {
			errs = append(errs, err)
		}
		if seen[s.Metric.Name] {
			errs = append(errs, fmt.Errorf("baseline: duplicate metric %q", s.Metric.Name))
		}
		seen[s.Metric.Name] = true
	}
	for i, h := range b.Histograms {
		if _, err := DecodeHistogram(h); err != nil {
			errs = append(errs, fmt.Errorf("baseline: histogram %d: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

// BaselinePath is where the baseline of suite lives under dir
// (conventionally the module's testdata/baselines).
func BaselinePath(dir, suite string) string {
	return filepath.Join(dir, strings.ReplaceAll(suite, string(filepath.Separator), "_")+".json")
}

// LoadBaseline reads and validates a baseline. A missing file gives an error
// wrapping fs.ErrNotExist.
func LoadBaseline(path string) (Baseline, error) {
	var b Baseline
	data, err := readFileLimited(path)
	if err != nil {
		return b, err
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return b, fmt.Errorf("regression: baseline %s: %w", path, err)
	}
	if err := b.Validate(); err != nil {
		return b, fmt.Errorf("regression: baseline %s: %w", path, err)
	}
	return b, nil
}

// SaveBaseline validates b and writes it atomically (temporary file and
// rename), so a crashed update never leaves half a baseline.
func SaveBaseline(path string, b Baseline) error {
	if err := b.Validate(); err != nil {
		return err
	}
	return writeJSONAtomic(path, b)
}

// Gatekeeper compares a suite's results with its stored baseline in a test.
// The suite registers its own flag and passes it as Update:
//
//	var updateBaseline = flag.Bool("update-baseline", false, "rewrite testdata/baselines")
//
//	gk := regression.Gatekeeper{Path: regression.BaselinePath("../../testdata/baselines", "baseline"),
//		Suite: "baseline", Update: *updateBaseline}
//	gk.Check(t, samples)
type Gatekeeper struct {
	Path  string
	Suite string
	// Update rewrites the baseline with the current samples instead of
	// comparing.
	Update bool
	Config Config
	// Env is the environment of the current samples; zero means
	// CurrentEnv().
	Env     Env
	Commit  string
	Command string
	// FailAt is the lowest severity that fails the test. The zero value
	// (SeverityNone) fails on every flagged regression (significant and at
	// least Config.MinEffect).
	FailAt Severity
	// FailOnInconclusive fails the test when a metric could not be
	// decided; otherwise that is logged loudly.
	FailOnInconclusive bool
	// AllowMissing logs instead of failing when there is no baseline yet.
	AllowMissing bool
}

// Check compares current with the baseline (or rewrites it when Update is
// set), logs the table, warns when the baseline came from another machine
// kind, and fails tb for regressions at FailAt or above.
func (g Gatekeeper) Check(tb testing.TB, current []Samples) Report {
	tb.Helper()
	env := g.Env
	if env == (Env{}) {
		env = CurrentEnv()
	}
	if g.Update {
		b := Baseline{Suite: g.Suite, Created: time.Now().UTC().Format(time.RFC3339), Commit: g.Commit,
			Command: g.Command, Env: env, Metrics: current}
		if err := SaveBaseline(g.Path, b); err != nil {
			tb.Fatalf("regression: writing baseline: %v", err)
		}
		tb.Logf("regression: baseline %s rewritten with %d metrics", g.Path, len(current))
		return Report{}
	}
	base, err := LoadBaseline(g.Path)
	if errors.Is(err, fs.ErrNotExist) {
		msg := fmt.Sprintf("regression: no baseline at %s; run with -update-baseline to create it", g.Path)
		if g.AllowMissing {
			tb.Log(msg)
		} else {
			tb.Error(msg)
		}
		return Report{}
	}
	if err != nil {
		tb.Fatalf("regression: %v", err)
	}
	rep, err := Compare(g.Config, base.Metrics, current)
	if err != nil {
		tb.Fatalf("regression: %v", err)
	}
	if mm := base.Env.Mismatches(env); len(mm) > 0 {
		w := fmt.Sprintf("baseline %s was measured on another machine kind (%s); differences may be the machine, not the code",
			g.Path, strings.Join(mm, "; "))
		rep.Warnings = append(rep.Warnings, w)
	}
	var sb strings.Builder
	if err := WriteTable(&sb, rep, "baseline", "current"); err != nil {
		tb.Fatalf("regression: %v", err)
	}
	tb.Log("\n" + sb.String())
	for _, c := range rep.Comparisons {
		switch {
		case c.Flagged() && c.Severity >= g.FailAt:
			tb.Errorf("regression: %s %s: %s worse (CI %s to %s), q=%.3g", c.Metric.Name, c.Severity,
				formatDelta(c.Worse), formatDelta(c.WorseCI.Lo), formatDelta(c.WorseCI.Hi), c.Q)
		case c.Verdict == Inconclusive && g.FailOnInconclusive:
			tb.Errorf("regression: %s inconclusive: %s", c.Metric.Name, c.Reason)
		}
	}
	return rep
}

// CheckAgainstBaseline is Gatekeeper{Path: path, Suite: base name of path,
// Update: update}.Check(tb, current).
func CheckAgainstBaseline(tb testing.TB, path string, current []Samples, update bool) Report {
	tb.Helper()
	suite := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	return Gatekeeper{Path: path, Suite: suite, Update: update}.Check(tb, current)
}
