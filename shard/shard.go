// Package shard owns the files and the environment of a run split across
// processes: local shard processes, pods of a Kubernetes Indexed Job, jobs
// of a CI matrix. A shard is one process running slice i of N of a
// scenario (framework.Slice) from a shared epoch; it writes each interval
// as it is taken to <name>.intervals.jsonl and its whole framework.Result
// to <name>.result.json in one directory. Read collects a directory's
// results, Merge combines each scenario's slices exactly and says which
// are missing, and Tail follows the interval logs of shards still running,
// so a parent can merge them live.
//
// The environment every suite's compiled test binary honours:
//
//	MCPSTRESS_SHARD=i/N        this process runs slice i of N (0-based)
//	JOB_COMPLETION_INDEX=i     the same on Kubernetes, with
//	MCPSTRESS_SHARDS=N
//	MCPSTRESS_EPOCH=RFC 3339   when the load starts, the same for every shard
//	MCPSTRESS_SHARD_DIR=dir    where each shard writes its files
package shard

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mcpstress/mcpstress/framework"
)

// The environment variables of a shard (see the package comment).
const (
	ShardEnv    = "MCPSTRESS_SHARD"
	ShardsEnv   = "MCPSTRESS_SHARDS"
	JobIndexEnv = "JOB_COMPLETION_INDEX"
	EpochEnv    = "MCPSTRESS_EPOCH"
	DirEnv      = "MCPSTRESS_SHARD_DIR"
)

// Shard is what one shard process is told: its slice, the shared epoch
// and the directory it writes to.
type Shard struct {
	Slice framework.Slice
	Epoch time.Time
	Dir   string
}

// FromEnv reads the shard environment; ok is false when none of it is set
// (the process is not a shard). Every problem is reported at once: a slice
// without an epoch or a directory is an error, never a silent unsplit run.
func FromEnv() (s Shard, ok bool, err error) {
	return fromLookup(os.LookupEnv)
}

func fromLookup(lookup func(string) (string, bool)) (Shard, bool, error) {
	get := func(k string) string { v, _ := lookup(k); return strings.TrimSpace(v) }
	spec, shards, index := get(ShardEnv), get(ShardsEnv), get(JobIndexEnv)
	if spec == "" && shards == "" {
		if get(EpochEnv) != "" || get(DirEnv) != "" {
			return Shard{}, false, fmt.Errorf("%s or %s is set without %s (or %s with %s)", EpochEnv, DirEnv, ShardEnv, ShardsEnv, JobIndexEnv)
		}
		return Shard{}, false, nil
	}
	var errs []error
	var s Shard
	switch {
	case spec != "":
		sl, err := framework.ParseSlice(spec)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ShardEnv, err))
		}
		s.Slice = sl
	default:
		n, err1 := strconv.Atoi(shards)
		i, err2 := strconv.Atoi(index)
		if err1 != nil || err2 != nil {
			errs = append(errs, fmt.Errorf("%s=%q with %s=%q: want whole numbers (the Indexed Job sets %s)", ShardsEnv, shards, JobIndexEnv, index, JobIndexEnv))
		}
		s.Slice = framework.Slice{Index: i, Count: n}
		if err := s.Slice.Validate(); err != nil && err1 == nil && err2 == nil {
			errs = append(errs, err)
		}
	}
	if e := get(EpochEnv); e == "" {
		errs = append(errs, fmt.Errorf("%s is required: every shard starts its load at the same instant (RFC 3339, e.g. %s)", EpochEnv, time.Now().Add(time.Minute).UTC().Format(time.RFC3339)))
	} else if t, err := time.Parse(time.RFC3339Nano, e); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", EpochEnv, err))
	} else {
		s.Epoch = t
	}
	if s.Dir = get(DirEnv); s.Dir == "" {
		errs = append(errs, fmt.Errorf("%s is required: where this shard writes its result", DirEnv))
	}
	if err := errors.Join(errs...); err != nil {
		return Shard{}, true, err
	}
	return s, true, nil
}

// Env is the environment that makes a process shard s (for a parent that
// starts shard processes).
func (s Shard) Env() []string {
	return []string{
		ShardEnv + "=" + s.Slice.String(),
		EpochEnv + "=" + s.Epoch.UTC().Format(time.RFC3339Nano),
		DirEnv + "=" + s.Dir,
	}
}

// ScenarioEpoch is when the shards start scenario's load. The first
// scenario a process runs starts at the run's epoch (MCPSTRESS_EPOCH); a
// test that runs several (a ceiling, then the load) needs one instant per
// scenario too: the first shard to reach it writes <scenario>.epoch in the
// shared directory, a start allowance from now (never before the run's
// epoch), and every other shard reads it. The directory must be shared
// (a ReadWriteMany volume, one machine's disk); shards on machines that
// share none align only their first scenario.
func (s Shard) ScenarioEpoch(scenario string, allowance time.Duration) (time.Time, error) {
	path := filepath.Join(s.Dir, Base(scenario, framework.Slice{Index: 0, Count: s.Slice.Count})+".epoch")
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return time.Time{}, err
	}
	at := time.Now().Add(allowance)
	if at.Before(s.Epoch) {
		at = s.Epoch
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err == nil {
		_, werr := f.WriteString(at.UTC().Format(time.RFC3339Nano))
		cerr := f.Close()
		return at, errors.Join(werr, cerr)
	}
	if !errors.Is(err, os.ErrExist) {
		return time.Time{}, err
	}
	// Another shard created it: wait for its content (written at once).
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, rerr := os.ReadFile(path)
		if rerr == nil && len(b) > 0 {
			return time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("shard: %s stayed empty", path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitMerged waits (up to timeout) until every slice of scenario has
// written its result in dir and returns them merged: for a shard whose
// next step depends on the whole run (a level's rate set from the whole
// ceiling), which every shard then computes alike.
func WaitMerged(ctx context.Context, dir, scenario string, count int, timeout time.Duration) (*framework.Result, error) {
	deadline := time.Now().Add(timeout)
	for {
		groups, _ := Read(dir)
		for _, g := range groups {
			if g.Scenario == scenario && len(g.Parts) == count && g.Count == count {
				return g.Merge(dir)
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("shard: not every one of %d slices of %q wrote its result in %s within %v (a shared MCPSTRESS_SHARD_DIR is needed)", count, scenario, dir, timeout)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
