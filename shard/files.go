package shard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/internal/atomicfile"
)

// File name suffixes of a shard's two files.
const (
	ResultSuffix    = ".result.json"
	IntervalsSuffix = ".intervals.jsonl"
)

// MaxResultBytes bounds what ReadResult reads: a larger file is refused
// rather than held in memory.
const MaxResultBytes = 512 << 20

// Base is the file name stem of a scenario's slice,
// "<scenario>.shard-<i>-of-<N>", the scenario's name made safe for a file
// name.
func Base(scenario string, sl framework.Slice) string {
	safe := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, scenario)
	n := max(sl.Count, 1)
	return fmt.Sprintf("%s.shard-%d-of-%d", safe, sl.Index, n)
}

// IntervalsPath is where the shard's interval log goes.
func IntervalsPath(dir, scenario string, sl framework.Slice) string {
	return filepath.Join(dir, Base(scenario, sl)+IntervalsSuffix)
}

// ResultPath is where the shard's result goes.
func ResultPath(dir, scenario string, sl framework.Slice) string {
	return filepath.Join(dir, Base(scenario, sl)+ResultSuffix)
}

// WriteResult writes r into dir atomically (a reader sees it whole or not
// at all).
func WriteResult(dir string, r *framework.Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("shard: %w", err)
	}
	return atomicfile.Write(ResultPath(dir, r.Scenario, r.Slice), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		return enc.Encode(r)
	})
}

// ReadResult reads one result file, at most MaxResultBytes of it.
func ReadResult(path string) (*framework.Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxResultBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > MaxResultBytes {
		return nil, fmt.Errorf("%s: larger than %d MiB", path, MaxResultBytes>>20)
	}
	var r framework.Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := r.Slice.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

// ReadIntervals reads an interval log; a torn last line (the shard died
// while writing it) is left out, not an error.
func ReadIntervals(path string) ([]framework.IntervalSnapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t := &Tail{f: f}
	return t.Next()
}

// Tail follows an interval log that a running shard appends to: each Next
// returns the intervals completed since the last call. Only whole lines are
// read, so a line being written is picked up next time.
type Tail struct {
	path    string
	f       *os.File
	pending []byte
}

// NewTail follows the log at path (it may not exist yet).
func NewTail(path string) *Tail { return &Tail{path: path} }

// Next returns the new complete intervals.
func (t *Tail) Next() ([]framework.IntervalSnapshot, error) {
	if t.f == nil {
		f, err := os.Open(t.path)
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		t.f = f
	}
	b, err := io.ReadAll(io.LimitReader(t.f, 64<<20))
	if err != nil {
		return nil, err
	}
	t.pending = append(t.pending, b...)
	var out []framework.IntervalSnapshot
	for {
		i := bytes.IndexByte(t.pending, '\n')
		if i < 0 {
			break
		}
		line := t.pending[:i]
		t.pending = t.pending[i+1:]
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var s framework.IntervalSnapshot
		if err := json.Unmarshal(line, &s); err != nil {
			return out, fmt.Errorf("%s: %w", t.path, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// Close releases the file.
func (t *Tail) Close() error {
	if t.f == nil {
		return nil
	}
	return t.f.Close()
}

// Group is one scenario's shard results in a directory.
type Group struct {
	Scenario string
	// Count is the number of slices the scenario was split into.
	Count int
	// Parts are the results present, by slice index.
	Parts []*framework.Result
	// Missing lists the slices with no result file at all; Unfinished
	// those that left an interval log but no result (the process died).
	Missing, Unfinished []int
	// Problems says, one line each, what is wrong with the group.
	Problems []string
}

// Complete reports whether every slice is there and finished.
func (g Group) Complete() bool {
	return len(g.Missing) == 0 && len(g.Unfinished) == 0 && len(g.Problems) == 0
}

// Read collects the shard results in dir, grouped by scenario, and notes
// every slice that is missing or did not finish. It fails only when dir
// cannot be read or holds no shard file at all.
func Read(dir string) ([]Group, error) {
	results, err := filepath.Glob(filepath.Join(dir, "*"+ResultSuffix))
	if err != nil {
		return nil, err
	}
	logs, err := filepath.Glob(filepath.Join(dir, "*"+IntervalsSuffix))
	if err != nil {
		return nil, err
	}
	if len(results) == 0 && len(logs) == 0 {
		return nil, fmt.Errorf("shard: no %s or %s files in %s", ResultSuffix, IntervalsSuffix, dir)
	}
	groups := map[string]*Group{}
	var readErrs []string
	for _, p := range results {
		r, err := ReadResult(p)
		if err != nil {
			readErrs = append(readErrs, err.Error())
			continue
		}
		g := groups[r.Scenario]
		if g == nil {
			g = &Group{Scenario: r.Scenario, Count: max(r.Slice.Count, 1)}
			groups[r.Scenario] = g
		}
		if c := max(r.Slice.Count, 1); c != g.Count {
			g.Problems = append(g.Problems, fmt.Sprintf("%s: slice %s of a run split %d ways, others %d ways", filepath.Base(p), r.Slice, c, g.Count))
			continue
		}
		g.Parts = append(g.Parts, r)
	}
	out := make([]Group, 0, len(groups))
	for _, g := range groups {
		sort.Slice(g.Parts, func(i, j int) bool { return g.Parts[i].Slice.Index < g.Parts[j].Slice.Index })
		have := map[int]bool{}
		for _, r := range g.Parts {
			if have[r.Slice.Index] {
				g.Problems = append(g.Problems, fmt.Sprintf("slice %s appears twice", r.Slice))
			}
			have[r.Slice.Index] = true
		}
		for i := range g.Count {
			if have[i] {
				continue
			}
			sl := framework.Slice{Index: i, Count: g.Count}
			if _, err := os.Stat(IntervalsPath(dir, g.Scenario, sl)); err == nil {
				g.Unfinished = append(g.Unfinished, i)
				g.Problems = append(g.Problems, fmt.Sprintf("slice %s did not finish: its interval log is there, its result is not (the process died or was stopped)", sl))
			} else {
				g.Missing = append(g.Missing, i)
				g.Problems = append(g.Problems, fmt.Sprintf("slice %s is missing: no result and no interval log", sl))
			}
		}
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Scenario < out[j].Scenario })
	if len(readErrs) > 0 {
		return out, fmt.Errorf("shard: unreadable results: %s", strings.Join(readErrs, "; "))
	}
	return out, nil
}

// Merge combines the group's slices into one result. A slice that did not
// finish contributes the intervals it logged, and every request its share
// of the plan still owed after its last logged interval counts as a
// transport error (its sessions died with it), so the merged count stays
// exact. A missing slice contributes nothing; the group's Problems say so,
// and the result's Warnings carry them.
func (g Group) Merge(dir string) (*framework.Result, error) {
	if len(g.Parts) == 0 {
		return nil, fmt.Errorf("shard: scenario %q: no slice finished", g.Scenario)
	}
	var merged framework.Result
	first := true
	add := func(r *framework.Result) error {
		if first {
			merged, first = *r, false
			merged.Slice = framework.Slice{}
			merged.Parts = max(r.Parts, 1)
			return nil
		}
		return merged.Merge(r)
	}
	for _, r := range g.Parts {
		if err := add(r); err != nil {
			return nil, err
		}
	}
	for _, i := range g.Unfinished {
		sl := framework.Slice{Index: i, Count: g.Count}
		iv, err := ReadIntervals(IntervalsPath(dir, g.Scenario, sl))
		if err != nil && len(iv) == 0 {
			return nil, err
		}
		if err := add(deadSlice(g.Parts[0], sl, iv)); err != nil {
			return nil, err
		}
	}
	merged.Warnings = append(merged.Warnings, g.Problems...)
	return &merged, nil
}

// deadSlice stands for a slice whose process died: what it logged, and its
// share of the plan (the same as a sibling's, since the plan is dealt out
// evenly) beyond that as transport errors.
func deadSlice(sibling *framework.Result, sl framework.Slice, iv []framework.IntervalSnapshot) *framework.Result {
	r := &framework.Result{
		Scenario: sibling.Scenario, Model: sibling.Model, Target: sibling.Target,
		Epoch: sibling.Epoch, Interval: sibling.Interval, Start: sibling.Start, End: sibling.End,
		LoadDuration: sibling.LoadDuration, Offered: sibling.Offered, Slice: sl, Parts: 1,
		ByOp: map[string]framework.OutcomeCounts{}, Intervals: iv,
	}
	_ = r.FromIntervals() // an interval that cannot be decoded keeps its counts, loses its latencies
	logged := r.Counts()
	owed := uint64(math.Round(sibling.Offered))
	if sibling.Model == framework.ClosedModel {
		owed = sibling.Scheduled // the closed model's plan is what it scheduled
	}
	lost := uint64(0)
	if owed > logged.Total() {
		lost = owed - logged.Total()
	}
	r.Scheduled = logged.Total() + lost
	if lost > 0 {
		op := "lost"
		for name := range sibling.ByOp {
			op = name
			break
		}
		oc := r.ByOp[op]
		oc.TransportError += lost
		r.ByOp[op] = oc
	}
	// Its sessions are not known to have opened: they count as requested
	// and not opened, so the merged run fails its sessions check.
	r.Ramp = framework.RampStats{Requested: sibling.Ramp.Requested, Failed: sibling.Ramp.Requested,
		Errors: map[string]int{"shard " + sl.String() + " died": sibling.Ramp.Requested}}
	r.Warnings = []string{fmt.Sprintf("slice %s died: %d requests it logged, %d more of its share counted as transport errors", sl, logged.Total(), lost)}
	return r
}
