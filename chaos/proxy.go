package chaos

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// FaultEvent records one injected fault: what, when it began (At) and
// ended (End: the heal; equal to At for an instantaneous fault such as a
// reset; zero while the fault is still in force), and how many
// connections it hit.
type FaultEvent struct {
	Kind   string    `json:"kind"`
	At     time.Time `json:"at"`
	End    time.Time `json:"end,omitzero"`
	Conns  int       `json:"conns"`
	Detail string    `json:"detail,omitempty"`
}

// Duration is End − At; zero while the fault is in force.
func (e FaultEvent) Duration() time.Duration {
	if e.End.IsZero() {
		return 0
	}
	return e.End.Sub(e.At)
}

// Fault kinds recorded by Proxy.
const (
	KindDropAll   = "drop_connections"
	KindDrop      = "drop_fraction"
	KindToxic     = "toxic"
	KindPartition = "partition"
)

// Proxy is a TCP fault proxy on 127.0.0.1: every accepted connection is
// paired with a fresh connection to the upstream and bytes are copied both
// ways until either side closes. DropAll and Drop reset live connections;
// the listener stays open, so clients can reconnect through it. AddToxic
// and RemoveToxic put byte- and message-level faults on the traffic while
// it flows; Partition and Heal blackhole it.
//
// With no toxic in force a connection costs about what io.Copy costs: one
// read and one write per chunk, plus an atomic load. Toxics run in a
// second goroutine per direction that chunks reach through a queue, so a
// delayed chunk never stops the next one from being read (and timed).
type Proxy struct {
	upstream string
	ln       net.Listener
	dialer   net.Dialer

	toxics atomic.Pointer[toxicSet] // never nil; replaced, never changed

	mu       sync.Mutex
	conns    map[*link]struct{}
	events   []FaultEvent
	closed   bool
	accepted int           // connections accepted so far: the next index
	healed   chan struct{} // non-nil while partitioned; closed by Heal

	wg     sync.WaitGroup
	cancel context.CancelFunc
}

// NewProxy listens on 127.0.0.1:0 and forwards to upstream (host:port).
// It runs until Close or until ctx ends.
func NewProxy(ctx context.Context, upstream string) (*Proxy, error) {
	if _, _, err := net.SplitHostPort(upstream); err != nil {
		return nil, fmt.Errorf("chaos: upstream %q: want host:port: %w", upstream, err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("chaos: proxy listen: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	p := &Proxy{upstream: upstream, ln: ln, conns: map[*link]struct{}{}, cancel: cancel}
	p.toxics.Store(&toxicSet{})
	p.wg.Add(2)
	go func() {
		defer p.wg.Done()
		<-ctx.Done()
		_ = p.shutdown()
	}()
	go func() {
		defer p.wg.Done()
		p.accept(ctx)
	}()
	return p, nil
}

// Addr is the proxy's listen address (host:port), what clients dial.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Upstream is the address the proxy forwards to.
func (p *Proxy) Upstream() string { return p.upstream }

func (p *Proxy) accept(ctx context.Context) {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // listener closed
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.serve(ctx, c)
		}()
	}
}

func (p *Proxy) serve(ctx context.Context, c net.Conn) {
	p.mu.Lock()
	index := p.accepted
	p.accepted++
	healed := p.healed
	p.mu.Unlock()
	if healed != nil {
		// Partitioned: the client's connection is held, unpaired, until
		// the partition heals, as its SYN would go unanswered; it then
		// goes through.
		select {
		case <-healed:
		case <-ctx.Done():
			_ = c.Close()
			return
		}
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	s, err := p.dialer.DialContext(dctx, "tcp", p.upstream)
	cancel()
	if err != nil {
		// The upstream refused: the client sees its connection reset,
		// as it would without the proxy.
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = c.Close()
		return
	}
	l := newLink(ctx, p, index, c, s)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		l.end(true)
		return
	}
	p.conns[l] = struct{}{}
	p.mu.Unlock()

	l.run()
	p.mu.Lock()
	delete(p.conns, l)
	p.mu.Unlock()
}

// Live is how many connections are being proxied now.
func (p *Proxy) Live() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// DropAll resets every live connection at once and records the fault.
func (p *Proxy) DropAll() FaultEvent {
	return p.drop(1, nil, KindDropAll)
}

// Drop resets a fraction (0..1) of the live connections chosen with rnd
// (which must not be nil: pass a seeded source so runs replay) and records
// the fault. The number dropped is round(fraction × live). It is the
// proxy side of "disconnect a fraction of sessions": the clients see a
// reset and reconnect (through the proxy, whose listener stays open) by
// their own backoff.
func (p *Proxy) Drop(fraction float64, rnd *rand.Rand) (FaultEvent, error) {
	if !(fraction >= 0 && fraction <= 1) {
		return FaultEvent{}, fmt.Errorf("chaos: drop fraction %v is not in [0,1]", fraction)
	}
	if rnd == nil {
		return FaultEvent{}, errors.New("chaos: Drop needs a seeded *rand.Rand")
	}
	return p.drop(fraction, rnd, KindDrop), nil
}

func (p *Proxy) drop(fraction float64, rnd *rand.Rand, kind string) FaultEvent {
	p.mu.Lock()
	live := make([]*link, 0, len(p.conns))
	for l := range p.conns {
		live = append(live, l)
	}
	n := len(live)
	if rnd != nil {
		// Map order is not seeded: put the connections in accept order
		// before the seeded shuffle.
		slices.SortFunc(live, func(a, b *link) int { return cmp.Compare(a.index, b.index) })
		rnd.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
		n = int(fraction*float64(len(live)) + 0.5)
	}
	victims := live[:n]
	for _, l := range victims {
		delete(p.conns, l)
	}
	now := time.Now()
	ev := FaultEvent{Kind: kind, At: now, End: now, Conns: len(victims),
		Detail: fmt.Sprintf("reset %d of %d connections to %s", len(victims), len(live), p.upstream)}
	p.events = append(p.events, ev)
	p.mu.Unlock()
	for _, l := range victims {
		l.end(true)
	}
	return ev
}

// toxicSet is the toxics in force on a proxy, in the order added (the
// order chunks pass through them). A set is never changed once published.
type toxicSet struct {
	list []*attached
}

// attached is one toxic in force: its spec, a context that ends when it
// is removed (interrupting it on every connection), and its event.
type attached struct {
	spec   ToxicSpec
	ctx    context.Context
	cancel context.CancelFunc
	event  int // index in Proxy.events
}

// actsOn reports whether any toxic in the set acts on traffic flowing way
// on connection index.
func (s *toxicSet) actsOn(way Direction, index int) bool {
	for _, a := range s.list {
		if a.spec.Direction.covers(way) && a.spec.actsOn(index) {
			return true
		}
	}
	return false
}

// reservedPrefix names the proxy's own toxics (the partition's).
const reservedPrefix = "chaos:"

// AddToxic puts a toxic on every live and future connection, at once,
// while traffic flows, and records the event (its End is set by
// RemoveToxic). Chunks already queued for a direction pass through it
// too.
func (p *Proxy) AddToxic(s ToxicSpec) (FaultEvent, error) {
	if err := s.Validate(); err != nil {
		return FaultEvent{}, err
	}
	if strings.HasPrefix(s.Name, reservedPrefix) {
		return FaultEvent{}, fmt.Errorf("chaos: toxic name %q: the prefix %q is the proxy's own", s.Name, reservedPrefix)
	}
	return p.addToxic(s, KindToxic, fmt.Sprintf("%s: %v %s, toxicity %v", s.Name, s.Toxic, s.Direction, cmp.Or(s.Toxicity, 1)))
}

func (p *Proxy) addToxic(s ToxicSpec, kind, detail string) (FaultEvent, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return FaultEvent{}, errors.New("chaos: proxy closed")
	}
	cur := p.toxics.Load()
	for _, a := range cur.list {
		if a.spec.Name == s.Name {
			p.mu.Unlock()
			return FaultEvent{}, fmt.Errorf("chaos: toxic %q is already in force", s.Name)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &attached{spec: s, ctx: ctx, cancel: cancel, event: len(p.events)}
	n := 0
	for l := range p.conns {
		if s.actsOn(l.index) {
			n++
		}
	}
	ev := FaultEvent{Kind: kind, At: time.Now(), Conns: n, Detail: detail}
	p.events = append(p.events, ev)
	p.toxics.Store(&toxicSet{list: append(slices.Clip(cur.list), a)})
	p.kickLocked()
	p.mu.Unlock()
	return ev, nil
}

// RemoveToxic takes a toxic off every connection while traffic flows:
// each is interrupted and passes on at once the bytes it holds. It
// returns the toxic's event with End set.
func (p *Proxy) RemoveToxic(name string) (FaultEvent, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cur := p.toxics.Load()
	i := slices.IndexFunc(cur.list, func(a *attached) bool { return a.spec.Name == name })
	if i < 0 {
		return FaultEvent{}, fmt.Errorf("chaos: no toxic %q in force", name)
	}
	a := cur.list[i]
	p.toxics.Store(&toxicSet{list: slices.Delete(slices.Clone(cur.list), i, i+1)})
	a.cancel()
	p.kickLocked()
	p.events[a.event].End = time.Now()
	return p.events[a.event], nil
}

// Toxics lists the toxics in force, in chunk order.
func (p *Proxy) Toxics() []ToxicSpec {
	var out []ToxicSpec
	for _, a := range p.toxics.Load().list {
		if !strings.HasPrefix(a.spec.Name, reservedPrefix) {
			out = append(out, a.spec)
		}
	}
	return out
}

// kickLocked tells every live connection that the toxics changed, so a
// toxic starts (and its Expirer clock runs) on an idle connection too.
func (p *Proxy) kickLocked() {
	for l := range p.conns {
		l.kick()
	}
}

// Events returns the faults recorded so far, oldest first.
func (p *Proxy) Events() []FaultEvent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]FaultEvent(nil), p.events...)
}

// Close stops accepting, resets every live connection and waits for the
// proxy's goroutines. It is safe to call more than once.
func (p *Proxy) Close() error {
	err := p.shutdown()
	p.wg.Wait()
	return err
}

func (p *Proxy) shutdown() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	if p.healed != nil {
		close(p.healed)
		p.healed = nil
	}
	live := make([]*link, 0, len(p.conns))
	for l := range p.conns {
		live = append(live, l)
	}
	for _, a := range p.toxics.Load().list {
		a.cancel()
	}
	p.mu.Unlock()
	err := p.ln.Close()
	for _, l := range live {
		l.end(true)
	}
	p.cancel()
	return err
}
