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

	"github.com/mcpstress/mcpstress/internal/loopbacktest"
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
// as an MCP server does at the least.
func BenchmarkProxyCost(b *testing.B) {
	const sessions, each = 150, 2 * time.Second
	for _, srv := range []struct {
		name  string
		start func(testing.TB) string
	}{{"raw", startEcho}, {"json", startJSONEcho}} {
		b.Run(srv.name, func(b *testing.B) {
			addr := srv.start(b)
			p := newProxy(b, addr)
			bare := startCopyProxy(b, addr)
			var direct, proxied, copied float64
			for range b.N {
				for range 2 {
					direct += closedLoop(b, addr, sessions, each)
					proxied += closedLoop(b, p.Addr(), sessions, each)
					copied += closedLoop(b, bare, sessions, each)
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
