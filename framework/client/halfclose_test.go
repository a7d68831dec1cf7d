package client_test

import (
	"context"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/mcptest"
)

// A peer that half-closes (a proxy whose upstream died: FIN to us, while
// our writes still go out) must fail the next call at once as a transport
// error, not leave it to time out: the end of stream arrived while the
// session was idle.
func TestAHalfClosedConnectionFailsTheNextCallAtOnce(t *testing.T) {
	srv := mcptest.StartServer(t, mcptest.Options{InProcess: true})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var up atomic.Pointer[net.TCPConn]
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		s, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			return
		}
		up.Store(s.(*net.TCPConn))
		go func() { io.Copy(s, c) }() // our writes go upstream (into the socket buffer once it is gone)
		io.Copy(c, s)                 // until the upstream ends
		c.(*net.TCPConn).CloseWrite() // then FIN to the client
		<-time.After(3 * time.Second)
	}()
	tgt, err := client.ParseTarget("tcp://"+l.Addr().String(), client.Options{Timeout: 2 * time.Second, Reconnect: client.Backoff{Disabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := tgt.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	req := client.Request{Method: "tools/call", Name: "echo", Params: []byte(`{"name":"echo","arguments":{"message":"x"}}`)}
	if r := sess.Call(context.Background(), req); r.Outcome != client.OK {
		t.Fatalf("first call: %v %v", r.Outcome, r.Err)
	}
	up.Load().Close()
	time.Sleep(100 * time.Millisecond) // the FIN arrives while the session is idle
	start := time.Now()
	r := sess.Call(context.Background(), req)
	if r.Outcome != client.TransportError || time.Since(start) > 500*time.Millisecond {
		t.Fatalf("after the half-close: %v (%v) in %v; want a transport error at once", r.Outcome, r.Err, time.Since(start))
	}
	l.Close()
	<-done
}

// The HTTP/1.1 path: a server that closes a keep-alive connection while it
// sits idle (here: the relay half-closes it) must not cost the next call
// its timeout: the close is seen at once and the call goes out on a fresh
// connection.
func TestAnIdleHTTPConnectionClosedByTheServerIsReplacedAtOnce(t *testing.T) {
	srv := mcptest.StartServer(t, mcptest.Options{Transport: mcptest.TransportHTTP, InProcess: true})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var first atomic.Pointer[net.TCPConn]
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", srv.Addr())
			if err != nil {
				c.Close()
				return
			}
			first.CompareAndSwap(nil, s.(*net.TCPConn))
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.(*net.TCPConn).CloseWrite() }()
		}
	}()
	tgt, err := client.ParseTarget("http://"+l.Addr().String()+"/mcp", client.Options{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := tgt.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	req := client.Request{Method: "tools/call", Name: "echo", Params: []byte(`{"name":"echo","arguments":{"message":"x"}}`)}
	if r := sess.Call(context.Background(), req); r.Outcome != client.OK {
		t.Fatalf("first call: %v %v", r.Outcome, r.Err)
	}
	first.Load().Close() // the server side of the first connection goes away
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	if r := sess.Call(context.Background(), req); r.Outcome != client.OK || time.Since(start) > 500*time.Millisecond {
		t.Fatalf("after the server closed the idle connection: %v (%v) in %v; want an answer on a fresh connection at once", r.Outcome, r.Err, time.Since(start))
	}
}
