package mcptest

import (
	"context"
	"testing"
)

func TestReusePortSharesOnePortAcrossProcesses(t *testing.T) {
	if !reusePortSupported {
		t.Skip("SO_REUSEPORT is Linux-only here")
	}
	a := StartServer(t, Options{ReusePort: true})
	b := StartServer(t, Options{ReusePort: true, Addr: a.Addr()})
	if a.Addr() != b.Addr() || a.PID() == b.PID() {
		t.Fatalf("a %s pid %d, b %s pid %d", a.Addr(), a.PID(), b.Addr(), b.PID())
	}
	// The kernel hashes each connection's 4-tuple to one of the two
	// listeners: with 64 connections, all landing on one process has
	// probability 2^-63.
	const n = 64
	for i := range n {
		l := dialLine(t, a.Addr())
		if r := l.call(reqLine(i, "tools/list", "", true)); errCode(r) != 0 {
			t.Fatalf("conn %d: %v", i, r)
		}
		l.c.Close()
	}
	ctx := context.Background()
	sa, err := a.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := b.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sa.Connections == 0 || sb.Connections == 0 || sa.Connections+sb.Connections != n {
		t.Fatalf("connections: a=%d b=%d, want both > 0 summing to %d", sa.Connections, sb.Connections, n)
	}
	if got := sa.Total("tools/list", OutcomeOK) + sb.Total("tools/list", OutcomeOK); got != n {
		t.Fatalf("requests served: %d, want %d", got, n)
	}
	t.Logf("connections: pid %d got %d, pid %d got %d", a.PID(), sa.Connections, b.PID(), sb.Connections)
}

func TestWithoutReusePortASecondBindFails(t *testing.T) {
	a := startInProcess(t, Options{})
	if _, err := Start(context.Background(), Options{InProcess: true, Addr: a.Addr()}); err == nil {
		t.Fatal("a second listener bound the same port without SO_REUSEPORT")
	}
}
