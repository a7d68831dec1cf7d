package mcptest

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/mcpstress/mcpstress/wire"
)

// Slow tool calls used by the cancellation tests: each would run for
// a long time if it were not cancelled.
func slowCalls() []struct{ name, params string } {
	return []struct{ name, params string }{
		{"sleep", `"name":"sleep","arguments":{"ms":60000}`},
		{"cpu", `"name":"cpu","arguments":{"us":10000000}`},
	}
}

// checkAbandoned checks that s counted exactly one abandoned tools/call
// and no answered one.
func checkAbandoned(t *testing.T, st Stats) {
	t.Helper()
	if got := st.Total("tools/call", OutcomeAbandoned); got != 1 {
		t.Errorf("%d tools/call counted abandoned, want 1 (all: %v)", got, st.Requests["tools/call"])
	}
	for _, o := range []string{OutcomeOK, OutcomeToolError, OutcomeRPCError} {
		if got := st.Total("tools/call", o); got != 0 {
			t.Errorf("a cancelled tools/call was counted as %s (%d)", o, got)
		}
	}
}

// TestCancelledNotificationStopsASlowRequest: a request ended by
// notifications/cancelled ends now rather than after a minute, is
// counted abandoned and is never answered (the MCP spec sends no
// response to a cancelled request); the connection goes on serving.
func TestCancelledNotificationStopsASlowRequest(t *testing.T) {
	for _, c := range slowCalls() {
		t.Run(c.name, func(t *testing.T) {
			s := startInProcess(t, Options{})
			l := initialized(t, s.Addr())
			l.send(reqLine(1, "tools/call", c.params, false))
			waitFor(t, "the slow call to be in flight", func() bool { return statsOf(t, s).InFlight >= 1 })
			l.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}`)
			// Abandoned is counted at the point where a reply would be
			// written: once it shows (and nothing is in flight), a reply
			// to id 1 either was written before the ping's or never is.
			waitFor(t, "the cancelled call to end", func() bool {
				st := statsOf(t, s)
				return st.InFlight == 0 && st.Total("tools/call", "") == 1
			})
			if r := l.call(reqLine(2, "ping", "", false)); r["id"] != float64(2) || errCode(r) != 0 {
				t.Fatalf("next reply is %v, want the ping (id 2): the cancelled call was answered", r)
			}
			checkAbandoned(t, statsOf(t, s))
		})
	}
}

// TestRequestAbandonedWhenTheConnectionCloses: a slow call whose TCP
// connection goes away is counted abandoned, not as a tool error.
func TestRequestAbandonedWhenTheConnectionCloses(t *testing.T) {
	for _, c := range slowCalls() {
		t.Run(c.name, func(t *testing.T) {
			s := startInProcess(t, Options{})
			l := initialized(t, s.Addr())
			l.send(reqLine(1, "tools/call", c.params, false))
			waitFor(t, "the slow call to be in flight", func() bool { return statsOf(t, s).InFlight >= 1 })
			l.c.Close()
			waitFor(t, "the call to end", func() bool {
				st := statsOf(t, s)
				return st.InFlight == 0 && st.Total("tools/call", "") == 1
			})
			checkAbandoned(t, statsOf(t, s))
		})
	}
}

// TestRequestAbandonedWhenTheHTTPClientGoesAway covers both generations
// over Streamable HTTP.
func TestRequestAbandonedWhenTheHTTPClientGoesAway(t *testing.T) {
	for _, c := range slowCalls() {
		for _, modern := range []bool{false, true} {
			name := c.name + "/legacy"
			if modern {
				name = c.name + "/modern"
			}
			t.Run(name, func(t *testing.T) {
				s := startInProcess(t, Options{Transport: TransportHTTP})
				hc := newHTTPClient(t)
				hdr := modernHeaders("tools/call", c.name)
				if !modern {
					sid := postMCP(t, hc, s.Target(), initLine, nil).header.Get(wire.HeaderSessionID)
					hdr = map[string]string{wire.HeaderSessionID: sid}
				}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Target(), strings.NewReader(reqLine(1, "tools/call", c.params, modern)))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", "application/json, text/event-stream")
				for k, v := range hdr {
					req.Header.Set(k, v)
				}
				errc := make(chan error, 1)
				go func() {
					resp, err := hc.Do(req)
					if err == nil {
						resp.Body.Close()
					}
					errc <- err
				}()
				waitFor(t, "the slow call to be in flight", func() bool { return statsOf(t, s).InFlight >= 1 })
				cancel()
				if err := <-errc; err == nil {
					t.Fatal("the cancelled HTTP request got a response")
				}
				waitFor(t, "the call to end", func() bool {
					st := statsOf(t, s)
					return st.InFlight == 0 && st.Total("tools/call", "") == 1
				})
				checkAbandoned(t, statsOf(t, s))
			})
		}
	}
}

// TestAnswerDuringShutdownIsAbandoned drives the handler directly: the
// server's stop signal is the request context, so cancelling it mid-run
// is what shutting down does to an in-flight call.
func TestAnswerDuringShutdownIsAbandoned(t *testing.T) {
	for _, c := range slowCalls() {
		for _, modern := range []bool{false, true} {
			t.Run(c.name+map[bool]string{false: "/legacy", true: "/modern"}[modern], func(t *testing.T) {
				h := newHandler(Faults{})
				sess := &session{}
				sess.initialized.Store(true)
				req, _, perr := parseRequest([]byte(reqLine(1, "tools/call", c.params, modern)))
				if perr != nil {
					t.Fatal(perr.Message)
				}
				ctx, cancel := context.WithCancel(context.Background())
				type answer struct {
					out []byte
					ok  bool
				}
				done := make(chan answer, 1)
				go func() {
					out, _, ok := h.answer(ctx, sess, &req, []byte("prefix"))
					done <- answer{out, ok}
				}()
				waitFor(t, "the call to be in flight", func() bool { return h.stats.inflight.Load() >= 1 })
				cancel()
				a := <-done
				if a.ok || string(a.out) != "prefix" {
					t.Fatalf("answer during shutdown: ok=%v out=%q, want nothing appended and ok=false", a.ok, a.out)
				}
				checkAbandoned(t, h.snapshot(0))
			})
		}
	}
}
