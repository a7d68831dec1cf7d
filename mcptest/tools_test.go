package mcptest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mcpstress/mcpstress/wire"
)

// TestSleepAndCPUArgumentBounds checks that out-of-range durations are
// refused with -32602 naming the bound, including values whose conversion
// to time.Duration overflows (they used to wrap below the bound and be
// answered at once as if the work had been done).
func TestSleepAndCPUArgumentBounds(t *testing.T) {
	s := startInProcess(t, Options{})
	l := dialLine(t, s.Addr())
	maxMs := fmt.Sprint(maxSleep.Milliseconds())
	maxUs := fmt.Sprint(maxCPU.Microseconds())
	cases := []struct {
		name, args string
		bound      string
	}{
		{"sleep overflowing Duration", `"name":"sleep","arguments":{"ms":9300000000000}`, maxMs},
		{"sleep max int64", `"name":"sleep","arguments":{"ms":9223372036854775807}`, maxMs},
		{"sleep one over the bound", `"name":"sleep","arguments":{"ms":` + fmt.Sprint(maxSleep.Milliseconds()+1) + `}`, maxMs},
		{"sleep negative", `"name":"sleep","arguments":{"ms":-1}`, maxMs},
		{"cpu overflowing Duration", `"name":"cpu","arguments":{"us":9300000000000000}`, maxUs},
		{"cpu max int64", `"name":"cpu","arguments":{"us":9223372036854775807}`, maxUs},
		{"cpu one over the bound", `"name":"cpu","arguments":{"us":` + fmt.Sprint(maxCPU.Microseconds()+1) + `}`, maxUs},
		{"cpu negative", `"name":"cpu","arguments":{"us":-5}`, maxUs},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := l.call(reqLine(i+1, "tools/call", tc.args, true))
			if errCode(r) != wire.CodeInvalidParams {
				t.Fatalf("got %v, want a -32602 error", r)
			}
			msg, _ := r["error"].(map[string]any)["message"].(string)
			if !strings.Contains(msg, tc.bound) {
				t.Errorf("message %q does not name the bound %s", msg, tc.bound)
			}
		})
	}
	st := statsOf(t, s)
	if got := st.Total("tools/call", OutcomeRPCError); got != int64(len(cases)) {
		t.Errorf("%d tools/call rpc errors counted, want %d", got, len(cases))
	}
	if got := st.Total("tools/call", OutcomeOK) + st.Total("tools/call", OutcomeToolError); got != 0 {
		t.Errorf("%d out-of-range calls were run", got)
	}
}

// TestToolTablesArePerServer checks that each server builds its own tool
// table and that the interned names agree with it.
func TestToolTablesArePerServer(t *testing.T) {
	a, b := newToolset(), newToolset()
	if &a.list[0] == &b.list[0] || a.lookup("echo") == b.lookup("echo") {
		t.Fatal("two toolsets share their tool table")
	}
	a.list[0].description = "changed"
	if b.lookup("echo").description == "changed" || newToolset().lookup("echo").description == "changed" {
		t.Fatal("changing one server's table changed another's")
	}
	if a.listFields != b.listFields {
		t.Fatal("tools/list fields differ between identical toolsets")
	}
	for _, tl := range b.list {
		if got, ok := internToolName([]byte(tl.name)); !ok || got != tl.name {
			t.Errorf("internToolName(%q) = %q, %v", tl.name, got, ok)
		}
		if b.lookup(tl.name) == nil {
			t.Errorf("lookup(%q) = nil", tl.name)
		}
	}
	if _, ok := internToolName([]byte("nope")); ok {
		t.Error("internToolName accepted an unknown tool")
	}
}
