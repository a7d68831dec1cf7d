package chaos

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/internal/loopbacktest"
	"github.com/mcpstress/mcpstress/mcptest"
)

// closedLoop runs sessions connections to addr, each sending a 100-byte
// line and waiting for its echo, for d, and returns round trips per
// second.
func closedLoop(tb testing.TB, addr string, sessions int, d time.Duration) float64 {
	tb.Helper()
	// A JSON-RPC request padded to 100 bytes, newline last.
	line := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}}`)
	for len(line) < 99 {
		line = append(line, ' ')
	}
	line = append(line, '\n')
	conns := make([]net.Conn, sessions)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			tb.Fatal(err)
		}
		conns[i] = c
	}
	var n atomic.Int64
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			r := bufio.NewReader(c)
			buf := make([]byte, len(line))
			for ctx.Err() == nil {
				if _, err := c.Write(line); err != nil {
					return
				}
				if _, err := io.ReadFull(r, buf); err != nil {
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}

// BenchmarkProxyCost is the proxy's own cost with no fault in force: 150
// closed-loop sessions of 100-byte round trips to a line echo server,
// straight and through the proxy, alternated in the same run (client,
// proxy and server share this machine's cores, so the ratio is the
// figure, not the rates). Run with -benchtime 1x.
//
// "raw" is a bare echo, the proxy's worst case: the server does nothing,
// so the proxy's extra read and write per hop are half the work. "json"
// is a server that decodes each line as JSON-RPC and encodes a response,
// as an MCP server does at the least. "mcp" is what a chaos run sees: the
// lean client calling echo on the reference server in its own process.
func BenchmarkProxyCost(b *testing.B) {
	const sessions, each = 150, 2 * time.Second
	for _, srv := range []struct {
		name  string
		start func(testing.TB) string
		loop  func(tb testing.TB, addr string, sessions int, d time.Duration) float64
	}{{"raw", startEcho, closedLoop}, {"json", startJSONEcho, closedLoop}, {"mcp", startReference, mcpClosedLoop}} {
		b.Run(srv.name, func(b *testing.B) {
			addr := srv.start(b)
			p := newProxy(b, addr)
			bare := startCopyProxy(b, addr)
			var direct, proxied, copied float64
			for range b.N {
				for range 2 {
					direct += srv.loop(b, addr, sessions, each)
					proxied += srv.loop(b, p.Addr(), sessions, each)
					copied += srv.loop(b, bare, sessions, each)
				}
			}
			b.ReportMetric(direct/float64(2*b.N), "direct-rt/s")
			b.ReportMetric(proxied/float64(2*b.N), "proxied-rt/s")
			b.ReportMetric(proxied/direct, "ratio")
			// The floor of any user-space relay: two io.Copy goroutines.
			b.ReportMetric(copied/direct, "iocopy-ratio")
		})
	}
}

// startReference starts the reference server in its own process, as a
// chaos run has it.
func startReference(tb testing.TB) string {
	return mcptest.StartServer(tb, mcptest.Options{Transport: mcptest.TransportTCP}).Addr()
}

// mcpClosedLoop is closedLoop with MCP sessions of the lean client calling
// the echo tool: initialized sessions, then round trips for d.
func mcpClosedLoop(tb testing.TB, addr string, sessions int, d time.Duration) float64 {
	tb.Helper()
	tg, err := client.ParseTarget("tcp://"+addr, client.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	ss := make([]client.Session, sessions)
	for i := range ss {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		ss[i], err = tg.Connect(ctx)
		cancel()
		if err != nil {
			tb.Fatal(err)
		}
	}
	req := client.Request{Method: "tools/call", Name: "echo", Params: json.RawMessage(`{"name":"echo","arguments":{"message":"hello"}}`)}
	var n, bad atomic.Int64
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	for _, s := range ss {
		wg.Go(func() {
			defer s.Close()
			for ctx.Err() == nil {
				switch r := s.Call(ctx, req); {
				case r.Outcome == client.OK:
					n.Add(1)
				case ctx.Err() == nil:
					bad.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if bad.Load() > 0 {
		tb.Fatalf("%s: %d calls not OK", addr, bad.Load())
	}
	return float64(n.Load()) / time.Since(start).Seconds()
}

// startJSONEcho answers each line with a JSON-RPC result holding it,
// padded to the line's length so the client reads a fixed size.
func startJSONEcho(tb testing.TB) string {
	return loopbacktest.Serve(tb, func(c net.Conn) {
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadSlice('\n')
			if err != nil {
				return
			}
			var req struct {
				ID     any    `json:"id"`
				Method string `json:"method"`
			}
			_ = json.Unmarshal(line, &req)
			out, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": req.ID, "result": map[string]any{}})
			resp := make([]byte, len(line))
			for i := range resp {
				resp[i] = ' '
			}
			copy(resp, out)
			resp[len(resp)-1] = '\n'
			if _, err := c.Write(resp); err != nil {
				return
			}
		}
	})
}

// startCopyProxy is the least a user-space TCP relay can do: io.Copy
// both ways. The benchmark's reference for what the proxy itself adds.
func startCopyProxy(tb testing.TB, upstream string) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			wg.Add(2)
			go func() { defer wg.Done(); _, _ = io.Copy(s, c); s.Close() }()
			go func() { defer wg.Done(); _, _ = io.Copy(c, s); c.Close() }()
		}
	}()
	tb.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	return ln.Addr().String()
}
