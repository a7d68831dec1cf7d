package mcptest

import (
	"bufio"
	"encoding/json"
	"net"
	"strings"
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
