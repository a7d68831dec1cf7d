package chaos

import (
	"context"
	"fmt"
	"time"
)

// SlowClose holds the end of a direction (its sender's close) for Delay
// before passing it on; data passes unchanged.
type SlowClose struct {
	Delay time.Duration
}

var (
	_ Toxic = SlowClose{}
	_ Ender = SlowClose{}
)

func (t SlowClose) Validate() error {
	if t.Delay < 0 {
		return fmt.Errorf("slow close delay %v is negative", t.Delay)
	}
	return nil
}

func (t SlowClose) String() string { return fmt.Sprintf("slow close %v", t.Delay) }

func (SlowClose) Pipe(_ context.Context, c Chunk, next func(Chunk) error) error { return next(c) }

// End waits Delay, or until the toxic is removed.
func (t SlowClose) End(ctx context.Context) error {
	wait(ctx, t.Delay)
	return nil
}
