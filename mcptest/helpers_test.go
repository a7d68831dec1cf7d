package mcptest

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// lineConn is a raw newline-delimited client for wire-level checks.
type lineConn struct {
	t  testing.TB
	c  net.Conn
	br *bufio.Reader
}

func dialLine(t testing.TB, addr string) *lineConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &lineConn{t: t, c: c, br: bufio.NewReaderSize(c, 1<<20)}
}

func (l *lineConn) send(lines ...string) {
	l.t.Helper()
	_ = l.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := l.c.Write([]byte(strings.Join(lines, "\n") + "\n")); err != nil {
		l.t.Fatalf("write: %v", err)
	}
}

func (l *lineConn) recv() map[string]any {
	l.t.Helper()
	_ = l.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := l.br.ReadBytes('\n')
	if err != nil {
		l.t.Fatalf("read: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		l.t.Fatalf("reply is not JSON: %v: %q", err, line)
	}
	return m
}

// call sends one line and returns the one reply.
func (l *lineConn) call(line string) map[string]any {
	l.t.Helper()
	l.send(line)
	return l.recv()
}

// errCode returns the JSON-RPC error code of a reply (0 if it is a result).
func errCode(m map[string]any) int {
	e, ok := m["error"].(map[string]any)
	if !ok {
		return 0
	}
	c, _ := e["code"].(float64)
	return int(c)
}

func result(m map[string]any) map[string]any {
	r, _ := m["result"].(map[string]any)
	return r
}

// firstText returns content[0].text of a tools/call result.
func firstText(m map[string]any) string {
	c, _ := result(m)["content"].([]any)
	if len(c) == 0 {
		return ""
	}
	b, _ := c[0].(map[string]any)
	s, _ := b["text"].(string)
	return s
}

const modernMeta = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}`

const initLine = `{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

// startInProcess starts an in-process server for o.
func startInProcess(t testing.TB, o Options) *Server {
	t.Helper()
	o.InProcess = true
	return StartServer(t, o)
}

// initialized returns a TCP connection through the legacy handshake.
func initialized(t testing.TB, addr string) *lineConn {
	t.Helper()
	l := dialLine(t, addr)
	if r := l.call(initLine); errCode(r) != 0 {
		t.Fatalf("initialize: %v", r)
	}
	l.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	return l
}

// waitFor polls cond until it holds, failing t after 10 s. It replaces
// "sleep long enough" in tests: it waits for a positive signal (a counter
// the server exposes) rather than for time to pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 10s waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond) // polling interval
	}
}

// statsOf returns s's stats, failing t on error.
func statsOf(t testing.TB, s *Server) Stats {
	t.Helper()
	st, err := s.Stats(context.Background())
	if err != nil {
		t.Fatalf("stats: %v", err)
	}
	return st
}

// fakeClock is a settable clock for session expiry: tests move it
// explicitly, so a loaded machine cannot expire a session between steps.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *fakeClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.ns.Add(int64(d)) }
