package framework

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpstress/mcpstress/framework/client"
)

// Containment is what a client does when its requests time out or fail in
// transport: retry, and how. Without it a request that fails ends there;
// with it a failed attempt is retried up to Retries times, Backoff apart,
// and a circuit breaker shared by the run's sessions opens after
// BreakerFailures failures in a row, failing calls at once (no request
// sent) for BreakerOpen, then lets one probe through. A naive client is
// Containment{Retries: 3} (immediate retries, no breaker): each timeout
// becomes up to three more requests on a server already too slow, which is
// how timeouts cascade into overload; bounded retries with backoff and a
// breaker contain it. The cascading suite measures both.
//
// A retried request is still one scheduled request with one outcome (the
// last attempt's), and its latency runs from its intended time across every
// attempt; Result.Containment counts the attempts.
type Containment struct {
	// Retries is how many more attempts a request gets after a timeout or
	// a transport error (tool and JSON-RPC errors are answers: never
	// retried).
	Retries int `json:"retries,omitempty"`
	// Backoff spaces the attempts (zero Initial: immediate retries).
	Backoff client.Backoff `json:"backoff"`
	// BreakerFailures opens the breaker after that many failed attempts in
	// a row over all sessions; 0 means no breaker.
	BreakerFailures int `json:"breaker_failures,omitempty"`
	// BreakerOpen is how long the breaker stays open before one probe is
	// let through; zero means 1 s.
	BreakerOpen time.Duration `json:"breaker_open,omitempty"`
	// Seed makes the backoff jitter replay.
	Seed uint64 `json:"seed,omitempty"`
}

// Validate reports every problem at once.
func (c Containment) Validate() error {
	var errs []error
	if c.Retries < 0 || c.Retries > 100 {
		errs = append(errs, fmt.Errorf("containment: retries must be in [0, 100], got %d", c.Retries))
	}
	if c.BreakerFailures < 0 || c.BreakerOpen < 0 {
		errs = append(errs, errors.New("containment: breaker_failures and breaker_open must be >= 0"))
	}
	if c.Backoff.Initial > 0 {
		if err := c.Backoff.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("containment: %w", err))
		}
	}
	return errors.Join(errs...)
}

// ContainmentStats is what containment did over a run.
type ContainmentStats struct {
	// Attempts is every request sent, first attempts and retries; Retries
	// the retries among them.
	Attempts uint64 `json:"attempts"`
	Retries  uint64 `json:"retries"`
	// Recovered counts requests that failed at first and succeeded on a
	// retry.
	Recovered uint64 `json:"recovered"`
	// Rejected counts calls the open breaker failed at once (never sent);
	// BreakerOpened how often it opened.
	Rejected      uint64 `json:"rejected"`
	BreakerOpened uint64 `json:"breaker_opened"`
}

// Amplification is attempts per request sent once: 1 when nothing was
// retried.
func (s ContainmentStats) Amplification() float64 {
	first := s.Attempts - s.Retries
	if first == 0 {
		return 0
	}
	return float64(s.Attempts) / float64(first)
}

// ErrCircuitOpen is the error of a call the open breaker failed at once.
var ErrCircuitOpen = errors.New("circuit breaker open: request not sent")

// contained wraps a run's sessions with one Containment and its shared
// breaker.
type contained struct {
	c       Containment
	stats   struct{ attempts, retries, recovered, rejected, opened atomic.Uint64 }
	mu      sync.Mutex
	fails   int
	openTil time.Time
	probing bool
	rnd     *rand.Rand
}

func newContained(c Containment) *contained {
	if c.BreakerOpen == 0 {
		c.BreakerOpen = time.Second
	}
	return &contained{c: c, rnd: rand.New(rand.NewPCG(c.Seed, 0x5eed))}
}

// wrap returns the sessions with containment around each.
func (k *contained) wrap(sessions []client.Session) []client.Session {
	out := make([]client.Session, len(sessions))
	for i, s := range sessions {
		out[i] = &containedSession{k: k, s: s}
	}
	return out
}

func (k *contained) Stats() ContainmentStats {
	return ContainmentStats{Attempts: k.stats.attempts.Load(), Retries: k.stats.retries.Load(), Recovered: k.stats.recovered.Load(),
		Rejected: k.stats.rejected.Load(), BreakerOpened: k.stats.opened.Load()}
}

// allow asks the breaker for an attempt: false while it is open; after
// BreakerOpen one probe goes through (half-open).
func (k *contained) allow(now time.Time) bool {
	if k.c.BreakerFailures == 0 {
		return true
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.openTil.IsZero() {
		return true
	}
	if now.Before(k.openTil) || k.probing {
		return false
	}
	k.probing = true
	return true
}

// record tells the breaker how an attempt ended.
func (k *contained) record(failed bool, now time.Time) {
	if k.c.BreakerFailures == 0 {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if !failed {
		k.fails, k.openTil, k.probing = 0, time.Time{}, false
		return
	}
	k.fails++
	if k.probing || (k.openTil.IsZero() && k.fails >= k.c.BreakerFailures) {
		k.openTil, k.probing = now.Add(k.c.BreakerOpen), false
		k.stats.opened.Add(1)
	}
}

func (k *contained) delay(attempt int) time.Duration {
	if k.c.Backoff.Initial <= 0 {
		return 0
	}
	k.mu.Lock()
	u := k.rnd.Float64()
	k.mu.Unlock()
	return k.c.Backoff.Delay(attempt, u)
}

// retryable says which outcomes a retry may fix: no answer at all.
func retryable(o client.Outcome) bool { return o == client.Timeout || o == client.TransportError }

// containedSession is one session under containment.
type containedSession struct {
	k *contained
	s client.Session
}

var _ client.TimeoutCaller = (*containedSession)(nil)

// Call implements client.Session.
func (c *containedSession) Call(ctx context.Context, req client.Request) client.Response {
	return c.CallTimeout(ctx, req, 0)
}

// CallTimeout implements client.TimeoutCaller: each attempt gets the
// request timeout of its own.
func (c *containedSession) CallTimeout(ctx context.Context, req client.Request, timeout time.Duration) client.Response {
	var resp client.Response
	var first time.Time
	for attempt := 0; ; attempt++ {
		if !c.k.allow(time.Now()) {
			c.k.stats.rejected.Add(1)
			return client.Response{Outcome: client.TransportError, Err: ErrCircuitOpen, Sent: first}
		}
		c.k.stats.attempts.Add(1)
		if attempt > 0 {
			c.k.stats.retries.Add(1)
		}
		if tc, ok := c.s.(client.TimeoutCaller); ok && timeout > 0 {
			resp = tc.CallTimeout(ctx, req, timeout)
		} else {
			actx, cancel := ctx, context.CancelFunc(func() {})
			if timeout > 0 {
				actx, cancel = context.WithTimeout(ctx, timeout)
			}
			resp = c.s.Call(actx, req)
			cancel()
			if resp.Outcome == client.Cancelled && ctx.Err() == nil {
				resp.Outcome = client.Timeout // our own per-attempt deadline
			}
		}
		if first.IsZero() {
			first = resp.Sent
		}
		failed := retryable(resp.Outcome)
		c.k.record(failed, time.Now())
		if !failed || attempt >= c.k.c.Retries || ctx.Err() != nil {
			if !failed && attempt > 0 {
				c.k.stats.recovered.Add(1)
			}
			if !first.IsZero() {
				resp.Sent = first // the service time spans every attempt
			}
			return resp
		}
		if d := c.k.delay(attempt); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return resp
			case <-t.C:
			}
		}
	}
}

// Close implements client.Session.
func (c *containedSession) Close() error { return c.s.Close() }

// Reconnects and ReconnectAttempts pass the wrapped session's counters
// through (client.ReconnectCounter).
func (c *containedSession) Reconnects() int64 {
	if r, ok := c.s.(client.ReconnectCounter); ok {
		return r.Reconnects()
	}
	return 0
}

func (c *containedSession) ReconnectAttempts() int64 {
	if r, ok := c.s.(client.ReconnectCounter); ok {
		return r.ReconnectAttempts()
	}
	return 0
}
