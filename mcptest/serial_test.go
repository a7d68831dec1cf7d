package mcptest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSerialFault: with one worker held d per call, n calls from n
// connections at once take about n·d in all (a server that can do only one
// at a time), and a burst pipelined on one connection is worked through in
// order, each answer d after the one before; lifting the fault frees them.
func TestSerialFault(t *testing.T) {
	const (
		d     = 20 * time.Millisecond
		conns = 5
	)
	s := startInProcess(t, Options{Faults: Faults{Serial: d}})
	ls := make([]*lineConn, conns)
	for i := range ls {
		ls[i] = initialized(t, s.Addr())
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i, l := range ls {
		wg.Go(func() {
			if r := l.call(reqLine(100+i, "tools/call", `"name":"echo","arguments":{"message":"s"}`, false)); firstText(r) != "s" {
				t.Errorf("echo: %v", r)
			}
		})
	}
	wg.Wait()
	if el := time.Since(start); el < conns*d {
		t.Errorf("%d calls on %d connections at once took %v: the worker served more than one at a time (want >= %v)", conns, conns, el, conns*d)
	}

	start = time.Now()
	for i := range 4 {
		ls[0].send(reqLine(200+i, "tools/call", `"name":"echo","arguments":{"message":"p"}`, false))
	}
	for range 4 {
		if r := ls[0].recv(); firstText(r) != "p" {
			t.Fatalf("pipelined echo: %v", r)
		}
	}
	if el := time.Since(start); el < 4*d {
		t.Errorf("4 pipelined calls took %v, want one after another (>= %v)", el, 4*d)
	}

	if err := s.SetFaults(context.Background(), Faults{}); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	for i := range 4 {
		ls[1].call(reqLine(300+i, "tools/call", `"name":"echo","arguments":{"message":"f"}`, false))
	}
	if el := time.Since(start); el >= 2*d {
		t.Errorf("after lifting the fault 4 calls took %v", el)
	}
}

func TestSerialValidate(t *testing.T) {
	if err := (Faults{Serial: -time.Second}).Validate(); err == nil || !strings.Contains(err.Error(), "Serial") {
		t.Errorf("negative Serial: %v", err)
	}
}
