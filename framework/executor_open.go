package framework

import (
	"context"
	"sync"
	"time"
)

// OpenExecutor is the open model (arrival rate): hit n is sent at
// Start+Pacer.At(n) whatever the server is doing (only the hits of
// env.Slice, when the run is split across processes). Each session has Pipeline
// slots; at a hit's intended time the longest-idle slot takes it (so
// requests spread evenly over sessions). When no slot is free the request is
// recorded as Dropped at once and never sent: the executor never waits for a
// slow server and never shifts the schedule (k6's dropped iterations).
type OpenExecutor struct {
	Pacer Pacer
}

type openJob struct {
	op       int
	intended time.Time
}

// Execute implements Executor. ctx ends scheduling; in-flight requests run
// on env.Calls.
func (x OpenExecutor) Execute(ctx context.Context, env *ExecEnv) {
	nslots := len(env.Sessions) * env.Pipeline
	idle := make(chan int, nslots)
	jobs := make([]chan openJob, nslots)
	var wg sync.WaitGroup
	for id := range nslots {
		jobs[id] = make(chan openJob, 1)
		idle <- id
		sess := id / env.Pipeline
		wg.Go(func() {
			for j := range jobs[id] {
				env.Send(id, sess, j.op, j.intended)
				idle <- id
			}
		})
	}
	defer func() {
		for _, ch := range jobs {
			close(ch)
		}
		wg.Wait()
	}()

	// The dispatcher records drops on a shard of its own (index nslots).
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for j := uint64(0); ; j++ {
		n := env.Slice.Hit(j) // the slice's j-th hit (all of them when whole)
		at, ok := x.Pacer.At(n)
		if !ok || (env.Duration > 0 && at >= env.Duration) {
			// The plan is over; the run still lasts its duration so that
			// rates are per the whole of it.
			if env.Duration > 0 {
				sleepUntil(ctx, timer, env.Start.Add(env.Duration))
			}
			return
		}
		intended := env.Start.Add(at)
		if !sleepUntil(ctx, timer, intended) {
			// Scheduling ended. A hit that was due inside the run while the
			// dispatcher was behind is still sent (late, its lag recorded)
			// unless the run itself was stopped: the plan is not shortened
			// silently.
			if env.Calls.Err() != nil || time.Now().Before(intended) {
				return
			}
		}
		op := env.Schedule(n)
		select {
		case id := <-idle:
			jobs[id] <- openJob{op: op, intended: intended}
		default:
			env.Drop(nslots, op)
		}
	}
}
