package chaos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"time"
)

// FaultEvent records one injected fault: what, when, and how many
// connections it hit.
type FaultEvent struct {
	Kind   string    `json:"kind"`
	At     time.Time `json:"at"`
	Conns  int       `json:"conns"`
	Detail string    `json:"detail,omitempty"`
}

// Fault kinds recorded by Proxy.
const (
	KindDropAll = "drop_connections"
	KindDrop    = "drop_fraction"
)

// Proxy is a TCP fault proxy on 127.0.0.1: every accepted connection is
// paired with a fresh connection to the upstream and bytes are copied both
// ways until either side closes. DropAll and Drop reset live connections;
// the listener stays open, so clients can reconnect through it.
type Proxy struct {
	upstream string
	ln       net.Listener
	dialer   net.Dialer

	mu     sync.Mutex
	conns  map[*link]struct{}
	events []FaultEvent
	closed bool

	wg     sync.WaitGroup
	cancel context.CancelFunc
}

// link is one proxied connection: the client side and the upstream side.
type link struct {
	client, server net.Conn
	once           sync.Once
}

// reset closes both sides with SO_LINGER 0, so the peers see an RST rather
// than an orderly FIN.
func (l *link) reset() {
	l.once.Do(func() {
		for _, c := range []net.Conn{l.client, l.server} {
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			_ = c.Close()
		}
	})
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
	l := &link{client: c, server: s}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		l.reset()
		return
	}
	p.conns[l] = struct{}{}
	p.mu.Unlock()

	var wg sync.WaitGroup
	wg.Add(2)
	pipe := func(dst, src net.Conn) {
		defer wg.Done()
		_, _ = io.Copy(dst, src)
		// One direction ended (EOF or reset): pass an orderly close on to
		// the other side if it is still open, so neither peer hangs.
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}
	go pipe(s, c)
	go pipe(c, s)
	wg.Wait()
	p.mu.Lock()
	delete(p.conns, l)
	p.mu.Unlock()
	_ = c.Close()
	_ = s.Close()
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
// the fault. The number dropped is round(fraction × live).
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
		// Map order is not seeded: put the connections in a stable order
		// (the client's address) before the seeded shuffle.
		slices.SortFunc(live, func(a, b *link) int {
			return strings.Compare(a.client.RemoteAddr().String(), b.client.RemoteAddr().String())
		})
		rnd.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
		n = int(fraction*float64(len(live)) + 0.5)
	}
	victims := live[:n]
	for _, l := range victims {
		delete(p.conns, l)
	}
	ev := FaultEvent{Kind: kind, At: time.Now(), Conns: len(victims),
		Detail: fmt.Sprintf("reset %d of %d connections to %s", len(victims), len(live), p.upstream)}
	p.events = append(p.events, ev)
	p.mu.Unlock()
	for _, l := range victims {
		l.reset()
	}
	return ev
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
	live := make([]*link, 0, len(p.conns))
	for l := range p.conns {
		live = append(live, l)
	}
	p.mu.Unlock()
	err := p.ln.Close()
	for _, l := range live {
		l.reset()
	}
	p.cancel()
	return err
}
