package framework

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// OpenExecutor is the open model (arrival rate): hit n is sent at
// Start+Pacer.At(n) whatever the server is doing (only the hits of
// env.Slice, when the run is split across processes). Each session has
// Pipeline slots. When no slot is free at a hit's intended time the request
// is recorded as Dropped and never sent: the executor never waits for a slow
// server and never shifts the schedule (k6's dropped iterations).
//
// There is no dispatcher: each slot is a worker that takes the next hit of
// the schedule as soon as it is free, sleeps until the hit's intended time
// and sends it itself, so a request costs one timer wake-up and no hand-off
// between goroutines. A free worker always holds the next hit nobody holds,
// and takes hits in order, so a hit nobody took by its intended time came
// due while every slot was busy: that is exactly a drop. Such hits are
// dropped as they come due by the executor's own goroutine (it wakes only
// while every slot is busy), or by the first worker to become free after
// them. Hits go to slots round-robin in steady state, so requests spread
// evenly over sessions.
type OpenExecutor struct {
	Pacer Pacer
}

// openRun is one Execute: the shared hit counter and the count of free
// slots.
type openRun struct {
	x      OpenExecutor
	env    *ExecEnv
	ctx    context.Context
	nslots int

	next    atomic.Uint64 // the slice's next hit nobody took
	free    atomic.Int64  // workers not inside a request
	allBusy chan struct{} // a worker took the last free slot
}

// hit is the slice's j-th hit: its global number and intended time; ok is
// false when the plan is over.
func (o *openRun) hit(j uint64) (n uint64, intended time.Time, ok bool) {
	n = o.env.Slice.Hit(j)
	at, ok := o.x.Pacer.At(n)
	if !ok || (o.env.Duration > 0 && at >= o.env.Duration) {
		return n, time.Time{}, false
	}
	return n, o.env.Start.Add(at), true
}

// Execute implements Executor. ctx ends scheduling; in-flight requests run
// on env.Calls.
func (x OpenExecutor) Execute(ctx context.Context, env *ExecEnv) {
	o := &openRun{x: x, env: env, ctx: ctx, nslots: len(env.Sessions) * env.Pipeline, allBusy: make(chan struct{}, 1)}
	o.free.Store(int64(o.nslots))
	// Worker id starts with hit id: every free worker holds a hit from the
	// outset, however late its goroutine first runs.
	o.next.Store(uint64(o.nslots))
	var wg sync.WaitGroup
	for id := range o.nslots {
		wg.Go(func() { o.worker(id) })
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	planOver := o.sweep(timer)
	if planOver && env.Duration > 0 {
		// The plan is over; the run still lasts its duration so that
		// rates are per the whole of it.
		sleepUntil(ctx, timer, env.Start.Add(env.Duration))
	}
	wg.Wait()
}

// sweep drops the hits that come due while every slot is busy, as they come
// due (on the recorder shard nslots). It returns when scheduling ends
// (false) or the plan is over (true).
func (o *openRun) sweep(timer *time.Timer) (planOver bool) {
	env := o.env
	for {
		if o.free.Load() > 0 {
			select {
			case <-o.ctx.Done():
				o.dropDue()
				return false
			case <-o.allBusy:
			}
			continue
		}
		j := o.next.Load()
		n, intended, ok := o.hit(j)
		if !ok {
			return true
		}
		if !sleepUntil(o.ctx, timer, intended) {
			o.dropDue()
			return false
		}
		if o.free.Load() == 0 && o.next.CompareAndSwap(j, j+1) {
			env.Drop(o.nslots, env.Schedule(n))
		}
	}
}

// dropDue runs when scheduling ends: a hit that came due inside the run
// while every slot was busy, and that nobody took yet, is still a drop
// (the plan is not shortened silently), unless the run itself was stopped.
func (o *openRun) dropDue() {
	env := o.env
	if env.Calls.Err() != nil {
		return
	}
	now := time.Now()
	for {
		j := o.next.Load()
		n, intended, ok := o.hit(j)
		if !ok || intended.After(now) {
			return
		}
		if o.next.CompareAndSwap(j, j+1) {
			env.Drop(o.nslots, env.Schedule(n))
		}
	}
}

// worker is slot id: it takes the next hit, sleeps until its intended time
// and sends it; a hit that came due before the worker was free is a drop.
func (o *openRun) worker(id int) {
	env := o.env
	sess := id / env.Pipeline
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var freeSince time.Time // zero: free from the start, whatever is due
	for j := uint64(id); ; j = o.next.Add(1) - 1 {
		if o.ctx.Err() != nil && !freeSince.IsZero() {
			return // scheduling ended; hits due by then were dealt with by dropDue
		}
		n, intended, ok := o.hit(j)
		if !ok {
			return
		}
		if intended.Before(freeSince) {
			// Due while this slot was busy, and nobody else took it: no
			// slot was free.
			env.Drop(id, env.Schedule(n))
			continue
		}
		if !sleepUntil(o.ctx, timer, intended) {
			// Scheduling ended. A hit that was due inside the run is still
			// sent (late, its lag recorded) unless the run itself was
			// stopped.
			if env.Calls.Err() != nil || time.Now().Before(intended) {
				return
			}
		}
		op := env.Schedule(n)
		if o.free.Add(-1) == 0 {
			select {
			case o.allBusy <- struct{}{}:
			default:
			}
		}
		freeSince = env.send(id, sess, op, intended)
		o.free.Add(1)
	}
}
