package framework

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpstress/mcpstress/framework/client"
)

// SessionRamp opens Sessions sessions on a target, at Rate per second (0: as
// fast as Concurrency allows), with at most Concurrency connects in flight
// (0: 64). It is the seeds' connection ramp-up: the opened sessions are then
// held while load runs on them.
type SessionRamp struct {
	Sessions    int
	Rate        float64
	Concurrency int
}

// RampStats reports how the session ramp went.
type RampStats struct {
	Requested int           `json:"requested"`
	Opened    int           `json:"opened"`
	Failed    int           `json:"failed"`
	Duration  time.Duration `json:"duration"`
	// Connect is the distribution of connect+handshake times of the
	// sessions that opened, measured from each connect's intended time.
	Connect LatencyStats `json:"connect"`
	// Errors holds up to 8 distinct connect errors, with counts.
	Errors map[string]int `json:"errors,omitempty"`
}

const maxRampErrors = 8

// Open opens the sessions. It returns the ones that opened, in order (failed
// ones are left out), and never fails as a whole: a target that refuses
// everything gives zero sessions and the reasons in RampStats.Errors.
func (r SessionRamp) Open(ctx context.Context, target client.Target) ([]client.Session, RampStats) {
	conc := r.Concurrency
	if conc <= 0 {
		conc = 64
	}
	stats := RampStats{Requested: r.Sessions, Errors: map[string]int{}}
	hist := NewHistogram()
	opened := make([]client.Session, r.Sessions)
	sem := make(chan struct{}, conc)
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for i := range r.Sessions {
		intended := time.Now()
		if r.Rate > 0 {
			// Session i is due at i/Rate: a constant-rate plan in closed form.
			intended = start.Add(time.Duration(float64(i) / r.Rate * float64(time.Second)))
			if !sleepUntil(ctx, timer, intended) {
				break
			}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			s, err := target.Connect(ctx)
			done := time.Now()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				stats.Failed++
				msg := err.Error()
				if _, ok := stats.Errors[msg]; ok || len(stats.Errors) < maxRampErrors {
					stats.Errors[msg]++
				}
				return
			}
			opened[i] = s
			hist.recordDuration(done.Sub(intended))
		})
	}
	wg.Wait()
	stats.Duration = time.Since(start)
	out := make([]client.Session, 0, r.Sessions)
	for _, s := range opened {
		if s != nil {
			out = append(out, s)
		}
	}
	stats.Opened = len(out)
	stats.Connect = hist.Stats()
	if len(stats.Errors) == 0 {
		stats.Errors = nil
	}
	return out, stats
}

// closeSessions closes every session, a bounded number at a time, and waits
// for all of them.
func closeSessions(sessions []client.Session) { closeSessionsWithin(sessions, 0) }

// closeSessionsWithin closes every session, a bounded number at a time, and
// waits at most timeout (0: no limit) for them. It returns how many had not
// closed by then: a hung Close must not hang the run. Those closes carry on
// in the background and end when their Close returns.
func closeSessionsWithin(sessions []client.Session, timeout time.Duration) (unclosed int) {
	var closed atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		sem := make(chan struct{}, 64)
		var wg sync.WaitGroup
		for _, s := range sessions {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				_ = s.Close()
				closed.Add(1)
			})
		}
		wg.Wait()
	}()
	if timeout <= 0 {
		<-done
		return 0
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
		return 0
	case <-t.C:
		return len(sessions) - int(closed.Load())
	}
}
