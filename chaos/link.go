package chaos

import (
	"context"
	"errors"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// link is one proxied connection: the client side, the upstream side, and
// a pump for each direction.
type link struct {
	p              *Proxy
	index          int // accept order on the proxy
	client, server net.Conn
	ctx            context.Context // ends when the link ends
	cancel         context.CancelFunc
	once           sync.Once
	pumps          [2]*pump // Upstream, Downstream
}

func newLink(ctx context.Context, p *Proxy, index int, client, server net.Conn) *link {
	l := &link{p: p, index: index, client: client, server: server}
	l.ctx, l.cancel = context.WithCancel(ctx)
	l.pumps[0] = newPump(l, Upstream, client, server)
	l.pumps[1] = newPump(l, Downstream, server, client)
	return l
}

// end closes both sides once: with SO_LINGER 0 when rst, so the peers
// see an RST rather than an orderly FIN.
func (l *link) end(rst bool) {
	l.once.Do(func() {
		l.cancel()
		for _, c := range []net.Conn{l.client, l.server} {
			if tc, ok := c.(*net.TCPConn); rst && ok {
				_ = tc.SetLinger(0)
			}
			_ = c.Close()
		}
	})
}

func (l *link) kick() {
	for _, u := range l.pumps {
		select {
		case u.kick <- struct{}{}:
		default:
		}
	}
}

// run pumps both directions until both have ended, then closes the link.
func (l *link) run() {
	var wg sync.WaitGroup
	for _, u := range l.pumps {
		wg.Add(2)
		go func() { defer wg.Done(); u.read() }()
		go func() { defer wg.Done(); u.pipeline() }()
	}
	wg.Wait()
	l.end(false)
}

// queueLen bounds the chunks waiting for the toxics of one direction; a
// full queue stops the reader, and TCP flow control pushes back on the
// sender, as a slow network would.
const queueLen = 1024

// pump moves one direction of a link. The reader writes straight through
// while no toxic acts on the direction and nothing is queued; otherwise it
// queues copies of its chunks for the pipeline goroutine, which runs them
// through the toxics in force.
type pump struct {
	l        *link
	way      Direction
	src, dst net.Conn
	in       chan Chunk    // closed by the reader at the end of its source
	kick     chan struct{} // the toxics changed
	pending  atomic.Int64  // chunks queued and not yet written

	// The reader's view of the toxics.
	seen  *toxicSet
	clear bool // no toxic in seen acts on this direction

	// The pipeline's toxics, owned by the pipeline goroutine.
	set   *toxicSet
	insts []*inst
}

// inst is one toxic acting on one direction of one link.
type inst struct {
	a      *attached
	t      Toxic
	ctx    context.Context // ends when the toxic is removed or the link ends
	cancel context.CancelFunc
	stop   func() bool // unhooks ctx from the toxic's removal
	timer  *time.Timer // the Expirer's, if any
}

func newPump(l *link, way Direction, src, dst net.Conn) *pump {
	return &pump{l: l, way: way, src: src, dst: dst, in: make(chan Chunk, queueLen), kick: make(chan struct{}, 1)}
}

func (u *pump) read() {
	defer close(u.in)
	buf := make([]byte, 32<<10)
	for {
		n, err := u.src.Read(buf)
		if n > 0 && !u.forward(buf[:n]) {
			return
		}
		if err != nil {
			return
		}
	}
}

// forward passes one read on: straight to dst, or through the queue.
func (u *pump) forward(data []byte) bool {
	if set := u.l.p.toxics.Load(); set != u.seen {
		u.seen, u.clear = set, !set.actsOn(u.way, u.l.index)
	}
	if u.clear && u.pending.Load() == 0 {
		// Only this goroutine queues, so nothing is queued ahead of us.
		_, err := u.dst.Write(data)
		return err == nil
	}
	u.pending.Add(1)
	select {
	case u.in <- Chunk{Data: slices.Clone(data), At: time.Now()}:
		return true
	case <-u.l.ctx.Done():
		return false
	}
}

func (u *pump) pipeline() {
	defer u.detachAll()
	u.sync()
	for {
		select {
		case c, ok := <-u.in:
			if !ok {
				u.finish()
				return
			}
			u.sync()
			err := u.chain(0, c)
			u.pending.Add(-1)
			if err != nil {
				u.l.end(errors.Is(err, ErrReset))
				return
			}
		case <-u.kick:
			u.sync()
		case <-u.l.ctx.Done():
			return
		}
	}
}

// chain passes c through toxic i and the ones after it, then to dst.
func (u *pump) chain(i int, c Chunk) error {
	if i == len(u.insts) {
		_, err := u.dst.Write(c.Data)
		return err
	}
	t := u.insts[i]
	return t.t.Pipe(t.ctx, c, func(c Chunk) error { return u.chain(i+1, c) })
}

// finish passes the end of the source on: after the Enders in force, an
// orderly close of dst's write side, so neither peer hangs.
func (u *pump) finish() {
	if u.l.ctx.Err() != nil {
		return
	}
	u.sync()
	for _, t := range u.insts {
		if e, ok := t.t.(Ender); ok {
			if err := e.End(t.ctx); err != nil {
				u.l.end(errors.Is(err, ErrReset))
				return
			}
		}
	}
	if tc, ok := u.dst.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	} else {
		_ = u.dst.Close()
	}
}

// sync brings the pipeline's toxics in line with the proxy's: new ones
// start, removed ones are let go, the rest keep their state.
func (u *pump) sync() {
	set := u.l.p.toxics.Load()
	if set == u.set {
		return
	}
	u.set = set
	var next []*inst
	for _, a := range set.list {
		if !a.spec.Direction.covers(u.way) || !a.spec.actsOn(u.l.index) {
			continue
		}
		if i := slices.IndexFunc(u.insts, func(t *inst) bool { return t.a == a }); i >= 0 {
			next = append(next, u.insts[i])
			continue
		}
		next = append(next, u.attach(a))
	}
	for _, t := range u.insts {
		if !slices.Contains(next, t) {
			t.detach()
		}
	}
	u.insts = next
}

func (u *pump) attach(a *attached) *inst {
	t := &inst{a: a, t: a.spec.Toxic}
	if pc, ok := t.t.(PerConn); ok {
		t.t = pc.ForConn(ConnInfo{Index: u.l.index, Direction: u.way})
	}
	t.ctx, t.cancel = context.WithCancel(u.l.ctx)
	t.stop = context.AfterFunc(a.ctx, t.cancel)
	if e, ok := t.t.(Expirer); ok {
		if after, how := e.Expire(); after >= 0 {
			rst := errors.Is(how, ErrReset)
			t.timer = time.AfterFunc(after, func() { u.l.end(rst) })
		}
	}
	return t
}

func (t *inst) detach() {
	t.stop()
	t.cancel()
	if t.timer != nil {
		t.timer.Stop()
	}
}

func (u *pump) detachAll() {
	for _, t := range u.insts {
		t.detach()
	}
	u.insts = nil
}
