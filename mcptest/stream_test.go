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

func TestCancelledNotificationStopsASlowRequest(t *testing.T) {
	s := startInProcess(t, Options{})
	l := initialized(t, s.Addr())
	l.send(reqLine(1, "tools/call", `"name":"sleep","arguments":{"ms":60000}`, false),
		`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}`)
	// The cancelled request gets an isError result; the point is that it
	// ends now rather than after a minute.
	r := l.recv()
	if r["id"] != float64(1) || result(r)["isError"] != true {
		t.Fatalf("cancelled sleep: %v", r)
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
