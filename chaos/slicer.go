package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Slicer cuts every chunk into pieces of AverageSize ± SizeVariation bytes
// (uniform, from a random stream per connection and direction from Seed)
// and waits Delay between pieces: the short reads of a real network, which
// a reader that assumes one read = one message gets wrong.
type Slicer struct {
	AverageSize   int // bytes, > 0
	SizeVariation int // bytes, < AverageSize
	Delay         time.Duration
	Seed          uint64
}

var (
	_ Toxic   = Slicer{}
	_ PerConn = Slicer{}
)

func (t Slicer) Validate() error {
	var errs []error
	if t.AverageSize <= 0 {
		errs = append(errs, fmt.Errorf("slicer average size %d: want > 0", t.AverageSize))
	}
	if t.SizeVariation < 0 || t.SizeVariation >= max(t.AverageSize, 1) {
		errs = append(errs, fmt.Errorf("slicer size variation %d: want in [0, average size %d)", t.SizeVariation, t.AverageSize))
	}
	if t.Delay < 0 {
		errs = append(errs, fmt.Errorf("slicer delay %v is negative", t.Delay))
	}
	return errors.Join(errs...)
}

func (t Slicer) String() string {
	return fmt.Sprintf("slicer %d ± %d B every %v", t.AverageSize, t.SizeVariation, t.Delay)
}

func (t Slicer) Pipe(ctx context.Context, c Chunk, next func(Chunk) error) error {
	return slicerConn{t, nil}.Pipe(ctx, c, next)
}

func (t Slicer) ForConn(c ConnInfo) Toxic { return slicerConn{t, c.Rand(t.Seed)} }

type slicerConn struct {
	Slicer
	rnd *rand.Rand
}

func (t slicerConn) Pipe(ctx context.Context, c Chunk, next func(Chunk) error) error {
	for first := true; len(c.Data) > 0; first = false {
		if !first && !wait(ctx, t.Delay) {
			return next(c) // interrupted: the rest goes now
		}
		n := t.AverageSize
		if t.SizeVariation > 0 && t.rnd != nil {
			n += t.rnd.IntN(2*t.SizeVariation+1) - t.SizeVariation
		}
		n = min(max(n, 1), len(c.Data))
		if err := next(Chunk{Data: c.Data[:n], At: c.At}); err != nil {
			return err
		}
		c.Data = c.Data[n:]
	}
	return nil
}
