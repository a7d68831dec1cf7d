package client

import (
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A session's dialer binds its source address with the port left to
// connect(2) (dialFrom): the socket has IP_BIND_ADDRESS_NO_PORT and dials
// from the address asked for.
func TestDialFromLeavesThePortToConnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var d net.Dialer
	dialFrom(&d, "127.0.0.2")
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ip := c.LocalAddr().(*net.TCPAddr).IP.String(); ip != "127.0.0.2" {
		t.Errorf("dialed from %s, want 127.0.0.2", ip)
	}
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var gerr error
	_ = raw.Control(func(fd uintptr) { v, gerr = unix.GetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT) })
	if gerr != nil || v != 1 {
		t.Errorf("IP_BIND_ADDRESS_NO_PORT = %d (%v), want 1", v, gerr)
	}
}

// BenchmarkDialFromSourceAfterTimeWait is why dialFrom leaves the port to
// connect(2): after 24,000 connections from one source address closed
// client first (their TIME_WAIT holds the ports for 60 s, as a large
// stage's sessions do when the next stage starts), it times 2,000 dials
// from that address to a new server port with a bind-time port (a plain
// LocalAddr) and with dialFrom. It uses 127.0.0.250 and leaves TIME_WAIT
// sockets on it for a minute. Run it alone:
//
//	go test -run '^$' -bench DialFromSourceAfterTimeWait -benchtime 1x ./framework/client
func BenchmarkDialFromSourceAfterTimeWait(b *testing.B) {
	const src = "127.0.0.250"
	serve := func() net.Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() { var p [1]byte; _, _ = c.Read(p[:]); c.Close() }()
			}
		}()
		return ln
	}
	plain := func() *net.Dialer { return &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}} }
	noPort := func() *net.Dialer { d := &net.Dialer{}; dialFrom(d, src); return d }
	dials := func(d func() *net.Dialer, addr string, n int) time.Duration {
		start := time.Now()
		for range n {
			c, err := d().Dial("tcp", addr)
			if err != nil {
				b.Fatalf("dial: %v", err)
			}
			c.Close()
		}
		return time.Since(start) / time.Duration(n)
	}
	for b.Loop() {
		b.StopTimer()
		old := serve()
		for range 3 {
			conns := make([]net.Conn, 0, 8000)
			for range 8000 {
				c, err := plain().Dial("tcp", old.Addr().String())
				if err != nil {
					b.Fatalf("filling the port range: %v", err)
				}
				conns = append(conns, c)
			}
			for _, c := range conns {
				c.Close() // client first: TIME_WAIT on the source address
			}
		}
		old.Close()
		fresh := serve()
		b.StartTimer()
		bound := dials(plain, fresh.Addr().String(), 2000)
		left := dials(noPort, fresh.Addr().String(), 2000)
		fresh.Close()
		b.ReportMetric(float64(bound.Microseconds()), "bind_time_µs/dial")
		b.ReportMetric(float64(left.Microseconds()), "connect_time_µs/dial")
		b.ReportMetric(float64(bound)/float64(left), "speedup")
	}
}
