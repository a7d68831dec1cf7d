package client

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/wire"
)

func echoReq() Request {
	return Request{Method: "tools/call", Name: "echo", Params: json.RawMessage(`{"name":"echo","arguments":{"message":"hi"}}`)}
}

func toolReq(name string) Request {
	return Request{Method: "tools/call", Name: name, Params: json.RawMessage(`{"name":"` + name + `","arguments":{}}`)}
}

func connectTCP(t *testing.T, addr string, opts Options) *StreamSession {
	t.Helper()
	tg, err := ParseTarget("tcp://"+addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	s, err := tg.(*TCPTarget).ConnectSession(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStreamHandshakePicksGeneration(t *testing.T) {
	legacyOnly := func(env wire.Envelope, raw string) (fakeReply, bool) {
		if env.MethodName() == "server/discover" {
			return reply(`{"jsonrpc":"2.0","id":` + string(env.ID) + `,"error":{"code":-32601,"message":"Method not found"}}`), true
		}
		return fakeReply{}, false
	}
	oldModern := func(env wire.Envelope, raw string) (fakeReply, bool) {
		if env.MethodName() == "server/discover" {
			return reply(`{"jsonrpc":"2.0","id":` + string(env.ID) + `,"error":{"code":-32022,"message":"unsupported","data":{"supported":["2025-06-18"],"requested":"2026-07-28"}}}`), true
		}
		return fakeReply{}, false
	}
	tests := []struct {
		name     string
		h        fakeHandler
		protocol string
		want     string
		info     string
	}{
		{"the legacy version a -32022 names", oldModern, "", wire.Version20250618, `{"name":"fake","version":"1"}`},
		{"newest by default on a dual-era server", nil, "", wire.Version20260728, `{"name":"fake","version":"1"}`},
		{"legacy fallback when discover is unknown", legacyOnly, "", wire.Version20251125, `{"name":"fake","version":"1"}`},
		{"explicit 2025-06-18", nil, wire.Version20250618, wire.Version20250618, `{"name":"fake","version":"1"}`},
		{"explicit 2026-07-28", nil, wire.Version20260728, wire.Version20260728, `{"name":"fake","version":"1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := connectTCP(t, startFakeTCP(t, tt.h), Options{Protocol: tt.protocol})
			if got := s.Protocol(); got != tt.want {
				t.Fatalf("protocol %q, want %q", got, tt.want)
			}
			if got := string(s.ServerInfo()); got != tt.info {
				t.Fatalf("server info %s, want %s", got, tt.info)
			}
			if r := s.Call(context.Background(), echoReq()); r.Outcome != OK {
				t.Fatalf("echo: %v %v", r.Outcome, r.Err)
			}
		})
	}
}

func TestStreamExplicitModernFailsOnLegacyServer(t *testing.T) {
	addr := startFakeTCP(t, func(env wire.Envelope, raw string) (fakeReply, bool) {
		if env.MethodName() == "server/discover" {
			return reply(`{"jsonrpc":"2.0","id":` + string(env.ID) + `,"error":{"code":-32601,"message":"Method not found"}}`), true
		}
		return fakeReply{}, false
	})
	tg, _ := ParseTarget("tcp://"+addr, Options{Protocol: wire.Version20260728})
	if s, err := tg.Connect(context.Background()); err == nil {
		s.Close()
		t.Fatal("connect succeeded against a server without 2026")
	}
}

func TestStreamOutcomes(t *testing.T) {
	s := connectTCP(t, startFakeTCP(t, nil), Options{})
	tests := []struct {
		name string
		req  Request
		want Outcome
		code int
	}{
		{"ok result", echoReq(), OK, 0},
		{"isError result is a tool error", toolReq("fail"), ToolError, 0},
		{"JSON-RPC error keeps its code", toolReq("nope"), RPCError, wire.CodeInvalidParams},
		{"unknown method", Request{Method: "foo/bar"}, RPCError, wire.CodeMethodNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.Call(context.Background(), tt.req)
			if r.Outcome != tt.want || r.Code != tt.code || r.Sent.IsZero() {
				t.Fatalf("got %v code %d err %v sent %v", r.Outcome, r.Code, r.Err, r.Sent)
			}
			if (r.Outcome == OK || r.Outcome == ToolError) && len(r.Result) == 0 {
				t.Fatal("no result kept")
			}
		})
	}
}

// slowServer never answers tool "slow" but records notifications/cancelled;
// it answers a held "late" request together with the next request.
type slowServer struct {
	mu        sync.Mutex
	cancelled []string
	held      string
}

func (ss *slowServer) handle(env wire.Envelope, raw string) (fakeReply, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	switch {
	case env.MethodName() == "notifications/cancelled":
		ss.cancelled = append(ss.cancelled, string(wire.Member(env.Params, "requestId")))
		return fakeReply{}, true
	case string(wire.Member(env.Params, "name")) == `"slow"`:
		return fakeReply{}, true
	case string(wire.Member(env.Params, "name")) == `"late"`:
		ss.held = string(env.ID)
		return fakeReply{}, true
	case ss.held != "" && env.HasID():
		late := `{"jsonrpc":"2.0","id":` + ss.held + `,"result":{"content":[]}}`
		ss.held = ""
		r := fakeMCP(env)
		return reply(late, strings.TrimSuffix(r.lines[0], "\n")), true
	}
	return fakeReply{}, false
}

func (ss *slowServer) cancels() []string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return append([]string(nil), ss.cancelled...)
}

func TestStreamTimeoutSendsCancelAndDropsLateAnswer(t *testing.T) {
	ss := &slowServer{}
	s := connectTCP(t, startFakeTCP(t, ss.handle), Options{Timeout: 100 * time.Millisecond})
	r := s.Call(context.Background(), toolReq("late"))
	if r.Outcome != Timeout || !errors.Is(r.Err, ErrTimeout) {
		t.Fatalf("got %v %v, want timeout", r.Outcome, r.Err)
	}
	// The next call makes the server send the late answer first.
	if r := s.Call(context.Background(), echoReq()); r.Outcome != OK {
		t.Fatalf("after timeout: %v %v", r.Outcome, r.Err)
	}
	if got := s.Stats().Strays; got != 1 {
		t.Fatalf("strays %d, want the 1 late answer", got)
	}
	waitFor(t, func() bool { return len(ss.cancels()) == 1 })
}

func TestStreamContextCancelEndsCall(t *testing.T) {
	ss := &slowServer{}
	s := connectTCP(t, startFakeTCP(t, ss.handle), Options{Timeout: 10 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	r := s.Call(ctx, toolReq("slow"))
	if r.Outcome != Cancelled || time.Since(start) > 5*time.Second {
		t.Fatalf("got %v %v after %v, want cancelled promptly", r.Outcome, r.Err, time.Since(start))
	}
	if r := s.Call(ctx, echoReq()); r.Outcome != Cancelled || !r.Sent.IsZero() {
		t.Fatalf("call on a done context: %v sent %v", r.Outcome, r.Sent)
	}
	if r := s.Call(context.Background(), echoReq()); r.Outcome != OK {
		t.Fatalf("session after cancel: %v %v", r.Outcome, r.Err)
	}
	waitFor(t, func() bool { return len(ss.cancels()) == 1 })
}

// TestStreamPipelining holds n requests and answers them in reverse order:
// every caller must get its own answer.
func TestStreamPipelining(t *testing.T) {
	const n = 8
	var mu sync.Mutex
	var held []string
	addr := startFakeTCP(t, func(env wire.Envelope, raw string) (fakeReply, bool) {
		if env.MethodName() != "tools/call" {
			return fakeReply{}, false
		}
		mu.Lock()
		defer mu.Unlock()
		msg := string(wire.Member(wire.Member(env.Params, "arguments"), "m"))
		held = append(held, `{"jsonrpc":"2.0","id":`+string(env.ID)+`,"result":{"m":`+msg+`}}`)
		if len(held) < n {
			return fakeReply{}, true
		}
		var out []string
		for i := len(held) - 1; i >= 0; i-- {
			out = append(out, held[i])
		}
		held = nil
		return reply(out...), true
	})
	s := connectTCP(t, addr, Options{Pipeline: n})
	var wg sync.WaitGroup
	var bad atomic.Int32
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := string(rune('a' + i))
			r := s.Call(context.Background(), Request{Method: "tools/call", Params: json.RawMessage(`{"name":"x","arguments":{"m":"` + m + `"}}`)})
			if r.Outcome != OK || string(r.Result) != `{"m":"`+m+`"}` {
				t.Errorf("call %s: %v %s %v", m, r.Outcome, r.Result, r.Err)
				bad.Add(1)
			}
		}()
	}
	wg.Wait()
}

func TestStreamNotificationsAndServerRequests(t *testing.T) {
	var got atomic.Int32
	pong := make(chan string, 1)
	addr := startFakeTCP(t, func(env wire.Envelope, raw string) (fakeReply, bool) {
		if env.MethodName() == "tools/call" {
			r := fakeMCP(env)
			return reply(`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}`,
				`{"jsonrpc":"2.0","id":"srv-1","method":"ping"}`,
				strings.TrimSuffix(r.lines[0], "\n")), true
		}
		if !env.HasID() || env.MethodName() != "" {
			return fakeReply{}, false
		}
		pong <- raw // our answer to the server's ping
		return fakeReply{}, true
	})
	s := connectTCP(t, addr, Options{OnNotification: func(m string, p []byte) {
		if m == "notifications/progress" {
			got.Add(1)
		}
	}})
	if r := s.Call(context.Background(), echoReq()); r.Outcome != OK {
		t.Fatalf("%v %v", r.Outcome, r.Err)
	}
	if p := <-pong; p != `{"jsonrpc":"2.0","id":"srv-1","result":{}}` {
		t.Fatalf("ping answered with %s", p)
	}
	st := s.Stats()
	if got.Load() != 1 || st.Notifications != 1 || st.ServerRequests != 1 {
		t.Fatalf("hook %d, stats %+v", got.Load(), st)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestStreamSilentDiscoverFallsBackToInitialize(t *testing.T) {
	addr := startFakeTCP(t, func(env wire.Envelope, raw string) (fakeReply, bool) {
		return fakeReply{}, env.MethodName() == "server/discover" // never answered
	})
	s := connectTCP(t, addr, Options{ConnectTimeout: 400 * time.Millisecond})
	if s.Protocol() != wire.Version20251125 {
		t.Fatalf("protocol %q", s.Protocol())
	}
	if r := s.Call(context.Background(), echoReq()); r.Outcome != OK {
		t.Fatalf("%v %v", r.Outcome, r.Err)
	}
}

func TestStdioSessionKeepsStderrAndReapsProcess(t *testing.T) {
	tg := sdkStdioTarget(t, Options{})
	s, err := tg.ConnectSession(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Call(context.Background(), echoReq()); r.Outcome != OK {
		t.Fatalf("%v %v", r.Outcome, r.Err)
	}
	if !strings.Contains(string(s.Stderr()), "sdk stdio server starting") {
		t.Fatalf("stderr %q", s.Stderr())
	}
	p := s.cur.Load().conn.rw.(*process)
	s.Close()
	select {
	case <-p.done:
	default:
		t.Fatal("process not reaped after Close")
	}
	if p.cmd.ProcessState == nil {
		t.Fatal("no process state after Close")
	}
}

func TestStdioBadCommandFailsConnect(t *testing.T) {
	tg := &StdioTarget{Command: "/nonexistent/mcp-server"}
	if _, err := tg.Connect(context.Background()); err == nil {
		t.Fatal("connect to a missing command succeeded")
	}
}

func TestStdioServerCrashRespawnsOnNextCall(t *testing.T) {
	tg := sdkStdioTarget(t, Options{})
	tg.Env = append(tg.Env, "MCPSTRESS_SDK_STDIO_EXIT_TOOL=1")
	s, err := tg.ConnectSession(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	exit := Request{Method: "tools/call", Name: "exit", Params: json.RawMessage(`{"name":"exit","arguments":{"message":"bye"}}`)}
	if r := s.Call(context.Background(), exit); r.Outcome != TransportError || !errors.Is(r.Err, ErrConnectionLost) {
		t.Fatalf("got %v %v, want the connection lost", r.Outcome, r.Err)
	}
	if r := s.Call(context.Background(), echoReq()); r.Outcome != OK {
		t.Fatalf("after respawn: %v %v", r.Outcome, r.Err)
	}
	if s.Reconnects() != 1 || !strings.Contains(string(s.Stderr()), "exiting on request") {
		t.Fatalf("reconnects %d, stderr %q", s.Reconnects(), s.Stderr())
	}
}
