// Package loopbacktest is the TCP server tests start on loopback: it
// accepts until the test ends, runs one handler per connection, and at
// cleanup closes the listener and every connection and waits for the
// handlers to return, so no goroutine outlives the test.
package loopbacktest

import (
	"net"
	"sync"
	"testing"
)

// Serve listens on 127.0.0.1 on a free port, runs handle on each accepted
// connection in its own goroutine (closing the connection when handle
// returns) and returns the address.
func Serve(tb testing.TB, handle func(net.Conn)) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(c)
			}()
		}
	}()
	tb.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}
