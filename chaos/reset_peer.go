package chaos

import (
	"context"
	"fmt"
	"time"
)

// ResetPeer resets the connection (an RST to both peers, unsent data
// discarded) Timeout after it starts acting on it, whether or not data
// flows; until then data passes unchanged. Timeout 0 resets at once.
type ResetPeer struct {
	Timeout time.Duration
}

var (
	_ Toxic   = ResetPeer{}
	_ Expirer = ResetPeer{}
)

func (t ResetPeer) Validate() error {
	if t.Timeout < 0 {
		return fmt.Errorf("reset timeout %v is negative", t.Timeout)
	}
	return nil
}

func (t ResetPeer) String() string { return fmt.Sprintf("reset peer after %v", t.Timeout) }

func (ResetPeer) Pipe(_ context.Context, c Chunk, next func(Chunk) error) error { return next(c) }

func (t ResetPeer) Expire() (time.Duration, error) { return t.Timeout, ErrReset }
