package mcptest

import (
	"bufio"
	"context"
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestArgsRoundTripThroughFlags(t *testing.T) {
	cases := []Options{
		{},
		{Transport: TransportHTTP, SessionIdleTimeout: -1, MaxSessions: -1},
		{Transport: TransportHTTP, Addr: "127.0.0.1:9", ReusePort: true, MaxFrame: 77, HTTPResponse: HTTPResponseSSE,
			SessionIdleTimeout: time.Second, MaxSessions: 5, ControlAddr: "127.0.0.1:0", Backlog: 64,
			Faults: Faults{Delay: time.Millisecond, DelayMax: 2 * time.Millisecond, FailFraction: 0.125, FailToolError: true, Stall: true, StallFor: time.Minute, BlockRegistry: true,
				LeakBytesPerCall: 3, SlowEvery: 10, SlowEveryDelay: 50 * time.Millisecond, Serial: 3 * time.Millisecond}},
	}
	for _, want := range cases {
		var got Options
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		got.BindFlags(fs)
		if err := fs.Parse(want.args()); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("round trip: got %+v, want %+v", got, want)
		}
	}
}

func TestMainPrintsReadyAndStops(t *testing.T) {
	t.Setenv("MCPTEST_FAULTS", `{"failFraction":1}`)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"-transport=tcp", "-control=127.0.0.1:0"}, strings.NewReader(""), pw, io.Discard)
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	info, err := parseReady(strings.TrimSpace(line))
	if err != nil || info.control == "" {
		t.Fatalf("READY line %q: %v", line, err)
	}
	l := initialized(t, strings.TrimPrefix(info.target, "tcp://"))
	if r := l.call(reqLine(1, "tools/call", `"name":"echo","arguments":{"message":"x"}`, false)); errCode(r) != -32603 {
		t.Errorf("$MCPTEST_FAULTS not applied: %v", r)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit code %d", code)
	}
	pw.Close()
	if code := Main(context.Background(), []string{"-transport=bogus"}, nil, io.Discard, io.Discard); code != 2 {
		t.Errorf("bad flags: exit %d, want 2", code)
	}
}
