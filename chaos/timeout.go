package chaos

import (
	"context"
	"fmt"
	"time"
)

// Timeout stops all data in its direction and, when Timeout > 0, closes
// the connection that long after it started acting on it. The data it
// stops is held, not lost: removed before the close, it passes
// everything on.
type Timeout struct {
	Timeout time.Duration // 0: hold until removed, never close
}

var (
	_ Toxic   = Timeout{}
	_ Expirer = Timeout{}
)

func (t Timeout) Validate() error {
	if t.Timeout < 0 {
		return fmt.Errorf("timeout %v is negative", t.Timeout)
	}
	return nil
}

func (t Timeout) String() string {
	if t.Timeout == 0 {
		return "timeout (hold until removed)"
	}
	return fmt.Sprintf("timeout %v", t.Timeout)
}

func (Timeout) Pipe(ctx context.Context, c Chunk, next func(Chunk) error) error {
	<-ctx.Done()
	return next(c)
}

func (t Timeout) Expire() (time.Duration, error) {
	if t.Timeout == 0 {
		return -1, nil
	}
	return t.Timeout, ErrClose
}
