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
	// AttemptTimeout, when set, is how long one attempt waits for its
	// answer; the request timeout (the scenario's message timeout) then
	// bounds all of a request's attempts together. A lost message is
	// detected, and retried, after AttemptTimeout rather than after the
	// whole request timeout. Zero: each attempt gets the whole request
	// timeout.
	AttemptTimeout time.Duration `json:"attempt_timeout,omitempty"`
	// Seed makes the backoff jitter replay.
	Seed uint64 `json:"seed,omitempty"`
}

// Validate reports every problem at once.
func (c Containment) Validate() error {
	var errs []error
	if c.Retries < 0 || c.Retries > 100 {
		errs = append(errs, fmt.Errorf("containment: retries must be in [0, 100], got %d", c.Retries))
	}
	if c.AttemptTimeout < 0 {
		errs = append(errs, fmt.Errorf("containment: attempt_timeout must be >= 0, got %v", c.AttemptTimeout))
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
	// TimedOut counts the attempts that got no answer in time: each is a
	// lost (or late) message the client detected.
	TimedOut uint64 `json:"timed_out"`
	// Recovered counts requests that failed at first and succeeded on a
	// retry; Exhausted the retried ones that failed on every attempt (an
	// unrecovered loss).
	Recovered uint64 `json:"recovered"`
	Exhausted uint64 `json:"exhausted"`
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

// add sums o into s (the parts of a merged run).
func (s *ContainmentStats) add(o ContainmentStats) {
	s.Attempts += o.Attempts
	s.Retries += o.Retries
	s.TimedOut += o.TimedOut
	s.Recovered += o.Recovered
	s.Exhausted += o.Exhausted
	s.Rejected += o.Rejected
	s.BreakerOpened += o.BreakerOpened
}

// Attempt is one attempt of a request under containment, as
// RunOptions.OnAttempt sees it.
type Attempt struct {
	// N is the attempt's number: 0 for the first send, then 1, 2… for the
	// retries.
	N int
	// Sent is when the attempt was written (zero if it never was); Ended
	// when its outcome was known.
	Sent, Ended time.Time
	Outcome     client.Outcome
}

// ErrCircuitOpen is the error of a call the open breaker failed at once.
var ErrCircuitOpen = errors.New("circuit breaker open: request not sent")

// contained wraps a run's sessions with one Containment and its shared
// breaker.
type contained struct {
	c       Containment
	observe func(Attempt) // RunOptions.OnAttempt; nil: none
	stats   struct {
		attempts, retries, timedOut, recovered, exhausted, rejected, opened atomic.Uint64
	}
	mu      sync.Mutex
	fails   int
	openTil time.Time
	probing bool
	rnd     *rand.Rand
}

func newContained(c Containment, observe func(Attempt)) *contained {
	if c.BreakerOpen == 0 {
		c.BreakerOpen = time.Second
	}
	return &contained{c: c, observe: observe, rnd: rand.New(rand.NewPCG(c.Seed, 0x5eed))}
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
	return ContainmentStats{Attempts: k.stats.attempts.Load(), Retries: k.stats.retries.Load(), TimedOut: k.stats.timedOut.Load(),
		Recovered: k.stats.recovered.Load(), Exhausted: k.stats.exhausted.Load(),
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
// request timeout of its own or, with AttemptTimeout, at most
// AttemptTimeout of the request timeout's time left.
func (c *containedSession) CallTimeout(ctx context.Context, req client.Request, timeout time.Duration) client.Response {
	var resp client.Response
	var first, deadline time.Time
	if c.k.c.AttemptTimeout > 0 && timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	for attempt := 0; ; attempt++ {
		if !c.k.allow(time.Now()) {
			c.k.stats.rejected.Add(1)
			return client.Response{Outcome: client.TransportError, Err: ErrCircuitOpen, Sent: first}
		}
		c.k.stats.attempts.Add(1)
		if attempt > 0 {
			c.k.stats.retries.Add(1)
		}
		t := timeout
		if c.k.c.AttemptTimeout > 0 {
			t = c.k.c.AttemptTimeout
			if !deadline.IsZero() {
				t = min(t, time.Until(deadline))
			}
		}
		resp = c.attempt(ctx, req, t)
		ended := time.Now()
		if first.IsZero() {
			first = resp.Sent
		}
		if resp.Outcome == client.Timeout {
			c.k.stats.timedOut.Add(1)
		}
		if c.k.observe != nil {
			c.k.observe(Attempt{N: attempt, Sent: resp.Sent, Ended: ended, Outcome: resp.Outcome})
		}
		failed := retryable(resp.Outcome)
		c.k.record(failed, ended)
		if !failed || attempt >= c.k.c.Retries || ctx.Err() != nil || (!deadline.IsZero() && !ended.Before(deadline)) {
			switch {
			case !failed && attempt > 0:
				c.k.stats.recovered.Add(1)
			case failed && attempt > 0:
				c.k.stats.exhausted.Add(1)
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

// attempt sends req once, waiting at most timeout (0: the session's own
// timeout).
func (c *containedSession) attempt(ctx context.Context, req client.Request, timeout time.Duration) client.Response {
	if tc, ok := c.s.(client.TimeoutCaller); ok && timeout > 0 {
		return tc.CallTimeout(ctx, req, timeout)
	}
	actx, cancel := ctx, context.CancelFunc(func() {})
	if timeout > 0 {
		actx, cancel = context.WithTimeout(ctx, timeout)
	}
	resp := c.s.Call(actx, req)
	cancel()
	if resp.Outcome == client.Cancelled && ctx.Err() == nil {
		resp.Outcome = client.Timeout // our own per-attempt deadline
	}
	return resp
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
