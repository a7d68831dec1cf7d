package mcptest

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"testing"
)

func TestLeakFaultValidate(t *testing.T) {
	tests := []struct {
		name    string
		leak    int
		wantErr bool
	}{
		{"off", 0, false},
		{"one byte", 1, false},
		{"at the cap", MaxLeakBytes, false},
		{"negative", -1, true},
		{"above the cap", MaxLeakBytes + 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Faults{LeakBytesPerCall: tt.leak}.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Validate() = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "LeakBytesPerCall") {
				t.Errorf("error %q does not name the field", err)
			}
		})
	}
}

// TestLeakFaultRetainsPerCallAndReleases checks that every tools/call
// retains exactly LeakBytesPerCall while the fault is on, other methods
// retain nothing, and switching it off releases the lot.
func TestLeakFaultRetainsPerCallAndReleases(t *testing.T) {
	const per = 4096
	s := startInProcess(t, Options{Faults: Faults{LeakBytesPerCall: per}})
	l := initialized(t, s.Addr())
	const calls = 25
	for i := range calls {
		r := l.call(reqLine(i+10, "tools/call", `"name":"echo","arguments":{"message":"x"}`, false))
		if firstText(r) != "x" {
			t.Fatalf("call %d: reply %v", i, r)
		}
	}
	l.call(reqLine(100, "tools/list", ``, false))
	if got := statsOf(t, s).LeakedBytes; got != calls*per {
		t.Errorf("LeakedBytes = %d after %d calls, want %d", got, calls, calls*per)
	}
	if err := s.SetFaults(context.Background(), Faults{}); err != nil {
		t.Fatal(err)
	}
	l.call(reqLine(101, "tools/call", `"name":"echo","arguments":{"message":"x"}`, false))
	if got := statsOf(t, s).LeakedBytes; got != 0 {
		t.Errorf("LeakedBytes = %d with the fault off, want 0", got)
	}
}

// TestLeakFaultStopsAtTheCap drives the fault state directly, with a small
// cap standing in for MaxLeakBytes: once the retained total would pass it,
// calls retain nothing more.
func TestLeakFaultStopsAtTheCap(t *testing.T) {
	const per, limit = 1000, 2500 // the third call would pass the cap
	fs := newFaultState(Faults{LeakBytesPerCall: per})
	for range 5 {
		fs.leakUpTo(limit)
	}
	if got, want := fs.leakSize.Load(), int64(2*per); got != want {
		t.Errorf("retained %d bytes, want %d (two calls under the %d cap)", got, want, limit)
	}
	fs.set(Faults{})
	if got := fs.leakSize.Load(); got != 0 {
		t.Errorf("retained %d bytes after switching off, want 0", got)
	}
}

func TestLeakFaultFlagRoundTrip(t *testing.T) {
	want := Options{Faults: Faults{LeakBytesPerCall: 20 << 10}}
	args := want.args()
	if !strings.Contains(strings.Join(args, " "), fmt.Sprintf("-leak-bytes-per-call=%d", 20<<10)) {
		t.Errorf("args %q lack the leak flag", args)
	}
	var got Options
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	got.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if got.Faults != want.Faults {
		t.Errorf("round trip: got %+v, want %+v", got.Faults, want.Faults)
	}
}
