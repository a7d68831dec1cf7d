package mcptest

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/wire"
)

// echoLatencies makes calls sequential echo calls on l and returns each
// one's round trip.
func echoLatencies(t testing.TB, l *lineConn, calls int) []time.Duration {
	out := make([]time.Duration, calls)
	for i := range calls {
		start := time.Now()
		r := l.call(reqLine(100+i, "tools/call", `"name":"echo","arguments":{"message":"x"}`, false))
		out[i] = time.Since(start)
		if firstText(r) != "x" {
			t.Errorf("echo: %v", r)
		}
	}
	return out
}

// checkSlowed checks the fastest call of a connection or session: at
// least delay when it is slowed, far less (under half) when it is not.
func checkSlowed(t testing.TB, what string, i int, fastest time.Duration, slowed bool, delay time.Duration) {
	t.Helper()
	if slowed && fastest < delay {
		t.Errorf("%s %d is slowed but its fastest call took %v, less than the %v delay", what, i, fastest, delay)
	}
	if !slowed && fastest >= delay/2 {
		t.Errorf("%s %d is not slowed but its fastest call took %v", what, i, fastest)
	}
}

func TestSlowEveryFault(t *testing.T) {
	const (
		k     = 10
		delay = 50 * time.Millisecond
		conns = 20
		calls = 3
	)
	s := startInProcess(t, Options{Faults: Faults{SlowEvery: k, SlowEveryDelay: delay}})
	// Opened one after another, each through its handshake: connection i
	// is the i-th the server accepts.
	ls := make([]*lineConn, conns)
	for i := range ls {
		ls[i] = initialized(t, s.Addr())
	}
	// All connections call at once: the held answers must not hold up
	// the others.
	lat := make([][]time.Duration, conns)
	var wg sync.WaitGroup
	for i, l := range ls {
		wg.Go(func() { lat[i] = echoLatencies(t, l, calls) })
	}
	wg.Wait()
	var fast []time.Duration
	for i, ds := range lat {
		if i%k == 0 {
			for _, d := range ds {
				if d < delay {
					t.Errorf("connection %d (slowed): a call took %v, less than the %v delay", i, d, delay)
				}
			}
			continue
		}
		fast = append(fast, ds...)
		if m := slices.Min(ds); m >= delay/2 {
			t.Errorf("connection %d (not slowed): its fastest call took %v", i, m)
		}
	}
	slices.Sort(fast)
	if med := fast[len(fast)/2]; med >= delay/5 {
		t.Errorf("connections not slowed: median call %v, want far below the %v delay", med, delay)
	}
	t.Logf("slowed connections 0 and 10: %v %v; others: median %v, max %v", lat[0], lat[10], fast[len(fast)/2], fast[len(fast)-1])

	// A pipelined burst on a slowed connection is held per answer, not
	// one after another: 5 answers come back after about one delay.
	start := time.Now()
	for i := range 5 {
		ls[0].send(reqLine(200+i, "tools/call", `"name":"echo","arguments":{"message":"p"}`, false))
	}
	for range 5 {
		if r := ls[0].recv(); firstText(r) != "p" {
			t.Fatalf("pipelined echo: %v", r)
		}
	}
	if el := time.Since(start); el < delay || el >= 4*delay {
		t.Errorf("5 pipelined calls on a slowed connection took %v, want one delay (%v), not five", el, delay)
	}

	// Lifting the fault speeds the slowed connection up at once.
	if err := s.SetFaults(context.Background(), Faults{}); err != nil {
		t.Fatal(err)
	}
	if m := slices.Min(echoLatencies(t, ls[0], calls)); m >= delay/2 {
		t.Errorf("after lifting the fault connection 0's fastest call took %v", m)
	}
}

func TestSlowEveryValidate(t *testing.T) {
	err := Faults{SlowEvery: -1, SlowEveryDelay: -time.Second}.Validate()
	for _, want := range []string{"SlowEvery ", "SlowEveryDelay"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %q", err, want)
		}
	}
	if err := (Faults{SlowEvery: 3}).Validate(); err == nil {
		t.Error("SlowEvery without SlowEveryDelay accepted")
	}
	if err := (Faults{SlowEveryDelay: time.Second}).Validate(); err == nil {
		t.Error("SlowEveryDelay without SlowEvery accepted")
	}
	if err := (Faults{SlowEvery: 1, SlowEveryDelay: time.Second}).Validate(); err != nil {
		t.Errorf("valid SlowEvery: %v", err)
	}
}

// TestSlowEveryFromTheControlEndpoint sets the fault at run time on a
// server in its own process: connections already open are slowed by the
// index they were accepted with.
func TestSlowEveryFromTheControlEndpoint(t *testing.T) {
	const delay = 50 * time.Millisecond
	s := StartServer(t, Options{})
	ls := []*lineConn{initialized(t, s.Addr()), initialized(t, s.Addr()), initialized(t, s.Addr())}
	resp, err := http.Post(s.ControlURL()+"/faults", "application/json",
		strings.NewReader(`{"slowEvery":2,"slowEveryDelay":`+strconv.FormatInt(int64(delay), 10)+`}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /faults: %s", resp.Status)
	}
	for i, l := range ls {
		checkSlowed(t, "connection", i, slices.Min(echoLatencies(t, l, 2)), i%2 == 0, delay)
	}
	resp, err = http.Post(s.ControlURL()+"/faults", "application/json", strings.NewReader(`{"slowEvery":2}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("slowEvery without slowEveryDelay: %s, want 400", resp.Status)
	}
}

// TestSlowEveryTravelsToTheChildProcess sets the fault in Options: the
// child gets it through its flags.
func TestSlowEveryTravelsToTheChildProcess(t *testing.T) {
	const delay = 50 * time.Millisecond
	s := StartServer(t, Options{Faults: Faults{SlowEvery: 2, SlowEveryDelay: delay}})
	a, b := initialized(t, s.Addr()), initialized(t, s.Addr())
	if m := slices.Min(echoLatencies(t, a, 2)); m < delay {
		t.Errorf("connection 0: fastest call %v, want ≥ %v", m, delay)
	}
	if m := slices.Min(echoLatencies(t, b, 2)); m >= delay/2 {
		t.Errorf("connection 1: fastest call %v, want far below %v", m, delay)
	}
}

// TestSlowEveryOverHTTP: a legacy HTTP session is slowed by its session
// index (the order of Stats.Sessions), whatever connection carries it.
func TestSlowEveryOverHTTP(t *testing.T) {
	const delay = 50 * time.Millisecond
	s := startInProcess(t, Options{Transport: TransportHTTP, Faults: Faults{SlowEvery: 2, SlowEveryDelay: delay}})
	c := newHTTPClient(t)
	url := s.Target()
	var sids []string
	for range 3 {
		r := postMCP(t, c, url, initLine, nil)
		sid := r.header.Get(wire.HeaderSessionID)
		if r.status != http.StatusOK || sid == "" {
			t.Fatalf("initialize: %d %s", r.status, r.body)
		}
		sids = append(sids, sid)
	}
	for i, sid := range sids {
		hdr := map[string]string{wire.HeaderSessionID: sid}
		var m time.Duration
		for j := range 2 {
			start := time.Now()
			r := postMCP(t, c, url, reqLine(j+1, "tools/call", `"name":"echo","arguments":{"message":"h"}`, false), hdr)
			if el := time.Since(start); j == 0 || el < m {
				m = el
			}
			if firstText(r.msg) != "h" {
				t.Fatalf("session %d echo: %d %s", i, r.status, r.body)
			}
		}
		checkSlowed(t, "session", i, m, i%2 == 0, delay)
	}
}
