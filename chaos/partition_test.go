package chaos

import (
	"bufio"
	"context"
	"io"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestProxyPartitionBlocksThenHeals(t *testing.T) {
	p := newProxy(t, startEcho(t))
	c, r := dialLines(t, p.Addr())
	if got, err := roundTrip(c, r, "before"); err != nil || got != "before" {
		t.Fatalf("before the partition: %q, %v", got, err)
	}
	ev, err := p.Partition()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Partition(); err == nil {
		t.Fatal("partitioned twice")
	}
	// A live connection: what is sent is held, not answered.
	if _, err := io.WriteString(c, "during\n"); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if line, err := r.ReadString('\n'); err == nil {
		t.Fatalf("answered during the partition: %q", line)
	}
	// A new connection: accepted by the kernel, never paired.
	c2, r2 := dialLines(t, p.Addr())
	if _, err := io.WriteString(c2, "new\n"); err != nil {
		t.Fatal(err)
	}
	_ = c2.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if line, err := r2.ReadString('\n'); err == nil {
		t.Fatalf("a new connection was answered during the partition: %q", line)
	}
	healAt := time.Now()
	healed, err := p.Heal()
	if err != nil {
		t.Fatal(err)
	}
	// Both get their held lines at once after the heal.
	for _, cr := range []struct {
		c    net.Conn
		r    *bufio.Reader
		want string
	}{{c, r, "during\n"}, {c2, r2, "new\n"}} {
		_ = cr.c.SetReadDeadline(time.Now().Add(2 * time.Second))
		line, err := cr.r.ReadString('\n')
		if err != nil || line != cr.want {
			t.Fatalf("after the heal: %q, %v; want %q", line, err, cr.want)
		}
	}
	if d := time.Since(healAt); d > 500*time.Millisecond {
		t.Fatalf("held lines came %v after the heal", d)
	}
	if healed.Kind != KindPartition || !healed.At.Equal(ev.At) || healed.Duration() < 500*time.Millisecond {
		t.Fatalf("event %+v", healed)
	}
	if _, err := p.Heal(); err == nil {
		t.Fatal("healed twice")
	}
}

func TestNetnsPartitionTakesTheLinkDownAndUp(t *testing.T) {
	if err := NetnsAvailable(); err != nil {
		t.Skip("no real partition here: " + err.Error())
	}
	ctx := context.Background()
	n, err := NewNetns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{n.ServerNS, n.ClientNS}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Error(err)
		}
		// The test removes everything it made.
		out, _ := exec.Command("ip", "netns", "list").Output()
		for _, ns := range names {
			if strings.Contains(string(out), ns) {
				t.Errorf("namespace %s left behind", ns)
			}
		}
		links, _ := exec.Command("ip", "link", "show").Output()
		if strings.Contains(string(links), "mcps") && strings.Contains(string(links), names[0][4:12]) {
			t.Error("veth left behind in the host namespace")
		}
	})
	ln, err := n.Listen(ctx, "0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s, err := ln.Accept()
		if err != nil {
			return
		}
		defer s.Close()
		_, _ = io.Copy(s, s)
	}()
	defer func() { _ = ln.Close(); <-done }()
	// The server is reachable only from the client namespace: not from
	// the host's, where 10.213.0.1 does not exist.
	if c, err := net.DialTimeout("tcp", ln.Addr().String(), 200*time.Millisecond); err == nil {
		c.Close()
		t.Fatal("the namespaced server is reachable from the host namespace")
	}
	c, err := n.Dial(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if got, err := roundTrip(c, r, "before"); err != nil || got != "before" {
		t.Fatalf("before the partition: %q, %v", got, err)
	}
	if _, err := n.Partition(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, "during\n"); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	if line, err := r.ReadString('\n'); err == nil {
		t.Fatalf("answered across a downed link: %q", line)
	}
	healAt := time.Now()
	ev, err := n.Heal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// TCP retransmits: the line arrives within a few retransmission
	// timeouts of the heal.
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := r.ReadString('\n')
	if err != nil || line != "during\n" {
		t.Fatalf("after the heal: %q, %v", line, err)
	}
	t.Logf("partition of %v; the held line arrived %v after the heal", ev.Duration().Round(time.Millisecond), time.Since(healAt).Round(time.Millisecond))
	if evs := n.Events(); len(evs) != 1 || evs[0].Kind != KindPartition || evs[0].End.IsZero() {
		t.Fatalf("events %+v", evs)
	}
}
