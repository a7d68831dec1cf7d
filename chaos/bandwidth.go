package chaos

import (
	"context"
	"fmt"
	"time"
)

// Bandwidth passes bytes at no more than Rate bytes per second: each
// chunk is cut into pieces of at most 50 ms worth, and each piece leaves
// when the bytes before it, at Rate, would have. The pace is kept per
// connection and direction.
type Bandwidth struct {
	Rate int64 // bytes per second, > 0
}

var (
	_ Toxic   = Bandwidth{}
	_ PerConn = Bandwidth{}
)

func (t Bandwidth) Validate() error {
	if t.Rate <= 0 {
		return fmt.Errorf("bandwidth rate %d B/s: want > 0", t.Rate)
	}
	return nil
}

func (t Bandwidth) String() string { return fmt.Sprintf("bandwidth %d B/s", t.Rate) }

// Pipe paces each chunk on its own; the proxy uses ForConn's, which keeps
// the pace across chunks.
func (t Bandwidth) Pipe(ctx context.Context, c Chunk, next func(Chunk) error) error {
	return (&bandwidthConn{rate: t.Rate}).Pipe(ctx, c, next)
}

func (t Bandwidth) ForConn(ConnInfo) Toxic { return &bandwidthConn{rate: t.Rate} }

type bandwidthConn struct {
	rate int64
	due  time.Time // when the bytes passed so far have all left, at rate
}

func (t *bandwidthConn) Pipe(ctx context.Context, c Chunk, next func(Chunk) error) error {
	piece := max(1, int(t.rate/20))
	for len(c.Data) > 0 {
		n := min(piece, len(c.Data))
		if now := time.Now(); t.due.Before(now) {
			t.due = now // idle time is not saved up as a burst
		}
		t.due = t.due.Add(time.Duration(int64(n) * int64(time.Second) / t.rate))
		if !wait(ctx, time.Until(t.due)) {
			return next(c) // interrupted: everything held goes now
		}
		if err := next(Chunk{Data: c.Data[:n], At: c.At}); err != nil {
			return err
		}
		c.Data = c.Data[n:]
	}
	return nil
}
