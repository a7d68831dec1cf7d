package framework

import (
	"context"
	"sync"
	"time"
)

// ClosedExecutor is the closed model: every slot (Pipeline per session)
// sends its next request after the previous answer plus ThinkTime. The
// intended time of a request is the end of its think time, so the lag is
// only the executor's own delay; a stalled server slows the senders down and
// hides the stall from the percentiles (coordinated omission), which is why
// the open model is the default.
type ClosedExecutor struct {
	ThinkTime time.Duration
}

// Execute implements Executor.
func (x ClosedExecutor) Execute(ctx context.Context, env *ExecEnv) {
	var end time.Time
	if env.Duration > 0 {
		end = env.Start.Add(env.Duration)
	}
	var wg sync.WaitGroup
	for id := range len(env.Sessions) * env.Pipeline {
		sess := id / env.Pipeline
		wg.Go(func() {
			timer := time.NewTimer(time.Hour)
			timer.Stop()
			intended := env.Start
			for {
				if !end.IsZero() && !intended.Before(end) {
					return
				}
				if x.ThinkTime > 0 || intended.Equal(env.Start) {
					if !sleepUntil(ctx, timer, intended) {
						return
					}
				} else if ctx.Err() != nil {
					return // no think time: intended is the last end, already past
				}
				op := env.Schedule(env.NextHit())
				intended = env.send(id, sess, op, intended).Add(x.ThinkTime)
			}
		})
	}
	wg.Wait()
}
