package client

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/mcpstress/mcpstress/wire"
)

// fakeReply is what a fake server does with one inbound message: the lines
// it writes back (each sent as is; add "\n" yourself), and whether it then
// closes the connection.
type fakeReply struct {
	lines []string
	raw   []byte // written after lines, without copying
	close bool
}

// fakeHandler decides the reply to one inbound message; nil falls back to
// fakeMCP.
type fakeHandler func(env wire.Envelope, raw string) (fakeReply, bool)

// startFakeTCP serves newline-delimited messages on a loopback port, handing
// each to h (and to fakeMCP when h does not handle it). It returns the
// address; the listener and all connections close at cleanup.
func startFakeTCP(t testing.TB, h fakeHandler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serveFake(c, h)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

func serveFake(c net.Conn, h fakeHandler) {
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		raw := sc.Text()
		env, err := wire.Scan([]byte(raw))
		if err != nil {
			continue
		}
		var rep fakeReply
		handled := false
		if h != nil {
			rep, handled = h(env, raw)
		}
		if !handled {
			rep = fakeMCP(env)
		}
		for _, l := range rep.lines {
			if _, err := c.Write([]byte(l)); err != nil {
				return
			}
		}
		if len(rep.raw) > 0 {
			if _, err := c.Write(rep.raw); err != nil {
				return
			}
		}
		if rep.close {
			return
		}
	}
}

// fakeMCP is a tiny dual-era MCP server: discover and initialize succeed,
// tools/call "echo" echoes, "fail" is a tool error, anything else -32601.
func fakeMCP(env wire.Envelope) fakeReply {
	if !env.HasID() {
		return fakeReply{}
	}
	id := string(env.ID)
	switch env.MethodName() {
	case "server/discover":
		return reply(`{"jsonrpc":"2.0","id":` + id + `,"result":{"resultType":"complete","supportedVersions":["2026-07-28","2025-11-25"],"capabilities":{"tools":{}},"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"fake","version":"1"}},"ttlMs":0,"cacheScope":"public"}}`)
	case "initialize":
		v := wire.Member(env.Params, "protocolVersion")
		return reply(`{"jsonrpc":"2.0","id":` + id + `,"result":{"protocolVersion":` + string(v) + `,"capabilities":{"tools":{}},"serverInfo":{"name":"fake","version":"1"}}}`)
	case "tools/call":
		switch name := string(wire.Member(env.Params, "name")); name {
		case `"echo"`:
			return reply(`{"jsonrpc":"2.0","id":` + id + `,"result":{"content":[{"type":"text","text":"hi"}]}}`)
		case `"fail"`:
			return reply(`{"jsonrpc":"2.0","id":` + id + `,"result":{"content":[],"isError":true}}`)
		default:
			return reply(`{"jsonrpc":"2.0","id":` + id + `,"error":{"code":-32602,"message":"unknown tool ` + strings.Trim(name, `"`) + `"}}`)
		}
	}
	return reply(`{"jsonrpc":"2.0","id":` + id + `,"error":{"code":-32601,"message":"method not found"}}`)
}

func reply(lines ...string) fakeReply {
	for i := range lines {
		lines[i] += "\n"
	}
	return fakeReply{lines: lines}
}
