package mcptest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/wire"
)

func TestSlowRequestsDoNotBlockThePipeline(t *testing.T) {
	s := startInProcess(t, Options{})
	l := initialized(t, s.Addr())
	l.send(reqLine(1, "tools/call", `"name":"sleep","arguments":{"ms":300}`, false),
		reqLine(2, "tools/call", `"name":"echo","arguments":{"message":"fast"}`, false))
	first := l.recv()
	if first["id"] != float64(2) {
		t.Fatalf("first reply is %v, want the echo (id 2) before the sleep", first)
	}
	if second := l.recv(); second["id"] != float64(1) {
		t.Fatalf("second reply is %v, want the sleep (id 1)", second)
	}
}

func TestAFastReplyIsNotHeldBehindASlowRequest(t *testing.T) {
	s := startInProcess(t, Options{})
	l := initialized(t, s.Addr())
	// Both frames arrive in one write: the fast reply must be flushed
	// even though the next frame goes to a goroutine.
	l.send(reqLine(1, "tools/call", `"name":"echo","arguments":{"message":"fast"}`, false),
		reqLine(2, "tools/call", `"name":"sleep","arguments":{"ms":600000}`, false))
	_ = l.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := l.br.ReadString('\n')
	if err != nil || !strings.Contains(line, `"id":1`) {
		t.Fatalf("fast reply: %q, %v", line, err)
	}
}

func TestDuplicateInFlightIDOnTCP(t *testing.T) {
	s := startInProcess(t, Options{})
	l := initialized(t, s.Addr())
	l.send(reqLine(1, "tools/call", `"name":"sleep","arguments":{"ms":300}`, false),
		reqLine(1, "tools/call", `"name":"echo","arguments":{"message":"dup"}`, false))
	dup := l.recv()
	if errCode(dup) != wire.CodeInvalidRequest || !strings.Contains(fmt.Sprint(dup), "duplicate") {
		t.Fatalf("duplicate id: %v", dup)
	}
	if r := l.recv(); errCode(r) != 0 || firstText(r) != "slept 300 ms" {
		t.Fatalf("original: %v", r)
	}
}

func TestPipelinedRequestsAreAllAnsweredAndCounted(t *testing.T) {
	s := startInProcess(t, Options{})
	l := initialized(t, s.Addr())
	const n = 500
	var lines []string
	for i := range n {
		lines = append(lines, reqLine(i+1, "tools/call", fmt.Sprintf(`"name":"echo","arguments":{"message":"m%d"}`, i), i%2 == 0))
	}
	l.send(lines...)
	for i := range n {
		r := l.recv()
		if r["id"] != float64(i+1) || firstText(r) != fmt.Sprintf("m%d", i) {
			t.Fatalf("reply %d: %v", i, r)
		}
	}
	st, err := s.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Total("tools/call", OutcomeOK); got != n {
		t.Errorf("server counted %d ok tools/call, want %d", got, n)
	}
	if got := st.Total("initialize", OutcomeOK); got != 1 {
		t.Errorf("server counted %d initialize, want 1", got)
	}
}

func TestRawEcho(t *testing.T) {
	s := startInProcess(t, Options{Transport: TransportRawEcho})
	if !strings.HasPrefix(s.Target(), "rawecho://") {
		t.Fatalf("target %q", s.Target())
	}
	l := dialLine(t, s.Addr())
	l.send("not json at all")
	_ = l.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := l.br.ReadString('\n')
	if err != nil || got != "not json at all\n" {
		t.Fatalf("echo = %q, %v", got, err)
	}
}

func TestSlowRequestsPerConnectionAreBounded(t *testing.T) {
	s := startInProcess(t, Options{})
	l := initialized(t, s.Addr())
	ctx := context.Background()
	if err := s.SetFaults(ctx, Faults{Stall: true}); err != nil {
		t.Fatal(err)
	}
	// One more than the bound: the extra one is not read (so not counted)
	// until a slot frees.
	var lines []string
	for i := range maxSlowPerConn + 1 {
		lines = append(lines, reqLine(i+1, "ping", "", false))
	}
	l.send(lines...)
	// Positive signal instead of a quiet period: the connection reports
	// that it stopped reading (ReadsPaused) with its slots full. The read
	// loop then blocks until a slot frees, so no further request can be
	// started and InFlight must be exactly the bound. Wait for the held
	// requests too: each raises InFlight just after its goroutine starts.
	waitFor(t, "the connection to pause reading with every slot held", func() bool {
		st := statsOf(t, s)
		return st.ReadsPaused == 1 && st.InFlight >= maxSlowPerConn
	})
	if st, _ := s.Stats(ctx); st.InFlight != maxSlowPerConn || st.ReadsPaused != 1 {
		t.Fatalf("%d requests held, reads paused %d times, want exactly %d and 1", st.InFlight, st.ReadsPaused, maxSlowPerConn)
	}
	if err := s.SetFaults(ctx, Faults{}); err != nil {
		t.Fatal(err)
	}
	for range maxSlowPerConn + 1 {
		if r := l.recv(); errCode(r) != 0 {
			t.Fatalf("reply %v", r)
		}
	}
}
