package mcptest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/wire"
)

func TestFailAtIsExact(t *testing.T) {
	for _, f := range []float64{0, 0.1, 0.25, 1.0 / 3, 0.5, 0.999, 1} {
		for _, n := range []uint64{1, 7, 100, 1000} {
			var fails uint64
			for i := uint64(1); i <= n; i++ {
				if failAt(i, f) {
					fails++
				}
			}
			if want := uint64(float64(n) * f); fails != want {
				t.Errorf("f=%v n=%d: %d failures, want %d", f, n, fails, want)
			}
		}
	}
}

func TestFaultsValidate(t *testing.T) {
	bad := Faults{Delay: -1, FailFraction: 2, StallFor: time.Second}
	err := bad.Validate()
	if err == nil {
		t.Fatal("invalid faults accepted")
	}
	for _, want := range []string{"Delay", "FailFraction", "StallFor"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if err := (Faults{}).Validate(); err != nil {
		t.Errorf("zero Faults: %v", err)
	}
}

func TestDelayFault(t *testing.T) {
	const delay = 80 * time.Millisecond
	s := startInProcess(t, Options{Faults: Faults{Delay: delay}})
	l := initialized(t, s.Addr())
	start := time.Now()
	r := l.call(reqLine(1, "tools/call", `"name":"echo","arguments":{"message":"x"}`, false))
	if el := time.Since(start); el < delay {
		t.Errorf("answered after %v, before the %v delay", el, delay)
	}
	if firstText(r) != "x" {
		t.Fatalf("reply %v", r)
	}
	if err := s.SetFaults(context.Background(), Faults{}); err != nil {
		t.Fatal(err)
	}
	// With the fault lifted the request is answered inline again: a
	// pipelined pair comes back in order.
	l.send(reqLine(2, "ping", "", false), reqLine(3, "ping", "", false))
	if a, b := l.recv(), l.recv(); a["id"] != float64(2) || b["id"] != float64(3) {
		t.Fatalf("order %v %v", a["id"], b["id"])
	}
}

func TestStallHoldsThenReleases(t *testing.T) {
	s := startInProcess(t, Options{})
	l := initialized(t, s.Addr())
	ctx := context.Background()
	if err := s.SetFaults(ctx, Faults{Stall: true}); err != nil {
		t.Fatal(err)
	}
	l.send(reqLine(1, "tools/call", `"name":"echo","arguments":{"message":"held"}`, false))
	_ = l.c.SetReadDeadline(time.Now().Add(150 * time.Millisecond))
	if _, err := l.br.ReadByte(); err == nil {
		t.Fatal("a stalled request was answered")
	}
	if err := s.SetFaults(ctx, Faults{}); err != nil {
		t.Fatal(err)
	}
	if r := l.recv(); firstText(r) != "held" {
		t.Fatalf("released reply %v", r)
	}
}

func TestStallForReleasesByItself(t *testing.T) {
	s := startInProcess(t, Options{Faults: Faults{Stall: true, StallFor: 100 * time.Millisecond}})
	l := initialized(t, s.Addr())
	start := time.Now()
	r := l.call(reqLine(1, "ping", "", false))
	if el := time.Since(start); el < 100*time.Millisecond || errCode(r) != 0 {
		t.Fatalf("reply %v after %v, want a result after ≥100ms", r, el)
	}
}

func TestFailFractionIsExact(t *testing.T) {
	s := startInProcess(t, Options{Faults: Faults{FailFraction: 0.25}})
	l := initialized(t, s.Addr())
	const n = 200
	fails := 0
	for i := range n {
		r := l.call(reqLine(i+1, "tools/call", `"name":"echo","arguments":{"message":"x"}`, false))
		switch errCode(r) {
		case wire.CodeInternalError:
			fails++
		case 0:
		default:
			t.Fatalf("unexpected %v", r)
		}
	}
	if fails != n/4 {
		t.Errorf("%d of %d calls failed, want exactly %d", fails, n, n/4)
	}
	st, _ := s.Stats(context.Background())
	if got := st.Total("tools/call", OutcomeRPCError); got != int64(fails) {
		t.Errorf("server counted %d failures, client saw %d", got, fails)
	}
	if got := st.Errors["-32603"]; got != int64(fails) {
		t.Errorf("server counted %d -32603, client saw %d", got, fails)
	}
}

func TestFailFractionAsToolError(t *testing.T) {
	s := startInProcess(t, Options{Faults: Faults{FailFraction: 0.5, FailToolError: true}})
	l := initialized(t, s.Addr())
	var toolErrs int
	for i := range 10 {
		r := l.call(reqLine(i+1, "tools/call", `"name":"echo","arguments":{"message":"x"}`, false))
		if errCode(r) != 0 {
			t.Fatalf("JSON-RPC error with FailToolError: %v", r)
		}
		if result(r)["isError"] == true {
			toolErrs++
		}
	}
	if toolErrs != 5 {
		t.Errorf("%d tool errors of 10, want 5", toolErrs)
	}
}

func TestBlockRegistry(t *testing.T) {
	s := startInProcess(t, Options{Faults: Faults{BlockRegistry: true}})
	l := dialLine(t, s.Addr())
	l.send(initLine)
	// Stateless requests still work while sessions cannot be created.
	if r := l.call(reqLine(1, "tools/list", "", true)); errCode(r) != 0 {
		t.Fatalf("modern request during block: %v", r)
	}
	_ = l.c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := l.br.ReadByte(); err == nil {
		t.Fatal("initialize was answered while the registry is blocked")
	}
	if err := s.SetFaults(context.Background(), Faults{}); err != nil {
		t.Fatal(err)
	}
	if r := l.recv(); r["id"] != "init" || errCode(r) != 0 {
		t.Fatalf("initialize after unblock: %v", r)
	}
}

func TestControlEndpoint(t *testing.T) {
	t.Run("refuses a non-loopback address", func(t *testing.T) {
		for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:80", "example.com:80"} {
			if err := (Options{ControlAddr: addr}).Validate(); err == nil {
				t.Errorf("ControlAddr %q accepted", addr)
			}
		}
	})
	t.Run("sets faults and reports stats over HTTP", func(t *testing.T) {
		s := startInProcess(t, Options{ControlAddr: "127.0.0.1:0"})
		ctl := s.ControlURL()
		if ctl == "" {
			t.Fatal("no control URL")
		}
		resp, err := http.Post(ctl+"/faults", "application/json", strings.NewReader(`{"failFraction":1}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("POST /faults: %s", resp.Status)
		}
		l := initialized(t, s.Addr())
		if r := l.call(reqLine(1, "tools/call", `"name":"echo","arguments":{"message":"x"}`, false)); errCode(r) != wire.CodeInternalError {
			t.Fatalf("fail fraction 1 not applied: %v", r)
		}
		resp, err = http.Post(ctl+"/faults", "application/json", strings.NewReader(`{"failFraction":7}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("invalid faults: %s, want 400", resp.Status)
		}
		resp, err = http.Get(ctl + "/stats")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st Stats
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			t.Fatal(err)
		}
		if st.Total("tools/call", OutcomeRPCError) != 1 || st.Total("initialize", OutcomeOK) != 1 {
			t.Errorf("stats %+v", st.Requests)
		}
		resp2, err := http.Get(ctl + "/debug/pprof/goroutine?debug=1")
		if err != nil {
			t.Fatal(err)
		}
		resp2.Body.Close()
		if resp2.StatusCode != 200 {
			t.Errorf("pprof: %s", resp2.Status)
		}
	})
}

// DelayMax spreads the delay over [Delay, DelayMax]: every answer comes
// within the range, the draws are not all one value, and a DelayMax below
// Delay is refused.
func TestDelayRangeFault(t *testing.T) {
	const lo, hi = 20 * time.Millisecond, 120 * time.Millisecond
	if err := (Faults{Delay: hi, DelayMax: lo}).Validate(); err == nil || !strings.Contains(err.Error(), "DelayMax") {
		t.Errorf("DelayMax below Delay: %v", err)
	}
	s := startInProcess(t, Options{Faults: Faults{Delay: lo, DelayMax: hi}})
	l := initialized(t, s.Addr())
	var least, most time.Duration
	for i := range 12 {
		start := time.Now()
		if r := l.call(reqLine(i+1, "ping", "", false)); r["id"] != float64(i+1) {
			t.Fatalf("reply %v", r)
		}
		el := time.Since(start)
		if el < lo || el > hi+100*time.Millisecond {
			t.Errorf("answer %d after %v, outside [%v, %v] (+100ms scheduling slack)", i, el, lo, hi)
		}
		if i == 0 || el < least {
			least = el
		}
		most = max(most, el)
	}
	if most-least < 10*time.Millisecond {
		t.Errorf("12 delays all within %v of each other (%v–%v): not drawn from the range", most-least, least, most)
	}
}
