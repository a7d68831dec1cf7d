package mcptest

import (
	"encoding/json"
	"runtime"
	"strconv"
	"testing"
)

// TestErrorCodesAreBounded: client-chosen error codes (the "error" tool)
// cannot grow Stats.Errors without bound; codes in the JSON-RPC reserved
// range are always counted under their own key, and no error is lost.
func TestErrorCodesAreBounded(t *testing.T) {
	c := newCounters()
	const invented = 1000
	for i := range invented {
		c.count("tools/call", OutcomeRPCError, 1+i) // outside the reserved range
		c.count("tools/call", OutcomeRPCError, 1+i) // twice each
	}
	c.count("tools/call", OutcomeRPCError, -32602)
	c.count("tools/call", OutcomeRPCError, -32000)
	c.count("tools/call", OutcomeRPCError, -32768)
	st := c.snapshot(0)
	if got, want := len(st.Errors), MaxOtherErrorCodes+3+1; got != want {
		t.Fatalf("%d error keys, want %d (64 invented, 3 reserved, other)", got, want)
	}
	for i := range MaxOtherErrorCodes { // the first 64 keep their own key
		if st.Errors[strconv.Itoa(1+i)] != 2 {
			t.Errorf("code %d counted %d, want 2", 1+i, st.Errors[strconv.Itoa(1+i)])
		}
	}
	for _, code := range []string{"-32602", "-32000", "-32768"} {
		if st.Errors[code] != 1 {
			t.Errorf("reserved code %s counted %d, want 1", code, st.Errors[code])
		}
	}
	if got, want := st.Errors[ErrorsOther], int64(2*(invented-MaxOtherErrorCodes)); got != want {
		t.Errorf("%q = %d, want %d", ErrorsOther, got, want)
	}
	var sum int64
	for _, n := range st.Errors {
		sum += n
	}
	if sum != st.Total("tools/call", OutcomeRPCError) {
		t.Errorf("error counts sum to %d, but %d rpc errors were counted", sum, st.Total("tools/call", OutcomeRPCError))
	}
}

// TestErrorToolCodesAreBoundedOnTheWire drives the same bound through the
// server: 100 distinct invented codes leave at most 64 keys plus other.
func TestErrorToolCodesAreBoundedOnTheWire(t *testing.T) {
	s := startInProcess(t, Options{})
	l := dialLine(t, s.Addr())
	const n = 100
	for i := range n {
		code := 1000 + i
		if r := l.call(reqLine(i+1, "tools/call", `"name":"error","arguments":{"code":`+strconv.Itoa(code)+`}`, true)); errCode(r) != code {
			t.Fatalf("error tool: %v, want code %d", r, code)
		}
	}
	st := statsOf(t, s)
	if len(st.Errors) != MaxOtherErrorCodes+1 || st.Errors[ErrorsOther] != n-MaxOtherErrorCodes {
		t.Errorf("%d error keys, other %d; want %d keys and other %d", len(st.Errors), st.Errors[ErrorsOther], MaxOtherErrorCodes+1, n-MaxOtherErrorCodes)
	}
}

// The reference server reports its own GC pauses: a forced collection shows
// as a cycle and a pause more.
func TestStatsCarryTheServersGC(t *testing.T) {
	before := readGCStats()
	runtime.GC()
	after := readGCStats()
	if after.Cycles <= before.Cycles || after.Pauses <= before.Pauses || after.PauseMax <= 0 || len(after.PauseCounts) != len(after.PauseBuckets) {
		t.Fatalf("before %+v\nafter %+v", before, after)
	}
	// They travel as JSON from the control endpoint.
	if _, err := json.Marshal(Stats{GC: after}); err != nil {
		t.Fatalf("the GC figures do not encode: %v", err)
	}
}
