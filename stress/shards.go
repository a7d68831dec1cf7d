package stress

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/internal/tailbuf"
	"github.com/mcpstress/mcpstress/shard"
)

// runnerEnv names the spec file of a local shard process: the test binary
// re-executed by a parent RunWith with Options.Shards, which runs one slice
// of the parent's scenario and exits before any test runs.
const runnerEnv = "MCPSTRESS_SHARD_RUNNER"

func init() {
	if spec := os.Getenv(runnerEnv); spec != "" {
		os.Exit(runShardProcess(spec))
	}
}

// runnerSpec is what a parent tells a local shard process.
type runnerSpec struct {
	Scenario framework.Scenario `json:"scenario"`
	Target   string             `json:"target"`
	Client   client.Options     `json:"client"`
	Shard    struct {
		Slice framework.Slice `json:"slice"`
		Epoch time.Time       `json:"epoch"`
		Dir   string          `json:"dir"`
	} `json:"shard"`
}

// runShardProcess runs one slice as a local shard: it writes its interval
// log as it goes and its result at the end, also when it is stopped by
// SIGINT or SIGTERM (in-flight requests counted as cancelled).
func runShardProcess(specPath string) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, "mcpstress shard: "+format+"\n", a...)
		return 2
	}
	b, err := os.ReadFile(specPath)
	if err != nil {
		return fail("%v", err)
	}
	var spec runnerSpec
	if err := json.Unmarshal(b, &spec); err != nil {
		return fail("%s: %v", specPath, err)
	}
	tgt, err := client.ParseTarget(spec.Target, spec.Client)
	if err != nil {
		return fail("%v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sh := shard.Shard{Slice: spec.Shard.Slice, Epoch: spec.Shard.Epoch, Dir: spec.Shard.Dir}
	sum, err := framework.Run(ctx, tgt, shardScenario(spec.Scenario, sh), framework.RunOptions{Slice: sh.Slice, Epoch: sh.Epoch})
	if sum == nil {
		return fail("%v", err)
	}
	if err := shard.WriteResult(sh.Dir, &sum.Result); err != nil {
		return fail("%v", err)
	}
	return 0
}

// shardScenario is sc as one shard runs it: its interval log goes to the
// shard directory as each interval is taken, so a parent can follow it and
// a crash loses at most one interval.
func shardScenario(sc framework.Scenario, sh shard.Shard) framework.Scenario {
	sc.Config.Storage = framework.StorageDisk
	sc.Config.StoragePath = shard.IntervalsPath(sh.Dir, sc.Name, sh.Slice)
	return sc
}

// finishShard writes a shard's result (the environment's shard) and leaves
// the verdicts to the merge: thresholds judged on one slice would judge a
// part of the run.
func finishShard(tb testing.TB, sh shard.Shard, sum *framework.Summary) {
	tb.Helper()
	if err := shard.WriteResult(sh.Dir, &sum.Result); err != nil {
		tb.Errorf("stress: shard %s: %v", sh.Slice, err)
	}
	if len(sum.Thresholds) > 0 {
		sum.Thresholds = nil
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("shard %s: the thresholds are judged on the merged result (mcpstress-merge %s), not on this slice", sh.Slice, sh.Dir))
	}
	tb.Logf("shard %s: result written to %s", sh.Slice, shard.ResultPath(sh.Dir, sum.Scenario, sh.Slice))
}

// startAllowance is how long a parent gives its shard processes to start
// and open their sessions before the shared epoch: the ramp at the
// scenario's connect rate (when unset, 1,200 sessions/s: what shards and
// many reference-server processes sharing 2 cores reach at 100,000
// sessions; 3,000/s with one of each), plus a margin.
func startAllowance(sc framework.Scenario, n int) time.Duration {
	rate := sc.ConnectRate
	if rate <= 0 {
		rate = 1200
	}
	ramp := time.Duration(float64(sc.Sessions) / rate * float64(time.Second))
	return ramp + 2*time.Second + time.Duration(n)*100*time.Millisecond
}

// localShard is one shard process of a parent.
type localShard struct {
	slice  framework.Slice
	cmd    *exec.Cmd
	stderr *tailbuf.Buffer
	tail   *shard.Tail
	done   chan struct{}
	err    error
}

// runLocalShards runs sc as n shard processes of this test binary against
// res, from one epoch, and merges them: live each interval (progress lines
// and the aborting thresholds are global), and exactly at the end. A
// stopped run (ctx) stops every shard; a shard that dies is reported and
// its share counts as transport errors from then on (shard.Group.Merge).
func runLocalShards(tb testing.TB, ctx context.Context, res Resolved, sc framework.Scenario, copts client.Options, ropts framework.RunOptions, n int, dir string) (*framework.Summary, error) {
	tb.Helper()
	if sc.Pacer != nil {
		return nil, errors.New("local shards need a rate or stages, not a custom pacer (it cannot be sent to another process)")
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	if dir == "" {
		dir = tb.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	cfg := sc.Config.WithDefaults()
	epoch := time.Now().Add(startAllowance(sc, n)).Truncate(time.Millisecond)
	ths, _ := framework.ParseThresholds(sc.Thresholds) // validated by the caller
	copts.Stderr, copts.OnNotification = nil, nil
	shards := make([]*localShard, n)
	for i := range shards {
		sl := framework.Slice{Index: i, Count: n}
		var spec runnerSpec
		spec.Scenario, spec.Target, spec.Client = sc, res.Target.String(), copts
		spec.Shard.Slice, spec.Shard.Epoch, spec.Shard.Dir = sl, epoch, dir
		b, err := json.Marshal(spec)
		if err != nil {
			return nil, err
		}
		path := filepath.Join(dir, fmt.Sprintf("runner-%d.json", i))
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return nil, err
		}
		ls := &localShard{slice: sl, stderr: tailbuf.New(8 << 10), done: make(chan struct{}),
			tail: shard.NewTail(shard.IntervalsPath(dir, sc.Name, sl))}
		ls.cmd = exec.Command(exe, "-test.run=^$")
		ls.cmd.Env = append(os.Environ(), runnerEnv+"="+path)
		ls.cmd.Stdout, ls.cmd.Stderr = ls.stderr, ls.stderr
		if err := ls.cmd.Start(); err != nil {
			for _, s := range shards[:i] {
				_ = s.cmd.Process.Kill()
				<-s.done
			}
			return nil, fmt.Errorf("starting shard %s: %w", sl, err)
		}
		go func() { ls.err = ls.cmd.Wait(); close(ls.done) }()
		shards[i] = ls
	}
	logf := ropts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	logf("%s: %d local shard processes, %d sessions, load from %s", sc.Name, n, sc.Sessions, epoch.Format(time.RFC3339Nano))

	sampler := framework.NewSampler(res.PIDs...)
	first := sampler.Sample(time.Now())
	live := map[int]framework.IntervalSnapshot{}
	serverAt := map[int]framework.ResourceSample{}
	emitted := -1
	var cumErrors, cumDropped uint64
	stopped, abortedBy := "", ""
	signalAll := func(sig os.Signal) {
		for _, s := range shards {
			select {
			case <-s.done:
			default:
				_ = s.cmd.Process.Signal(sig)
			}
		}
	}
	allDone := func() bool {
		for _, s := range shards {
			select {
			case <-s.done:
			default:
				return false
			}
		}
		return true
	}
	// Ticks half an interval after each grid line, so the shards have
	// written the interval that just closed.
	timer := time.NewTimer(time.Until(epoch.Add(cfg.CollectionInterval + cfg.CollectionInterval/2)))
	defer timer.Stop()
	var killAt time.Time
	for k := 1; !allDone(); {
		select {
		case <-ctx.Done():
			if stopped == "" {
				stopped = fmt.Sprintf("stopped: %v", context.Cause(ctx))
				signalAll(os.Interrupt)
				killAt = time.Now().Add(cfg.MessageTimeout + 5*time.Second)
			}
		case <-timer.C:
		}
		if !killAt.IsZero() && time.Now().After(killAt) {
			signalAll(os.Kill)
		}
		for _, s := range shards {
			ivs, err := s.tail.Next()
			if err != nil {
				logf("shard %s: %v", s.slice, err)
			}
			for _, iv := range ivs {
				if have, ok := live[iv.Index]; ok {
					merged, err := framework.MergeIntervals([]framework.IntervalSnapshot{have}, []framework.IntervalSnapshot{iv})
					if err == nil {
						iv = merged[0]
					}
				}
				live[iv.Index] = iv
			}
		}
		now := time.Now()
		if now.After(epoch) {
			grid := int(now.Sub(epoch) / cfg.CollectionInterval)
			// An interval's server sample is the first taken after it
			// closed: a late tick (a loaded or race-instrumented machine)
			// gives the one sample to every interval it missed.
			rs := sampler.Sample(now)
			for g := grid - 1; g >= 0; g-- {
				if _, ok := serverAt[g]; ok {
					break
				}
				serverAt[g] = rs
			}
			for ; emitted < grid-1; emitted++ {
				iv, ok := live[emitted+1]
				if !ok {
					continue
				}
				iv.Resources = withServer(iv.Resources, serverAt[emitted+1])
				cumErrors += iv.Counts.Errors()
				cumDropped += iv.Counts.Dropped
				if ropts.Progress != nil {
					ropts.Progress(framework.Progress{Elapsed: iv.End.Sub(epoch), Sessions: sc.Sessions, Rate: iv.Throughput,
						P95: iv.Latency.Corrected.P95, Errors: cumErrors, Dropped: cumDropped, Interval: iv})
				}
			}
			if abortedBy == "" && stopped == "" {
				if t := liveAbort(sc, epoch, cfg.CollectionInterval, live, ths, now); t != "" {
					abortedBy = t
					logf("threshold %q failed on the merged shards at %v: stopping every shard", t, now.Sub(epoch).Round(time.Millisecond))
					signalAll(os.Interrupt)
					killAt = now.Add(cfg.MessageTimeout + 5*time.Second)
				}
			}
		}
		k++
		next := epoch.Add(time.Duration(k)*cfg.CollectionInterval + cfg.CollectionInterval/2)
		if d := time.Until(next); d > 0 {
			timer.Reset(d)
		} else {
			timer.Reset(10 * time.Millisecond)
		}
		// A finished shard ends the wait early only when all have.
		for _, s := range shards {
			select {
			case <-s.done:
			default:
			}
		}
	}
	last := sampler.Sample(time.Now())

	groups, err := shard.Read(dir)
	var group *shard.Group
	for i := range groups {
		if groups[i].Scenario == sc.Name {
			group = &groups[i]
		}
	}
	if group == nil {
		return nil, fmt.Errorf("no shard finished: %v; %s", err, shardErrors(shards))
	}
	merged, err := group.Merge(dir)
	if err != nil {
		return nil, err
	}
	for i := range merged.Intervals {
		if rs, ok := serverAt[merged.Intervals[i].Index]; ok {
			merged.Intervals[i].Resources = withServer(merged.Intervals[i].Resources, rs)
		}
	}
	merged.ResourcesStart, merged.ResourcesEnd = &first, &last
	merged.Target = res.Target.String()
	if stopped != "" {
		merged.Aborted = stopped
	} else if abortedBy != "" {
		merged.Aborted, merged.AbortedBy = fmt.Sprintf("threshold %q failed on the merged shards", abortedBy), abortedBy
	}
	if !group.Complete() {
		merged.Warnings = append(merged.Warnings, shardErrors(shards))
	}
	return framework.Summarize(merged, ths), nil
}

// withServer is a merged interval's resources with the parent's sample of
// the server: the shards' own figures (Self) stay the generator's, summed
// over its processes.
func withServer(shards *framework.ResourceSample, parent framework.ResourceSample) *framework.ResourceSample {
	out := parent
	if shards != nil {
		out.Self = shards.Self
	}
	return &out
}

// liveAbort evaluates the aborting thresholds on the shards' intervals
// merged so far and returns the expression of the first that fails.
func liveAbort(sc framework.Scenario, epoch time.Time, interval time.Duration, live map[int]framework.IntervalSnapshot, ths []framework.Threshold, now time.Time) string {
	var aborting []framework.Threshold
	for _, t := range ths {
		if t.Abort && now.Sub(epoch) >= t.Grace {
			aborting = append(aborting, t)
		}
	}
	if len(aborting) == 0 || len(live) == 0 {
		return ""
	}
	r := &framework.Result{Scenario: sc.Name, Epoch: epoch, Start: epoch, Interval: interval, LoadDuration: now.Sub(epoch)}
	idx := make([]int, 0, len(live))
	for k := range live {
		idx = append(idx, k)
	}
	sort.Ints(idx)
	for _, k := range idx {
		r.Intervals = append(r.Intervals, live[k])
	}
	if err := r.FromIntervals(); err != nil {
		return ""
	}
	for _, res := range framework.EvaluateThresholds(r, aborting) {
		if !res.NoData && !res.Passed {
			return res.Threshold.Expr
		}
	}
	return ""
}

// shardErrors describes the shards that exited with an error.
func shardErrors(shards []*localShard) string {
	var out []string
	for _, s := range shards {
		if s.err != nil {
			out = append(out, fmt.Sprintf("shard %s exited: %v: %s", s.slice, s.err, strings.TrimSpace(s.stderr.String())))
		}
	}
	return strings.Join(out, "; ")
}

// Whole is sum when it is a whole run; for one slice of a sharded run (a
// process given the shard environment) it waits for every slice's result
// in the shared shard directory and returns their merge, so that what a
// test derives from it (a rate from a ceiling) is the same in every shard.
func Whole(tb testing.TB, sum *framework.Summary) *framework.Summary {
	tb.Helper()
	if sum == nil || sum.Slice.Whole() {
		return sum
	}
	sh, _, err := shard.FromEnv()
	if err != nil {
		tb.Fatalf("stress: %v", err)
	}
	cfg := framework.Config{}.WithDefaults()
	merged, err := shard.WaitMerged(context.Background(), sh.Dir, sum.Scenario, sh.Slice.Count, sum.LoadDuration+2*cfg.MessageTimeout+time.Minute)
	if err != nil {
		tb.Fatalf("stress: %v", err)
	}
	ths, _ := framework.ParseThresholds(merged.ThresholdExprs)
	return framework.Summarize(merged, ths)
}
