package chaos

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/internal/loopbacktest"
)

// sink is a loopback server that reads every connection to its end and
// records what arrived and when.
type sink struct {
	addr string
	mu   sync.Mutex
	got  []arrival
	ends []time.Time // when each connection's input ended
}

type arrival struct {
	at   time.Time
	data []byte
}

func startSink(tb testing.TB) *sink {
	s := &sink{}
	s.addr = loopbacktest.Serve(tb, func(c net.Conn) {
		buf := make([]byte, 64<<10)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				s.mu.Lock()
				s.got = append(s.got, arrival{time.Now(), append([]byte(nil), buf[:n]...)})
				s.mu.Unlock()
			}
			if err != nil {
				s.mu.Lock()
				s.ends = append(s.ends, time.Now())
				s.mu.Unlock()
				return
			}
		}
	})
	return s
}

func (s *sink) bytes() (n int, last time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.got {
		n += len(a.data)
		last = a.at
	}
	return n, last
}

func (s *sink) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, a := range s.got {
		b.Write(a.data)
	}
	return b.String()
}

// waitFor polls cond every 5 ms for at most d.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

func addToxic(tb testing.TB, p *Proxy, s ToxicSpec) {
	tb.Helper()
	if _, err := p.AddToxic(s); err != nil {
		tb.Fatal(err)
	}
}

// lineDelays sends n numbered lines every gap through c (to an echo
// server) and returns each line's time from send to echo.
func lineDelays(tb testing.TB, c net.Conn, r *bufio.Reader, n int, gap time.Duration) []time.Duration {
	tb.Helper()
	sent := make([]time.Time, n)
	errc := make(chan error, 1)
	go func() {
		for i := range n {
			sent[i] = time.Now()
			if _, err := fmt.Fprintf(c, "line %d\n", i); err != nil {
				errc <- err
				return
			}
			time.Sleep(gap)
		}
		errc <- nil
	}()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	out := make([]time.Duration, n)
	for i := range n {
		line, err := r.ReadString('\n')
		if err != nil {
			tb.Fatalf("line %d: %v", i, err)
		}
		out[i] = time.Since(sent[i])
		if want := fmt.Sprintf("line %d\n", i); line != want {
			tb.Fatalf("got %q, want %q", line, want)
		}
	}
	if err := <-errc; err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestLatencyDelaysEveryChunkByTheLatencyWithinTheJitter(t *testing.T) {
	p := newProxy(t, startEcho(t))
	c, r := dialLines(t, p.Addr())
	// Negative control: through the bare proxy a line comes back at once,
	// so the bounds below can fail.
	for i, d := range lineDelays(t, c, r, 5, 0) {
		if d > 40*time.Millisecond {
			t.Fatalf("without latency, line %d took %v", i, d)
		}
	}
	const lat, jit = 100 * time.Millisecond, 30 * time.Millisecond
	addToxic(t, p, ToxicSpec{Name: "lat", Direction: Upstream, Toxic: Latency{Latency: lat, Jitter: jit, Seed: 7}})
	// Lines 20 ms apart: each is delayed from its own arrival, not after
	// the one before it (which would add up to 15 × 100 ms).
	ds := lineDelays(t, c, r, 15, 20*time.Millisecond)
	lo, hi := ds[0], ds[0]
	for i, d := range ds {
		if d < lat-jit || d > lat+jit+30*time.Millisecond {
			t.Errorf("line %d delayed %v, want %v ± %v (+30 ms slack for scheduling)", i, d, lat, jit)
		}
		lo, hi = min(lo, d), max(hi, d)
	}
	// With ±30 ms uniform jitter, 15 delays spread over less than 10 ms
	// only if the jitter is not applied.
	if hi-lo < 10*time.Millisecond {
		t.Errorf("delays span %v..%v: no jitter", lo, hi)
	}
	t.Logf("delays with %v ± %v: %v .. %v", lat, jit, lo, hi)
}

func TestRemovingAToxicForwardsTheBytesItHolds(t *testing.T) {
	p := newProxy(t, startEcho(t))
	c, r := dialLines(t, p.Addr())
	addToxic(t, p, ToxicSpec{Name: "lat", Direction: Both, Toxic: Latency{Latency: 5 * time.Second}})
	start := time.Now()
	if _, err := io.WriteString(c, "held\n"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	ev, err := p.RemoveToxic("lat")
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	line, err := r.ReadString('\n')
	if err != nil || line != "held\n" {
		t.Fatalf("after removal: %q, %v", line, err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("held line came back after %v: the removed toxic kept it", d)
	}
	if ev.Kind != KindToxic || ev.End.Before(ev.At) || ev.End.Sub(ev.At) < 100*time.Millisecond {
		t.Fatalf("event %+v: want a toxic event lasting about 100 ms", ev)
	}
	if _, err := p.RemoveToxic("lat"); err == nil {
		t.Fatal("removed a toxic twice")
	}
}

func TestBandwidthPassesBytesAtTheSetRate(t *testing.T) {
	s := startSink(t)
	p := newProxy(t, s.addr)
	const size = 128 << 10
	send := func() (float64, time.Duration) {
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		before, _ := s.bytes()
		start := time.Now()
		if _, err := c.Write(make([]byte, size)); err != nil {
			t.Fatal(err)
		}
		if !waitFor(5*time.Second, func() bool { n, _ := s.bytes(); return n-before == size }) {
			n, _ := s.bytes()
			t.Fatalf("%d of %d bytes arrived", n-before, size)
		}
		_, last := s.bytes()
		d := last.Sub(start)
		return float64(size) / d.Seconds(), d
	}
	const rate = 256 << 10 // 128 KiB take 0.5 s
	// Negative control: unshaped, the same bytes go far faster than rate.
	if got, d := send(); got < 4*rate {
		t.Fatalf("unshaped: %.0f B/s in %v, want well above %d", got, d, rate)
	}
	addToxic(t, p, ToxicSpec{Name: "bw", Direction: Upstream, Toxic: Bandwidth{Rate: rate}})
	got, d := send()
	if got < 0.9*rate || got > 1.1*rate {
		t.Fatalf("shaped to %d B/s: %.0f B/s (%v for %d B), want within 10%%", rate, got, d, size)
	}
	t.Logf("shaped to %d B/s: measured %.0f B/s (%.1f%%)", rate, got, 100*got/rate)
}

func TestSlowCloseHoldsTheCloseAndTimeoutHoldsTheData(t *testing.T) {
	t.Run("slow close delays the peer's close by the set delay", func(t *testing.T) {
		p := newProxy(t, startEcho(t))
		measure := func() time.Duration {
			c, r := dialLines(t, p.Addr())
			if _, err := roundTrip(c, r, "x"); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_ = c.(*net.TCPConn).CloseWrite() // the echo server then closes
			_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
			if _, err := r.ReadByte(); err != io.EOF {
				t.Fatalf("want EOF, got %v", err)
			}
			return time.Since(start)
		}
		if d := measure(); d > 100*time.Millisecond {
			t.Fatalf("without the toxic the close took %v", d)
		}
		addToxic(t, p, ToxicSpec{Name: "sc", Direction: Downstream, Toxic: SlowClose{Delay: 300 * time.Millisecond}})
		if d := measure(); d < 300*time.Millisecond || d > 600*time.Millisecond {
			t.Fatalf("slow close of 300ms: the close came after %v", d)
		}
	})
	t.Run("timeout passes nothing and closes after the timeout", func(t *testing.T) {
		p := newProxy(t, startEcho(t))
		c, r := dialLines(t, p.Addr())
		if _, err := roundTrip(c, r, "up"); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		addToxic(t, p, ToxicSpec{Name: "to", Direction: Upstream, Toxic: Timeout{Timeout: 300 * time.Millisecond}})
		_, err := roundTrip(c, r, "lost")
		if d := time.Since(start); err == nil || d < 300*time.Millisecond || d > time.Second {
			t.Fatalf("round trip under a 300ms timeout: %v after %v, want the connection closed at 300ms", err, d)
		}
	})
}

func TestResetPeerResetsAfterTheTimeout(t *testing.T) {
	p := newProxy(t, startEcho(t))
	c, r := dialLines(t, p.Addr())
	if _, err := roundTrip(c, r, "up"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	addToxic(t, p, ToxicSpec{Name: "rst", Toxic: ResetPeer{Timeout: 200 * time.Millisecond}})
	// Traffic still flows before the reset.
	if got, err := roundTrip(c, r, "before"); err != nil || got != "before" {
		t.Fatalf("before the reset: %q, %v", got, err)
	}
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err := r.ReadByte()
	d := time.Since(start)
	if !errors.Is(err, syscall.ECONNRESET) || d < 200*time.Millisecond || d > 600*time.Millisecond {
		t.Fatalf("got %v after %v, want a reset at 200ms", err, d)
	}
}

func TestSlicerCutsChunksIntoSmallReads(t *testing.T) {
	p := newProxy(t, startEcho(t))
	reads := func() int {
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		msg := strings.Repeat("x", 199) + "\n"
		if _, err := io.WriteString(c, msg); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		var got []byte
		n := 0
		buf := make([]byte, 1024)
		for len(got) < len(msg) {
			k, err := c.Read(buf)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, buf[:k]...)
			n++
		}
		if string(got) != msg {
			t.Fatal("sliced bytes differ from those sent")
		}
		return n
	}
	if n := reads(); n > 2 {
		t.Fatalf("without the slicer 200 bytes took %d reads", n)
	}
	addToxic(t, p, ToxicSpec{Name: "sl", Toxic: Slicer{AverageSize: 10, SizeVariation: 5, Delay: 2 * time.Millisecond, Seed: 3}})
	// 200 bytes in slices of 5..15 with a pause between: at least 13 reads.
	if n := reads(); n < 13 {
		t.Fatalf("sliced into %d reads, want at least 13", n)
	}
}

func TestLimitDataPassesTheLimitThenCloses(t *testing.T) {
	s := startSink(t)
	p := newProxy(t, s.addr)
	addToxic(t, p, ToxicSpec{Name: "lim", Direction: Upstream, Toxic: LimitData{Bytes: 100}})
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = c.Write(make([]byte, 60))
	_, _ = c.Write(make([]byte, 60))
	if !waitFor(2*time.Second, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return len(s.ends) == 1 }) {
		t.Fatal("the upstream connection was not closed")
	}
	if n, _ := s.bytes(); n != 100 {
		t.Fatalf("%d bytes passed, want exactly 100", n)
	}
}

func TestToxicityPicksTheSeededFractionOfConnections(t *testing.T) {
	p := newProxy(t, startEcho(t))
	spec := ToxicSpec{Name: "half", Direction: Upstream, Toxicity: 0.5, Seed: 11, Toxic: Latency{Latency: 300 * time.Millisecond}}
	addToxic(t, p, spec)
	const n = 30
	slow := make([]bool, n)
	var wg sync.WaitGroup
	conns := make([]net.Conn, n)
	readers := make([]*bufio.Reader, n)
	for i := range n { // dialled one by one: accept order = i
		conns[i], readers[i] = dialLines(t, p.Addr())
		waitLive(t, p, i+1)
	}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			if _, err := roundTrip(conns[i], readers[i], "x"); err != nil {
				t.Error(err)
			}
			slow[i] = time.Since(start) > 150*time.Millisecond
		}()
	}
	wg.Wait()
	hit := 0
	for i := range n {
		if slow[i] != spec.actsOn(i) {
			t.Errorf("connection %d: slowed %v, but the seeded choice says %v", i, slow[i], spec.actsOn(i))
		}
		if slow[i] {
			hit++
		}
	}
	if hit == 0 || hit == n {
		t.Fatalf("%d of %d connections slowed: toxicity 0.5 picked all or none", hit, n)
	}
	t.Logf("toxicity 0.5 slowed %d of %d connections", hit, n)
}

// TestToxicsComeAndGoWhileTrafficFlows toggles toxics on live connections
// and checks that every byte arrives, whole and in order.
func TestToxicsComeAndGoWhileTrafficFlows(t *testing.T) {
	p := newProxy(t, startEcho(t))
	const conns, lines = 4, 300
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		specs := []ToxicSpec{
			{Name: "lat", Direction: Both, Toxic: Latency{Latency: 5 * time.Millisecond, Jitter: 5 * time.Millisecond}},
			{Name: "sl", Direction: Downstream, Toxic: Slicer{AverageSize: 7, SizeVariation: 3}},
			{Name: "bw", Direction: Upstream, Toxic: Bandwidth{Rate: 1 << 20}},
		}
		for i := 0; ctx.Err() == nil && i < 200; i++ {
			s := specs[i%len(specs)]
			if _, err := p.AddToxic(s); err != nil {
				t.Error(err)
				return
			}
			wait(ctx, 7*time.Millisecond)
			if _, err := p.RemoveToxic(s.Name); err != nil {
				t.Error(err)
				return
			}
			wait(ctx, 3*time.Millisecond)
		}
	}()
	var cwg sync.WaitGroup
	for k := range conns {
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			c, err := net.Dial("tcp", p.Addr())
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			r := bufio.NewReader(c)
			go func() {
				for i := range lines {
					if _, err := fmt.Fprintf(c, "conn %d line %d %s\n", k, i, strings.Repeat("y", i%50)); err != nil {
						return
					}
					time.Sleep(time.Millisecond) // traffic for ~0.3 s: many toggles

				}
			}()
			_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
			for i := range lines {
				got, err := r.ReadString('\n')
				if want := fmt.Sprintf("conn %d line %d %s\n", k, i, strings.Repeat("y", i%50)); err != nil || got != want {
					t.Errorf("conn %d: got %q, %v; want %q", k, got, err, want)
					return
				}
			}
		}()
	}
	cwg.Wait()
	cancel()
	wg.Wait()
	if evs := p.Events(); len(evs) < 10 {
		t.Fatalf("only %d toxic events while traffic flowed", len(evs))
	}
}

func TestToxicSpecValidation(t *testing.T) {
	p := newProxy(t, startEcho(t))
	bad := []ToxicSpec{
		{Toxic: Latency{}},
		{Name: "x"},
		{Name: "x", Toxicity: 2, Toxic: Latency{}},
		{Name: "x", Direction: 9, Toxic: Latency{}},
		{Name: "x", Toxic: Latency{Latency: time.Millisecond, Jitter: time.Second}},
		{Name: "x", Toxic: Bandwidth{}},
		{Name: "x", Toxic: Slicer{AverageSize: 4, SizeVariation: 4}},
		{Name: "x", Toxic: &Loss{Fraction: 1.5}},
		{Name: "chaos:mine", Toxic: Latency{}},
	}
	for _, s := range bad {
		if _, err := p.AddToxic(s); err == nil {
			t.Errorf("AddToxic(%+v) accepted", s)
		}
	}
	addToxic(t, p, ToxicSpec{Name: "x", Toxic: Latency{}})
	if _, err := p.AddToxic(ToxicSpec{Name: "x", Toxic: Latency{}}); err == nil {
		t.Error("two toxics of one name accepted")
	}
	if got := p.Toxics(); len(got) != 1 || got[0].Name != "x" {
		t.Errorf("Toxics() = %+v", got)
	}
}
