package client

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Backoff is the reconnect schedule of a session whose connection broke:
// exponential from Initial by Multiplier up to Max, each delay shortened by a
// random fraction of up to Jitter (so many sessions that broke together do
// not reconnect in lockstep). The zero value means the defaults below.
type Backoff struct {
	// Initial is the delay before the second attempt (the first reconnect
	// is tried at once); default 50ms.
	Initial time.Duration
	// Max caps the delay; default 5s.
	Max time.Duration
	// Multiplier grows the delay per failed attempt; default 2.
	Multiplier float64
	// Jitter in [0,1] is the largest fraction removed at random; default 0.2.
	Jitter float64
	// Disabled turns reconnecting off: a broken session stays broken and
	// every later Call is a transport error.
	Disabled bool
}

// Defaults of Backoff.
const (
	DefaultBackoffInitial    = 50 * time.Millisecond
	DefaultBackoffMax        = 5 * time.Second
	DefaultBackoffMultiplier = 2.0
	DefaultBackoffJitter     = 0.2
)

func (b Backoff) withDefaults() Backoff {
	if b.Initial == 0 {
		b.Initial = DefaultBackoffInitial
	}
	if b.Max == 0 {
		b.Max = DefaultBackoffMax
	}
	if b.Multiplier == 0 {
		b.Multiplier = DefaultBackoffMultiplier
	}
	if b.Jitter == 0 {
		b.Jitter = DefaultBackoffJitter
	}
	return b
}

// Validate reports every problem with b at once.
func (b Backoff) Validate() error {
	var errs []error
	if b.Initial < 0 {
		errs = append(errs, fmt.Errorf("Backoff.Initial %v is negative", b.Initial))
	}
	if b.Max < 0 {
		errs = append(errs, fmt.Errorf("Backoff.Max %v is negative", b.Max))
	}
	if b.Initial > 0 && b.Max > 0 && b.Max < b.Initial {
		errs = append(errs, fmt.Errorf("Backoff.Max %v is below Backoff.Initial %v", b.Max, b.Initial))
	}
	if b.Multiplier != 0 && (b.Multiplier < 1 || math.IsNaN(b.Multiplier) || math.IsInf(b.Multiplier, 0)) {
		errs = append(errs, fmt.Errorf("Backoff.Multiplier %v must be >= 1", b.Multiplier))
	}
	if b.Jitter < 0 || b.Jitter > 1 || math.IsNaN(b.Jitter) {
		errs = append(errs, fmt.Errorf("Backoff.Jitter %v must be in [0,1]", b.Jitter))
	}
	return errors.Join(errs...)
}

// Delay is the wait before reconnect attempt number attempt (0 = the first
// retry after a failed reconnect), given u drawn uniformly from [0,1). It is
// a pure function so the schedule can be tested with plain numbers.
func (b Backoff) Delay(attempt int, u float64) time.Duration {
	b = b.withDefaults()
	if attempt < 0 {
		attempt = 0
	}
	d := float64(b.Initial) * math.Pow(b.Multiplier, float64(attempt))
	if d > float64(b.Max) || math.IsInf(d, 0) {
		d = float64(b.Max)
	}
	d -= d * b.Jitter * u
	return time.Duration(d)
}
