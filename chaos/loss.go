package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
)

// Loss drops whole JSON-RPC messages — a Fraction of them, chosen with a
// random stream per connection and direction from Seed — and passes the
// rest unchanged: dropping bytes would only break the framing, so loss
// works on messages (newline frames on TCP and stdio, whole requests or
// responses on HTTP; see Framing). A message is chosen as it begins, and
// its bytes are passed or dropped as they arrive, so nothing is held back.
// A dropped request is never answered; a dropped response leaves its
// request unanswered: the client's timeout and retries are what is tested.
//
// Use a *Loss (its counts are shared by every connection it acts on).
type Loss struct {
	Fraction float64 // of messages, in [0, 1]
	Seed     uint64
	Framing  Framing

	counts msgCounts
}

var (
	_ Toxic   = (*Loss)(nil)
	_ PerConn = (*Loss)(nil)
)

// MessageCounts are how many messages a message-level fault has seen
// begin and how many it acted on (dropped or corrupted).
type MessageCounts struct {
	Messages, Hit uint64
}

type msgCounts struct{ seen, hit atomic.Uint64 }

func (c *msgCounts) load() MessageCounts {
	return MessageCounts{Messages: c.seen.Load(), Hit: c.hit.Load()}
}

// Counts returns how many messages the fault has seen and dropped so far,
// over every connection and direction.
func (t *Loss) Counts() MessageCounts { return t.counts.load() }

func (t *Loss) Validate() error { return validMessageFault(t.Fraction, t.Framing) }

func validMessageFault(fraction float64, f Framing) error {
	var errs []error
	if !(fraction >= 0 && fraction <= 1) {
		errs = append(errs, fmt.Errorf("message fraction %v is not in [0,1]", fraction))
	}
	if f > HTTPFrames {
		errs = append(errs, fmt.Errorf("unknown framing %d", f))
	}
	return errors.Join(errs...)
}

func (t *Loss) String() string {
	return fmt.Sprintf("loss of %.3g of %s", t.Fraction, t.Framing)
}

// Pipe on the shared value uses one stream for Seed; the proxy uses
// ForConn's.
func (t *Loss) Pipe(ctx context.Context, c Chunk, next func(Chunk) error) error {
	return t.ForConn(ConnInfo{}).Pipe(ctx, c, next)
}

func (t *Loss) ForConn(c ConnInfo) Toxic {
	return &lossConn{t: t, rnd: c.Rand(t.Seed), f: newFramer(t.Framing)}
}

type lossConn struct {
	t       *Loss
	rnd     *rand.Rand
	f       framer
	dropped bool // the message in progress is being dropped
}

func (l *lossConn) Pipe(_ context.Context, c Chunk, next func(Chunk) error) error {
	data, out := c.Data, c.Data[:0] // kept bytes are compacted in place
	for len(data) > 0 {
		n, starts, _ := l.f.split(data)
		if starts {
			l.t.counts.seen.Add(1)
			l.dropped = l.rnd.Float64() < l.t.Fraction
			if l.dropped {
				l.t.counts.hit.Add(1)
			}
		}
		if !l.dropped {
			out = append(out, data[:n]...)
		}
		data = data[n:]
	}
	if len(out) == 0 {
		return nil
	}
	return next(Chunk{Data: out, At: c.At})
}
