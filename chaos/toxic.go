package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Chunk is one read from one side of a proxied connection, on its way to
// the other side: the bytes, and when the proxy read them (so a delay is
// counted from the arrival, not from when a toxic got to the chunk).
type Chunk struct {
	Data []byte
	At   time.Time
}

// A Toxic is one byte-level fault acting on one direction of one proxied
// connection. Pipe is called with every chunk read from that direction, in
// order, one at a time, and passes on what should arrive by calling next
// zero, one or several times (each call writes on towards the peer; its
// error is the write's). Pipe may block for as long as it delays.
//
// When ctx ends — the toxic was removed while traffic flows, or the
// connection is closing — Pipe must stop delaying and pass on every byte
// it holds, at once: an interrupted fault forwards its bytes, and only a
// fault whose job is loss loses data. Returning ErrClose or ErrReset ends
// the connection; any other error closes it too.
//
// A Toxic value is shared by every connection it acts on, so Pipe must be
// safe for concurrent use; a toxic that needs state per connection
// implements PerConn.
type Toxic interface {
	Pipe(ctx context.Context, c Chunk, next func(Chunk) error) error
}

// Optional behaviour, checked by type assertion (toxiproxy's shape).
type (
	// PerConn is a toxic with state per connection and direction (bytes
	// counted, a seeded random stream): the proxy calls ForConn once for
	// every connection and direction the toxic acts on and uses the Toxic
	// it returns there.
	PerConn interface {
		ForConn(c ConnInfo) Toxic
	}
	// Ender acts when its direction's source ends (EOF), before the end is
	// passed on to the peer; End must return early when ctx ends.
	Ender interface {
		End(ctx context.Context) error
	}
	// Expirer ends the connection by itself, traffic or not: Expire says
	// how long after the toxic starts acting on a connection, and how
	// (ErrClose or ErrReset). A negative duration means never.
	Expirer interface {
		Expire() (after time.Duration, how error)
	}
)

// ConnInfo identifies one direction of one proxied connection to a
// PerConn toxic.
type ConnInfo struct {
	// Index is the connection's accept order on its proxy, from 0: with a
	// seed it makes a per-connection random stream that replays.
	Index     int
	Direction Direction
}

// Rand is a random source for the connection and direction c, derived
// from seed: the same seed, accept order and direction give the same
// stream whatever the timing.
func (c ConnInfo) Rand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(c.Index)<<1|uint64(c.Direction&1)))
}

// ErrClose and ErrReset, returned by a toxic (or by Expirer.Expire), end
// the connection: ErrClose with an orderly close of both sides, ErrReset
// with an RST to both peers.
var (
	ErrClose = errors.New("chaos: toxic closed the connection")
	ErrReset = errors.New("chaos: toxic reset the connection")
)

// Direction says which way through the proxy a toxic acts. Upstream is
// client → server (requests); Downstream is server → client (responses,
// the zero value, as in toxiproxy); Both is both.
type Direction uint8

const (
	Downstream Direction = iota
	Upstream
	Both
)

func (d Direction) String() string {
	switch d {
	case Downstream:
		return "downstream"
	case Upstream:
		return "upstream"
	case Both:
		return "both"
	}
	return fmt.Sprintf("Direction(%d)", uint8(d))
}

// covers reports whether a toxic set for d acts on traffic flowing way
// (Upstream or Downstream).
func (d Direction) covers(way Direction) bool { return d == Both || d == way }

// ToxicSpec is a toxic as added to a proxy: the fault, plus what every
// fault shares — its name, the direction it acts in, and its toxicity.
type ToxicSpec struct {
	// Name identifies the toxic on its proxy (RemoveToxic takes it); it
	// must be unique there and not empty.
	Name string
	// Direction defaults to Downstream (the zero value).
	Direction Direction
	// Toxicity is the fraction of connections the toxic acts on, in
	// (0, 1]; 0 means 1, every connection. Which connections is decided
	// once per connection from Seed and the connection's accept order, so
	// a run replays.
	Toxicity float64
	Seed     uint64
	// Toxic is the fault itself (Latency, Bandwidth, Loss, …).
	Toxic Toxic
}

// Validate reports every problem with s at once.
func (s ToxicSpec) Validate() error {
	var errs []error
	if s.Name == "" {
		errs = append(errs, errors.New("chaos: toxic without a name"))
	}
	if s.Direction > Both {
		errs = append(errs, fmt.Errorf("chaos: toxic %q: unknown direction %d", s.Name, s.Direction))
	}
	if !(s.Toxicity >= 0 && s.Toxicity <= 1) {
		errs = append(errs, fmt.Errorf("chaos: toxic %q: toxicity %v is not in [0,1]", s.Name, s.Toxicity))
	}
	if s.Toxic == nil {
		errs = append(errs, fmt.Errorf("chaos: toxic %q has no Toxic", s.Name))
	} else if v, ok := s.Toxic.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("chaos: toxic %q: %w", s.Name, err))
		}
	}
	return errors.Join(errs...)
}

// actsOn reports whether the toxic acts on connection index: true for a
// toxicity of 0 or 1, else a seeded draw per connection.
func (s ToxicSpec) actsOn(index int) bool {
	if s.Toxicity == 0 || s.Toxicity >= 1 {
		return true
	}
	return rand.New(rand.NewPCG(s.Seed, uint64(index))).Float64() < s.Toxicity
}

// wait sleeps for d or until ctx ends, and says whether the full time
// passed. A non-positive d returns at once.
func wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
