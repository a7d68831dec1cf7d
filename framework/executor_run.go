package framework

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/mcpstress/mcpstress/framework/client"
)

// RunOptions are the knobs of Run that are not part of the scenario.
type RunOptions struct {
	// ServerPID is the server process to sample (0: not ours, not sampled).
	ServerPID int
	// ServerPIDs, when set, are the processes of a server that runs as
	// several (SO_REUSEPORT), sampled and summed; they override ServerPID.
	ServerPIDs []int
	// ServerPIDFunc, when set, is asked for the server's PID before every
	// sample (a chaos suite that restarts the server returns the new one);
	// it overrides ServerPID and must be safe to call from another
	// goroutine.
	ServerPIDFunc func() int
	// Progress, when set, is called after every collection interval from
	// the collector goroutine.
	Progress func(Progress)
	// Logf, when set, receives the plan at the start and notable events.
	Logf func(format string, args ...any)
	// Executor overrides the executor derived from the scenario's model.
	Executor Executor
	// Slice is the part of the scenario this process runs (see Slice); the
	// zero value is all of it.
	Slice Slice
	// Epoch, when set, is when the load starts, shared by every slice of a
	// run so their interval grids align: Run waits for it after the ramp
	// (a slice that is late sends its overdue hits at once, their lag
	// recorded). Zero starts the load when the sessions are open.
	Epoch time.Time
	// OnSample, when set, is called once for every scheduled request right
	// after the recorder counted it, from the goroutine that recorded it
	// (so it must be safe for concurrent use and cheap): op is the
	// operation's name, latency the corrected latency (from the intended
	// send time), zero for outcomes without one (see HasLatency). It feeds
	// per-request consumers such as a Prometheus exporter's histograms.
	OnSample func(op string, outcome client.Outcome, latency time.Duration)
	// OnAttempt, when set, is called for every attempt of a request under
	// the scenario's Containment (retries included) as it ends, from the
	// goroutine that made it: for the time a lost message took to be
	// detected, or which attempt saved a request.
	OnAttempt func(Attempt)
}

// workerStartCost is the allowance for starting one executor worker
// (goroutine, timer, first run) on a busy 2-core machine: 4 µs proved too
// little for two 15,000-session shards starting at once; maxWorkerLead is
// the most a load without an epoch waits for them.
const (
	workerStartCost = 10 * time.Microsecond
	maxWorkerLead   = time.Second
)

// Progress is the state after one collection interval.
type Progress struct {
	Elapsed  time.Duration
	Sessions int
	// Rate is answered requests per second in the interval, P95 its
	// corrected p95.
	Rate float64
	P95  time.Duration
	// Errors and Dropped are cumulative.
	Errors  uint64
	Dropped uint64
	// Interval is the snapshot just taken.
	Interval IntervalSnapshot
}

func (p Progress) String() string {
	return fmt.Sprintf("%6.1fs sessions=%d rate=%.0f/s p95=%v errors=%d dropped=%d",
		p.Elapsed.Seconds(), p.Sessions, p.Rate, p.P95, p.Errors, p.Dropped)
}

// ErrNoSessions is returned (with a summary) when the ramp opened no session.
var ErrNoSessions = errors.New("no session could be opened")

// Run validates sc, opens its sessions on target, drives the load, and
// returns the summary. The error is non-nil for an invalid scenario (no
// summary then), when no session opened, or when the conservation check
// fails (with the summary in both cases). Failed thresholds are in the
// summary, not the error. Cancelling ctx stops the run cleanly: in-flight
// requests end as Cancelled and the summary is still produced.
func Run(ctx context.Context, target client.Target, sc Scenario, opts RunOptions) (*Summary, error) {
	if err := errors.Join(sc.Validate(), opts.Slice.Validate()); err != nil {
		return nil, err
	}
	if !opts.Slice.Whole() && sc.Pacer != nil {
		return nil, fmt.Errorf("scenario %q: a custom pacer cannot be sliced across processes; use rate or stages", sc.Name)
	}
	cfg := sc.Config.WithDefaults()
	thresholds, _ := ParseThresholds(sc.Thresholds) // validated above
	ts := newThresholdSet(thresholds, cfg.CollectionInterval)
	model := sc.Model
	if model == "" {
		model = OpenModel
	}
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	desc := sc.Describe(target.String())
	logf("%s", desc)

	var storage *os.File
	if cfg.Storage == StorageDisk {
		f, err := os.OpenFile(cfg.StoragePath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, fmt.Errorf("scenario %q: storage: %w", sc.Name, err)
		}
		storage = f
		defer f.Close()
	}
	names := make([]string, len(sc.Workload.Ops))
	for i, o := range sc.Workload.Ops {
		names[i] = o.Name()
	}
	nsessions := opts.Slice.Sessions(sc.Sessions)
	rcfg := RecorderConfig{
		Ops:       names,
		Sessions:  nsessions,
		Retention: int((cfg.RetentionPeriod + cfg.CollectionInterval - 1) / cfg.CollectionInterval),
		Window:    ts.windowIntervals(),
		Interval:  cfg.CollectionInterval,
	}
	if storage != nil {
		rcfg.Storage = storage
	}

	res := &Result{Scenario: sc.Name, Model: model, Target: target.String(), Description: desc,
		Interval: cfg.CollectionInterval, AllowEarlyStop: sc.AllowEarlyStop, Parts: 1,
		Slice: opts.Slice, ThresholdExprs: sc.Thresholds}
	summarize := func() *Summary { return Summarize(res, thresholds) }
	runCtx, cancelRun := context.WithCancelCause(ctx)
	defer cancelRun(nil)

	connectRate := sc.ConnectRate
	if !opts.Slice.Whole() {
		connectRate /= float64(opts.Slice.Count) // the slices ramp together
	}
	sessions, ramp := SessionRamp{Sessions: nsessions, Rate: connectRate, Concurrency: sc.ConnectConcurrency}.Open(runCtx, target)
	var contain *contained
	if sc.Containment != nil {
		contain = newContained(*sc.Containment, opts.OnAttempt)
		sessions = contain.wrap(sessions)
	}
	res.Ramp = ramp
	closeSessions := func(sum *Summary) {
		// Bounded: a session whose Close hangs must not hang Run.
		if n := closeSessionsWithin(sessions, cfg.MessageTimeout); n > 0 {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("%d of %d sessions did not close within %v (message_timeout); left closing in the background", n, len(sessions), cfg.MessageTimeout))
		}
	}
	if ramp.Failed > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d of %d sessions failed to open: %v", ramp.Failed, ramp.Requested, ramp.Errors))
	}
	sampler := NewSampler(opts.ServerPID)
	if len(opts.ServerPIDs) > 0 {
		sampler.SetPIDs(opts.ServerPIDs...)
	}
	sample := func(now time.Time) ResourceSample {
		if opts.ServerPIDFunc != nil {
			sampler.SetPID(opts.ServerPIDFunc())
		}
		return sampler.Sample(now)
	}
	first := sample(time.Now())
	res.ResourcesStart = &first

	// The executor is started ahead of the load's first hit and its
	// workers (a goroutine and a timer per slot) sleep until it (the
	// Executor contract): started at it, spawning tens of thousands of
	// them made the first hits late (15,000 sessions: a p95 of 25-37 ms in
	// the first half second, 2 ms after), a lag of the generator's own
	// making. With an epoch they wait for it; without one the load starts
	// when they can be expected to be ready.
	start := time.Now().Add(min(time.Duration(len(sessions)*max(sc.Pipeline, 1))*workerStartCost, maxWorkerLead))
	if !opts.Epoch.IsZero() {
		if wait := time.Until(opts.Epoch); wait > 0 {
			logf("slice %s: %d sessions open; the load starts at the epoch %s, in %v", opts.Slice, len(sessions), opts.Epoch.Format(time.RFC3339Nano), wait.Round(time.Millisecond))
		} else if late := -wait; late > cfg.CollectionInterval {
			res.Warnings = append(res.Warnings, fmt.Sprintf("slice %s started %v after the epoch: its first hits were sent late (see the lag)", opts.Slice, late.Round(time.Millisecond)))
		}
		start = opts.Epoch
	}
	res.Epoch = start
	rcfg.Epoch = start
	rec, err := NewRecorder(rcfg)
	if err != nil {
		closeSessions(&Summary{})
		return nil, err
	}
	var env *ExecEnv
	if len(sessions) > 0 {
		env, err = NewExecEnv(sessions, sc.Pipeline, sc.Workload, rec)
		if err != nil {
			closeSessions(&Summary{})
			return nil, err
		}
		env.onSample = opts.OnSample
		env.Slice = opts.Slice
	}
	if env == nil || runCtx.Err() != nil {
		res.Start, res.End = start, start
		finish(res, rec, sample, 0, 0, start)
		if cause := context.Cause(runCtx); cause != nil {
			res.Aborted = cause.Error()
		}
		res.Reconnects = countReconnects(sessions)
		if contain != nil {
			res.Containment = contain.Stats()
		}
		sum := summarize()
		closeSessions(sum)
		if env == nil {
			return sum, fmt.Errorf("scenario %q on %s: %w", sc.Name, target, ErrNoSessions)
		}
		return sum, sum.Conservation.Error()
	}

	exec := opts.Executor
	if exec == nil {
		if model == ClosedModel {
			exec = ClosedExecutor{ThinkTime: sc.ThinkTime}
		} else {
			exec = OpenExecutor{Pacer: sc.pacer()}
		}
	}
	loadDur := sc.loadDuration()
	grace := sc.GracefulStop
	if grace == 0 {
		grace = cfg.MessageTimeout
	}
	env.Start, env.Duration, env.Timeout = start, loadDur, cfg.MessageTimeout
	schedCtx, cancelSched := context.WithCancel(runCtx)
	if loadDur > 0 {
		schedCtx, cancelSched = context.WithDeadline(runCtx, start.Add(loadDur))
	}
	defer cancelSched()
	callCtx, cancelCalls := context.WithCancel(runCtx)
	defer cancelCalls()
	env.Calls = callCtx

	// The collector: one snapshot, resource sample and threshold check per
	// interval, on the load's own time grid.
	var cumErrors, cumDropped uint64
	var abortedBy atomic.Value // the expression of an aborting threshold
	collectorDone := make(chan struct{})
	stopCollector := make(chan struct{})
	lastTick := start
	go func() {
		defer close(collectorDone)
		timer := time.NewTimer(time.Hour)
		timer.Stop()
		for k := 1; ; k++ {
			tick := start.Add(time.Duration(k) * cfg.CollectionInterval)
			timer.Reset(time.Until(tick))
			select {
			case <-stopCollector:
				timer.Stop()
				return
			case <-timer.C:
			}
			now := time.Now()
			snap := rec.Rotate(lastTick, now)
			lastTick = now
			// The snapshot handed to Progress carries the same sample as
			// the stored series (Prometheus gauges read it).
			rs := sample(now)
			rec.attachResources(rs)
			snap.Resources = &rs
			cumErrors += snap.Counts.Errors()
			cumDropped += snap.Counts.Dropped
			if t := ts.check(rec, now.Sub(start)); t != nil {
				logf("threshold %q failed at %v: aborting", t.Expr, now.Sub(start).Round(time.Millisecond))
				abortedBy.Store(t.Expr)
				cancelRun(fmt.Errorf("threshold %q failed after %v", t.Expr, now.Sub(start).Round(time.Millisecond)))
			}
			if opts.Progress != nil {
				opts.Progress(Progress{Elapsed: now.Sub(start), Sessions: len(sessions), Rate: snap.Throughput,
					P95: snap.Latency.Corrected.P95, Errors: cumErrors, Dropped: cumDropped, Interval: snap})
			}
		}
	}()

	// The graceful stop: when scheduling ends, in-flight requests get grace
	// before they are cancelled.
	execDone := make(chan struct{})
	graceDone := make(chan struct{})
	var schedEnd time.Time
	go func() {
		defer close(graceDone)
		select {
		case <-schedCtx.Done():
			schedEnd = time.Now()
		case <-execDone:
			return
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
			cancelCalls()
		case <-execDone:
		}
	}()
	exec.Execute(schedCtx, env)
	end := time.Now()
	close(execDone)
	<-graceDone
	close(stopCollector)
	<-collectorDone
	if schedEnd.IsZero() || schedEnd.After(end) {
		schedEnd = end
	}

	res.Start, res.End = start, end
	if ctx.Err() != nil {
		res.Aborted = fmt.Sprintf("stopped: %v", context.Cause(ctx))
	} else if cause := context.Cause(runCtx); cause != nil {
		res.Aborted = cause.Error()
		res.AbortedBy, _ = abortedBy.Load().(string)
	}
	ranDur := max(schedEnd.Sub(start), 0) // stopped before the first hit was due: nothing ran
	if loadDur > 0 && runCtx.Err() == nil {
		ranDur = loadDur // the plan ran its course
	}
	finish(res, rec, sample, ranDur, env.Scheduled(), lastTick)
	if open, ok := exec.(OpenExecutor); ok {
		res.Offered = opts.Slice.Share(open.Pacer.Hits(res.LoadDuration))
	} else {
		res.Offered = float64(res.Scheduled)
	}
	if model == ClosedModel {
		res.Warnings = append(res.Warnings, "closed model: latency is measured from when each slot was ready to send, so a server stall is hidden (coordinated omission); use the open model for honest tails")
	}
	res.Reconnects = countReconnects(sessions)
	if contain != nil {
		res.Containment = contain.Stats()
	}
	sum := summarize()
	closeSessions(sum)
	return sum, sum.Conservation.Error()
}

// finish takes the last interval and fills the result's counts,
// histograms, series and session counts.
func finish(res *Result, rec *Recorder, sample func(time.Time) ResourceSample, loadDur time.Duration, scheduled uint64, lastTick time.Time) {
	now := time.Now()
	rec.Rotate(lastTick, now) // always: samples after the last tick must count
	last := sample(now)
	rec.attachResources(last)
	res.ResourcesEnd = &last
	res.LoadDuration = loadDur
	res.Scheduled = scheduled
	rec.fill(res)
	if n := res.Ramp.Opened; n < len(res.Sessions) {
		// The recorder was sized for every requested session; only the
		// opened ones carried load, so the rest would read as idle.
		res.Sessions = res.Sessions[:n]
	}
	if n := res.Clamped; n > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d latencies above 1 h were recorded as 1 h", n))
	}
	if counts := res.Counts(); counts.Dropped > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d requests dropped: no free session slot at their intended time (add sessions or pipeline)", counts.Dropped))
	}
	if err := rec.StorageError(); err != nil {
		res.Warnings = append(res.Warnings, "snapshot storage: "+err.Error())
	}
	if res.IntervalsEvicted > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d older intervals dropped from memory by the retention period", res.IntervalsEvicted))
	}
}
