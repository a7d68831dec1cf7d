package mcptest

import (
	"net/http"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/wire"
)

func TestSessionLimitDefaults(t *testing.T) {
	cases := []struct {
		name              string
		in                Options
		wantIdle          time.Duration
		wantMax           int
		wantValidateError bool
	}{
		{"zero values mean the defaults", Options{}, DefaultSessionIdleTimeout, DefaultMaxSessions, false},
		{"negative disables", Options{SessionIdleTimeout: -1, MaxSessions: -1}, -1, -1, false},
		{"explicit values are kept", Options{SessionIdleTimeout: time.Second, MaxSessions: 3}, time.Second, 3, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.in.Validate(); (err != nil) != tc.wantValidateError {
				t.Fatalf("Validate: %v", err)
			}
			got := tc.in.withDefaults()
			if got.SessionIdleTimeout != tc.wantIdle || got.MaxSessions != tc.wantMax {
				t.Errorf("defaults: idle %v max %d, want %v and %d", got.SessionIdleTimeout, got.MaxSessions, tc.wantIdle, tc.wantMax)
			}
		})
	}
	if DefaultSessionIdleTimeout != 10*time.Minute || DefaultMaxSessions != 100_000 {
		t.Errorf("documented defaults changed: %v, %d", DefaultSessionIdleTimeout, DefaultMaxSessions)
	}
}

// TestHTTPSessionCap: initialize churn cannot grow the session table past
// MaxSessions; the refusal is a 503 with a JSON-RPC error, counted; a
// DELETE or an idle expiry frees room.
func TestHTTPSessionCap(t *testing.T) {
	clk := newFakeClock()
	o := Options{Transport: TransportHTTP, MaxSessions: 2, SessionIdleTimeout: time.Minute}
	o.clock = clk.now
	s := startInProcess(t, o)
	c := newHTTPClient(t)
	url := s.Target()
	initOK := func() string {
		t.Helper()
		r := postMCP(t, c, url, initLine, nil)
		sid := r.header.Get(wire.HeaderSessionID)
		if r.status != http.StatusOK || sid == "" || errCode(r.msg) != 0 {
			t.Fatalf("initialize: %d %q %s", r.status, sid, r.body)
		}
		return sid
	}
	refused := func() {
		t.Helper()
		r := postMCP(t, c, url, initLine, nil)
		if r.status != http.StatusServiceUnavailable || errCode(r.msg) != codeTooManySessions || r.header.Get(wire.HeaderSessionID) != "" {
			t.Fatalf("initialize over the cap: %d code %d %s", r.status, errCode(r.msg), r.body)
		}
	}
	a := initOK()
	initOK()
	refused()
	refused()
	if st := statsOf(t, s); st.LiveSessions != 2 || st.SessionsRefused != 2 || st.Total("initialize", OutcomeRPCError) != 2 ||
		st.Errors["-32003"] != 2 || st.HTTPStatus["503"] != 2 {
		t.Fatalf("after refusals: live %d refused %d initialize errors %d, errors %v, statuses %v",
			st.LiveSessions, st.SessionsRefused, st.Total("initialize", OutcomeRPCError), st.Errors, st.HTTPStatus)
	}

	req, _ := http.NewRequest(http.MethodDelete, url, nil)
	req.Header.Set(wire.HeaderSessionID, a)
	if r := doHTTP(t, c, req); r.status != http.StatusNoContent {
		t.Fatalf("DELETE: %d", r.status)
	}
	b := initOK() // the deleted session's room
	refused()

	// Idle sessions are swept when the cap is reached: after the idle
	// timeout both free their room.
	clk.advance(time.Minute + time.Second)
	initOK()
	if r := postMCP(t, c, url, reqLine(1, "ping", "", false), map[string]string{wire.HeaderSessionID: b}); r.status != http.StatusNotFound {
		t.Fatalf("expired session: %d %s", r.status, r.body)
	}
	initOK()
	refused()
	st := statsOf(t, s)
	if st.Sessions != 5 || st.LiveSessions != 2 || st.SessionsRefused != 4 {
		t.Errorf("sessions created %d live %d refused %d, want 5, 2, 4", st.Sessions, st.LiveSessions, st.SessionsRefused)
	}
}

// TestHTTPSessionsExpireByDefault: the zero SessionIdleTimeout expires
// sessions after DefaultSessionIdleTimeout; a negative one never does.
func TestHTTPSessionsExpireByDefault(t *testing.T) {
	cases := []struct {
		name    string
		idle    time.Duration
		after   time.Duration
		expired bool
	}{
		{"default: alive just before 10m", 0, DefaultSessionIdleTimeout, false},
		{"default: expired after 10m", 0, DefaultSessionIdleTimeout + time.Second, true},
		{"negative: never", -1, 1000 * time.Hour, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			o := Options{Transport: TransportHTTP, SessionIdleTimeout: tc.idle}
			o.clock = clk.now
			s := startInProcess(t, o)
			c := newHTTPClient(t)
			sid := postMCP(t, c, s.Target(), initLine, nil).header.Get(wire.HeaderSessionID)
			clk.advance(tc.after)
			r := postMCP(t, c, s.Target(), reqLine(1, "ping", "", false), map[string]string{wire.HeaderSessionID: sid})
			want := map[bool]int{false: http.StatusOK, true: http.StatusNotFound}[tc.expired]
			if r.status != want {
				t.Fatalf("status %d, want %d: %s", r.status, want, r.body)
			}
			if live := statsOf(t, s).LiveSessions; live != map[bool]int64{false: 1, true: 0}[tc.expired] {
				t.Errorf("LiveSessions = %d", live)
			}
		})
	}
}
