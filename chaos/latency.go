package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Latency delays every chunk by Latency ± Jitter, counted from when the
// proxy read it, so back-to-back chunks are delayed together rather than
// one after the other. Each chunk's delay is drawn uniformly from
// [Latency − Jitter, Latency + Jitter] with a random stream per
// connection and direction from Seed; chunks never overtake each other
// (the stream stays in order, as TCP keeps it).
type Latency struct {
	Latency time.Duration
	Jitter  time.Duration
	Seed    uint64
}

var (
	_ Toxic   = Latency{}
	_ PerConn = Latency{}
)

func (t Latency) Validate() error {
	var errs []error
	if t.Latency < 0 || t.Jitter < 0 {
		errs = append(errs, fmt.Errorf("latency %v ± %v: negative", t.Latency, t.Jitter))
	}
	if t.Jitter > t.Latency {
		errs = append(errs, fmt.Errorf("latency jitter %v is larger than the latency %v", t.Jitter, t.Latency))
	}
	return errors.Join(errs...)
}

func (t Latency) String() string {
	if t.Jitter == 0 {
		return fmt.Sprintf("latency %v", t.Latency)
	}
	return fmt.Sprintf("latency %v ± %v", t.Latency, t.Jitter)
}

// Pipe delays without jitter (the shared value has no random stream);
// the proxy uses ForConn's.
func (t Latency) Pipe(ctx context.Context, c Chunk, next func(Chunk) error) error {
	return latencyConn{t, nil}.Pipe(ctx, c, next)
}

func (t Latency) ForConn(c ConnInfo) Toxic { return latencyConn{t, c.Rand(t.Seed)} }

type latencyConn struct {
	Latency
	rnd *rand.Rand
}

func (t latencyConn) Pipe(ctx context.Context, c Chunk, next func(Chunk) error) error {
	d := t.Latency.Latency
	if t.Jitter > 0 && t.rnd != nil {
		d += time.Duration(t.rnd.Int64N(int64(2*t.Jitter)+1)) - t.Jitter
	}
	wait(ctx, time.Until(c.At.Add(d))) // interrupted: pass it on now
	return next(c)
}
