package client

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/wire"
)

// fakeHTTP is a minimal Streamable HTTP MCP server. Legacy sessions get an
// Mcp-Session-Id; bad(w, env) decides the answer to tools/call "bad".
type fakeHTTP struct {
	mu       sync.Mutex
	sessions map[string]bool
	minted   atomic.Int64
	headers  http.Header // of the last tools/call
	notes    chan string // methods of notifications received, if set
	bad      func(w http.ResponseWriter, r *http.Request, env wire.Envelope)
	token    string
}

func (f *fakeHTTP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.token != "" && r.Header.Get("Authorization") != "Bearer "+f.token {
		w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="x"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if r.Method == http.MethodDelete {
		f.mu.Lock()
		delete(f.sessions, r.Header.Get(wire.HeaderSessionID))
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	body, _ := io.ReadAll(r.Body)
	env, err := wire.Scan(body)
	if err != nil {
		http.Error(w, "parse error", http.StatusBadRequest)
		return
	}
	modern := wire.IsModern(r.Header.Get(wire.HeaderProtocolVersion))
	if env.HasID() && len(env.Method) == 0 { // a response to our request
		if f.notes != nil {
			f.notes <- "response " + string(env.ID) + " " + string(env.Result) + string(env.Error)
		}
		w.WriteHeader(http.StatusAccepted)
		return
	}
	if !env.HasID() {
		if f.notes != nil {
			select {
			case f.notes <- env.MethodName():
			default:
			}
		}
		w.WriteHeader(http.StatusAccepted)
		return
	}
	method := env.MethodName()
	if !modern && method != "initialize" {
		f.mu.Lock()
		ok := f.sessions[r.Header.Get(wire.HeaderSessionID)]
		f.mu.Unlock()
		if !ok {
			http.Error(w, "session not found", http.StatusNotFound)
			return
		}
	}
	if method == "initialize" {
		sid := "s" + string(rune('0'+f.minted.Add(1)))
		f.mu.Lock()
		if f.sessions == nil {
			f.sessions = map[string]bool{}
		}
		f.sessions[sid] = true
		f.mu.Unlock()
		w.Header().Set(wire.HeaderSessionID, sid)
	}
	if method == "tools/call" {
		f.mu.Lock()
		f.headers = r.Header.Clone()
		f.mu.Unlock()
		if string(wire.Member(env.Params, "name")) == `"bad"` && f.bad != nil {
			f.bad(w, r, env)
			return
		}
	}
	rep := fakeMCP(env)
	w.Header().Set("Content-Type", "text/event-stream")
	io.WriteString(w, "id: prime\ndata: \n\n: comment\n\nevent: message\ndata: "+strings.TrimSuffix(rep.lines[0], "\n")+"\n\n")
}

func (f *fakeHTTP) lastHeaders() http.Header {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.headers
}

func connectHTTP(t *testing.T, f *fakeHTTP, opts Options) (*HTTPSession, *httptest.Server) {
	t.Helper()
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	tg, err := ParseTarget(ts.URL+"/mcp", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.(*HTTPTarget).Close() })
	s, err := tg.(*HTTPTarget).ConnectSession(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, ts
}

func TestHTTPModernHeadersAndToken(t *testing.T) {
	f := &fakeHTTP{token: "sekret"}
	s, _ := connectHTTP(t, f, Options{Token: "sekret", Headers: http.Header{"X-Run": {"7"}}})
	if s.Protocol() != wire.Version20260728 {
		t.Fatalf("protocol %q", s.Protocol())
	}
	if r := s.Call(context.Background(), Request{Method: "tools/call", Params: []byte(`{"name":"échø"}`)}); r.Outcome != RPCError {
		t.Fatalf("%v %v", r.Outcome, r.Err)
	}
	h := f.lastHeaders()
	want := map[string]string{
		"Mcp-Method": "tools/call", "Mcp-Name": "=?base64?w6ljaMO4?=", "Mcp-Protocol-Version": wire.Version20260728,
		"Authorization": "Bearer sekret", "X-Run": "7", "Accept": "application/json, text/event-stream",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
}

func TestHTTPWrongTokenFailsConnect(t *testing.T) {
	ts := httptest.NewServer(&fakeHTTP{token: "right"})
	defer ts.Close()
	tg := &HTTPTarget{URL: ts.URL, Options: Options{Token: "wrong"}}
	defer tg.Close()
	if _, err := tg.Connect(context.Background()); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("got %v, want a 401 error", err)
	}
}

func TestHTTPLegacySessionExpiryReinitializes(t *testing.T) {
	f := &fakeHTTP{}
	s, _ := connectHTTP(t, f, Options{Protocol: wire.Version20251125})
	first := s.SessionID()
	if first == "" {
		t.Fatal("no session id")
	}
	f.mu.Lock()
	delete(f.sessions, first) // the server forgets the session
	f.mu.Unlock()
	if r := s.Call(context.Background(), echoReq()); r.Outcome != OK {
		t.Fatalf("%v %v", r.Outcome, r.Err)
	}
	if s.Reconnects() != 1 || s.SessionID() == first {
		t.Fatalf("reconnects %d, session %q (was %q)", s.Reconnects(), s.SessionID(), first)
	}
	if h := f.lastHeaders(); h.Get(wire.HeaderProtocolVersion) != wire.Version20251125 || h.Get("Mcp-Method") != "" {
		t.Fatalf("legacy headers wrong: %v", h)
	}
}

// TestHTTPBadInput: each misbehaviour fails the request with a classified
// error, nothing hangs, and the session keeps working.
func TestHTTPBadInput(t *testing.T) {
	const maxFrame = 1 << 10
	tests := []struct {
		name    string
		bad     func(w http.ResponseWriter, r *http.Request, env wire.Envelope)
		want    Outcome
		code    int
		wantErr error
	}{
		{"HTTP 503", func(w http.ResponseWriter, r *http.Request, env wire.Envelope) {
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
		}, TransportError, 503, ErrHTTPStatus},
		{"garbage JSON body", func(w http.ResponseWriter, r *http.Request, env wire.Envelope) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, "{not json")
		}, TransportError, 0, ErrInvalidResponse},
		{"body over the limit", func(w http.ResponseWriter, r *http.Request, env wire.Envelope) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"jsonrpc":"2.0","id":`+string(env.ID)+`,"result":{"p":"`+strings.Repeat("x", 4*maxFrame)+`"}}`)
		}, TransportError, 200, ErrInvalidResponse},
		{"wrong jsonrpc version", func(w http.ResponseWriter, r *http.Request, env wire.Envelope) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"jsonrpc":"1.0","id":`+string(env.ID)+`,"result":{}}`)
		}, TransportError, 0, ErrInvalidResponse},
		{"SSE event with no data, then the end", func(w http.ResponseWriter, r *http.Request, env wire.Envelope) {
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "event: message\n\nid: 3\ndata:\n\n")
		}, TransportError, 0, ErrConnectionLost},
		{"SSE answer for an unknown id", func(w http.ResponseWriter, r *http.Request, env wire.Envelope) {
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "data: {\"jsonrpc\":\"2.0\",\"id\":424242,\"result\":{}}\n\n")
		}, TransportError, 0, ErrConnectionLost},
		{"SSE event over the limit", func(w http.ResponseWriter, r *http.Request, env wire.Envelope) {
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, `data: {"jsonrpc":"2.0","id":`+string(env.ID)+`,"result":{"p":"`+strings.Repeat("x", 4*maxFrame)+"\"}}\n\n")
		}, TransportError, 0, ErrInvalidResponse},
		{"closes mid-frame", func(w http.ResponseWriter, r *http.Request, env wire.Envelope) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(200)
			io.WriteString(w, `data: {"jsonrpc":"2.0","id":`)
			w.(http.Flusher).Flush()
			c, _, _ := w.(http.Hijacker).Hijack()
			c.Close()
		}, TransportError, 0, ErrConnectionLost},
		{"202 to a request", func(w http.ResponseWriter, r *http.Request, env wire.Envelope) {
			w.WriteHeader(http.StatusAccepted)
		}, TransportError, 202, ErrHTTPStatus},
		{"JSON-RPC error in a 400", func(w http.ResponseWriter, r *http.Request, env wire.Envelope) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			io.WriteString(w, `{"jsonrpc":"2.0","id":`+string(env.ID)+`,"error":{"code":-32602,"message":"bad"}}`)
		}, RPCError, wire.CodeInvalidParams, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := connectHTTP(t, &fakeHTTP{bad: tt.bad}, Options{MaxFrame: maxFrame, Timeout: 2 * time.Second})
			for round := range 2 {
				r := s.Call(context.Background(), toolReq("bad"))
				if r.Outcome != tt.want || r.Code != tt.code || (tt.wantErr != nil && !errors.Is(r.Err, tt.wantErr)) {
					t.Fatalf("round %d: got %v code %d (%v), want %v code %d (%v)", round, r.Outcome, r.Code, r.Err, tt.want, tt.code, tt.wantErr)
				}
				if r := s.Call(context.Background(), echoReq()); r.Outcome != OK {
					t.Fatalf("round %d: next call %v %v", round, r.Outcome, r.Err)
				}
			}
		})
	}
}

func TestHTTPTimeoutClosesTheStream(t *testing.T) {
	gone := make(chan struct{}, 1)
	f := &fakeHTTP{bad: func(w http.ResponseWriter, r *http.Request, env wire.Envelope) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		<-r.Context().Done() // the client closing the stream ends the request
		gone <- struct{}{}
	}}
	s, _ := connectHTTP(t, f, Options{Timeout: 100 * time.Millisecond})
	r := s.Call(context.Background(), toolReq("bad"))
	if r.Outcome != Timeout {
		t.Fatalf("got %v %v", r.Outcome, r.Err)
	}
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
		t.Fatal("server never saw the stream close")
	}
}

func TestHTTPLegacyTimeoutPostsCancelled(t *testing.T) {
	f := &fakeHTTP{notes: make(chan string, 8), bad: func(w http.ResponseWriter, r *http.Request, env wire.Envelope) {
		<-r.Context().Done()
	}}
	s, _ := connectHTTP(t, f, Options{Protocol: wire.Version20250618, Timeout: 100 * time.Millisecond})
	if m := <-f.notes; m != "notifications/initialized" {
		t.Fatalf("first notification %q", m)
	}
	if r := s.Call(context.Background(), toolReq("bad")); r.Outcome != Timeout {
		t.Fatalf("got %v %v", r.Outcome, r.Err)
	}
	select {
	case m := <-f.notes:
		if m != "notifications/cancelled" {
			t.Fatalf("got %q", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notifications/cancelled posted")
	}
}

// TestHTTPOversizedBodiesKeepMemoryBounded: JSON bodies and SSE events far
// over MaxFrame are cut off at the limit, not buffered.
func TestHTTPOversizedBodiesKeepMemoryBounded(t *testing.T) {
	const maxFrame, size, n = 4 << 10, 1 << 20, 16
	big := []byte(`{"jsonrpc":"2.0","id":1,"result":{"p":"` + strings.Repeat("z", size) + `"}}`)
	bigSSE := append(append([]byte("data: "), big...), "\n\n"...)
	for _, sse := range []bool{false, true} {
		f := &fakeHTTP{bad: func(w http.ResponseWriter, r *http.Request, env wire.Envelope) {
			if sse {
				w.Header().Set("Content-Type", "text/event-stream")
				w.Write(bigSSE)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write(big)
		}}
		s, _ := connectHTTP(t, f, Options{MaxFrame: maxFrame})
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range n {
			if r := s.Call(context.Background(), toolReq("bad")); r.Outcome != TransportError || !errors.Is(r.Err, ErrInvalidResponse) {
				t.Fatalf("sse=%v: got %v %v", sse, r.Outcome, r.Err)
			}
		}
		runtime.ReadMemStats(&after)
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
			t.Fatalf("sse=%v: allocated %d bytes to reject %d MiB", sse, grew, n*size>>20)
		}
	}
}

func TestHTTPLegacyServerRequestIsAnswered(t *testing.T) {
	var f *fakeHTTP
	f = &fakeHTTP{notes: make(chan string, 8), bad: func(w http.ResponseWriter, r *http.Request, env wire.Envelope) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: {\"jsonrpc\":\"2.0\",\"id\":\"p1\",\"method\":\"ping\"}\n\n")
		w.(http.Flusher).Flush()
		for m := range f.notes { // wait for the client's answer to the ping
			if strings.HasPrefix(m, "response") {
				io.WriteString(w, "data: {\"jsonrpc\":\"2.0\",\"id\":"+string(env.ID)+",\"result\":{\"pong\":"+strconvQuote(m)+"}}\n\n")
				return
			}
		}
	}}
	s, _ := connectHTTP(t, f, Options{Protocol: wire.Version20251125})
	r := s.Call(context.Background(), toolReq("bad"))
	if r.Outcome != OK || !strings.Contains(string(r.Result), `response \"p1\" {}`) {
		t.Fatalf("got %v %s %v", r.Outcome, r.Result, r.Err)
	}
	if s.Stats().ServerRequests != 1 {
		t.Fatalf("stats %+v", s.Stats())
	}
}

func strconvQuote(s string) string { return strconv.Quote(s) }

// A previous context's cancel hook that fires late, after the next request
// armed its deadline, moves the write deadline into the past: the write
// re-arms ours and goes on (under -race, a Call right after connect failed
// with "write: i/o timeout" at once).
func TestH1WriteSurvivesALateHookOfAnEarlierContext(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go io.Copy(io.Discard, b)
	c := &h1Conn{c: a}
	deadline := time.Now().Add(5 * time.Second)
	c.arm(deadline)
	_ = a.SetDeadline(longAgo) // the earlier context's hook, running late
	if err := c.writeAll([]byte("POST / HTTP/1.1\r\n\r\n"), deadline); err != nil {
		t.Fatalf("write: %v", err)
	}
	// A request whose own context ended still fails at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c.hook.Store(&ctxHook{ctx: ctx, stop: func() bool { return false }})
	_ = a.SetDeadline(longAgo)
	if err := c.writeAll([]byte("x"), deadline); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write after the request's own context ended: %v", err)
	}
}
