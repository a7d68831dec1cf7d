package chaos

import (
	"bufio"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/internal/loopbacktest"
)

// startEcho runs a line echo server on loopback until the test ends.
func startEcho(tb testing.TB) string {
	return loopbacktest.Serve(tb, func(c net.Conn) { _, _ = io.Copy(c, c) })
}

func newProxy(tb testing.TB, upstream string) *Proxy {
	tb.Helper()
	p, err := NewProxy(context.Background(), upstream)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = p.Close() })
	return p
}

func dialLines(tb testing.TB, addr string) (net.Conn, *bufio.Reader) {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c, bufio.NewReader(c)
}

func roundTrip(c net.Conn, r *bufio.Reader, line string) (string, error) {
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return "", err
	}
	got, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	return got[:len(got)-1], nil
}

// waitLive waits until the proxy has paired n connections with the upstream.
func waitLive(tb testing.TB, p *Proxy, n int) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for p.Live() != n {
		if time.Now().After(deadline) {
			tb.Fatalf("proxy has %d live connections, want %d", p.Live(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestProxyForwardsBothWays(t *testing.T) {
	p := newProxy(t, startEcho(t))
	c, r := dialLines(t, p.Addr())
	for _, msg := range []string{"hello", `{"jsonrpc":"2.0","id":1}`, string(make([]byte, 0))} {
		got, err := roundTrip(c, r, msg)
		if err != nil || got != msg {
			t.Fatalf("round trip of %q: got %q, %v", msg, got, err)
		}
	}
}

func TestDropAllResetsEveryLiveConnectionAndRecordsTheFault(t *testing.T) {
	p := newProxy(t, startEcho(t))
	const n = 5
	conns := make([]net.Conn, n)
	readers := make([]*bufio.Reader, n)
	for i := range conns {
		conns[i], readers[i] = dialLines(t, p.Addr())
		if _, err := roundTrip(conns[i], readers[i], "up"); err != nil {
			t.Fatal(err)
		}
	}
	waitLive(t, p, n)
	before := time.Now()
	ev := p.DropAll()
	if ev.Kind != KindDropAll || ev.Conns != n || ev.At.Before(before) {
		t.Fatalf("event %+v, want %s of %d connections at or after %v", ev, KindDropAll, n, before)
	}
	for i, c := range conns {
		_, err := roundTrip(c, readers[i], "after")
		if err == nil {
			t.Fatalf("connection %d still answers after DropAll", i)
		}
		if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) && !errors.Is(err, syscall.EPIPE) {
			t.Errorf("connection %d: %v, want a reset", i, err)
		}
	}
	// The listener stays open: a client can reconnect through the proxy.
	c, r := dialLines(t, p.Addr())
	if got, err := roundTrip(c, r, "again"); err != nil || got != "again" {
		t.Fatalf("reconnect through the proxy: %q, %v", got, err)
	}
	if evs := p.Events(); len(evs) != 1 || evs[0] != ev {
		t.Fatalf("events %+v, want just %+v", evs, ev)
	}
}

func TestDropResetsTheSeededFraction(t *testing.T) {
	tests := []struct {
		name     string
		fraction float64
		live     int
		want     int
	}{
		{"a tenth of ten connections is one", 0.1, 10, 1},
		{"half of ten is five", 0.5, 10, 5},
		{"none is none", 0, 10, 0},
		{"all is all", 1, 10, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProxy(t, startEcho(t))
			for range tt.live {
				c, r := dialLines(t, p.Addr())
				if _, err := roundTrip(c, r, "up"); err != nil {
					t.Fatal(err)
				}
			}
			waitLive(t, p, tt.live)
			ev, err := p.Drop(tt.fraction, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatal(err)
			}
			if ev.Conns != tt.want {
				t.Fatalf("dropped %d, want %d", ev.Conns, tt.want)
			}
			waitLive(t, p, tt.live-tt.want)
		})
	}
}

func TestDropRejectsBadInput(t *testing.T) {
	p := newProxy(t, startEcho(t))
	for _, f := range []float64{-0.1, 1.5} {
		if _, err := p.Drop(f, rand.New(rand.NewPCG(1, 2))); err == nil {
			t.Errorf("Drop(%v) accepted", f)
		}
	}
	if _, err := p.Drop(0.5, nil); err == nil {
		t.Error("Drop without a random source accepted")
	}
	if _, err := NewProxy(context.Background(), "no-port"); err == nil {
		t.Error("NewProxy accepted an upstream without a port")
	}
}

func TestProxyToAClosedUpstreamResetsTheClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	p := newProxy(t, addr)
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		return // reset while connecting: also a refusal
	}
	defer c.Close()
	if _, err := roundTrip(c, bufio.NewReader(c), "x"); err == nil {
		t.Fatal("a proxy to a closed upstream answered")
	}
}

func TestProxyStopsWhenItsContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p, err := NewProxy(ctx, startEcho(t))
	if err != nil {
		t.Fatal(err)
	}
	c, r := dialLines(t, p.Addr())
	if _, err := roundTrip(c, r, "up"); err != nil {
		t.Fatal(err)
	}
	cancel()
	// The proxy shuts down asynchronously once its context ends.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := roundTrip(c, r, "after"); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("connection survived the proxy's context by 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = p.Close() // waits for every goroutine; goleak checks the rest
}
