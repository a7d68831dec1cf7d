package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
)

// Corrupt flips bytes inside whole JSON-RPC messages — a Fraction of
// them, chosen with a random stream per connection and direction from
// Seed — so the reader sees a parse error (-32700 from a server, a decode
// error in a client) for that message and nothing else: the framing
// survives. In a chosen message it sets the high bit of the first '{' or
// '[' of the payload (the JSON in a newline frame, the body of an HTTP
// message, the first data line of an SSE stream): that byte can be
// neither JSON nor a frame delimiter, so the damage is always seen, where
// a random flip could land in a string and go unnoticed.
//
// Use a *Corrupt (its counts are shared by every connection it acts on).
type Corrupt struct {
	Fraction float64 // of messages, in [0, 1]
	Seed     uint64
	Framing  Framing

	counts msgCounts
}

var (
	_ Toxic   = (*Corrupt)(nil)
	_ PerConn = (*Corrupt)(nil)
)

// Counts returns how many messages the fault has seen and corrupted so
// far, over every connection and direction.
func (t *Corrupt) Counts() MessageCounts { return t.counts.load() }

func (t *Corrupt) Validate() error { return validMessageFault(t.Fraction, t.Framing) }

func (t *Corrupt) String() string {
	return fmt.Sprintf("corruption of %.3g of %s", t.Fraction, t.Framing)
}

func (t *Corrupt) Pipe(ctx context.Context, c Chunk, next func(Chunk) error) error {
	return t.ForConn(ConnInfo{}).Pipe(ctx, c, next)
}

func (t *Corrupt) ForConn(c ConnInfo) Toxic {
	return &corruptConn{t: t, rnd: c.Rand(t.Seed), f: newFramer(t.Framing)}
}

type corruptConn struct {
	t    *Corrupt
	rnd  *rand.Rand
	f    framer
	want bool // the message in progress is chosen and not yet flipped
}

func (k *corruptConn) Pipe(_ context.Context, c Chunk, next func(Chunk) error) error {
	data := c.Data // flipped in place: the chunk is the toxic's
	for len(data) > 0 {
		n, starts, body := k.f.split(data)
		if starts {
			k.t.counts.seen.Add(1)
			k.want = k.rnd.Float64() < k.t.Fraction
		}
		if k.want {
			for i := body; i < n; i++ {
				if data[i] == '{' || data[i] == '[' {
					data[i] |= 0x80
					k.want = false
					k.t.counts.hit.Add(1)
					break
				}
			}
		}
		data = data[n:]
	}
	return next(c)
}
