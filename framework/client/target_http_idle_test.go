package client_test

import (
	"context"
	"testing"

	"go.uber.org/goleak"

	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/mcptest"
	"github.com/mcpstress/mcpstress/wire"
)

// TestHTTPTargetReleasesIdleConnectionsWithLastSession opens and closes
// sessions on an HTTP target and checks that, once the last one is closed,
// no keep-alive connection goroutine is left, without calling the target's
// Close.
func TestHTTPTargetReleasesIdleConnectionsWithLastSession(t *testing.T) {
	tests := []struct {
		name     string
		protocol string
		sessions int
	}{
		{"one session, default protocol", "", 1},
		{"three sessions, legacy (DELETE on close)", wire.Version20251125, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mcptest.StartServer(t, mcptest.Options{Transport: mcptest.TransportHTTP, InProcess: true})
			// The server's own goroutines (listener, janitor) exist now;
			// everything started from here on must be gone at the end.
			before := goleak.IgnoreCurrent()
			tg := &client.HTTPTarget{URL: srv.Target(), Options: client.Options{Protocol: tt.protocol}}
			var open []client.Session
			for range tt.sessions {
				s, err := tg.Connect(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				open = append(open, s)
			}
			for _, s := range open {
				r := s.Call(context.Background(), client.Request{Method: "tools/list"})
				if r.Outcome != client.OK {
					t.Fatalf("tools/list: %v %v", r.Outcome, r.Err)
				}
			}
			if got := tg.LiveSessions(); got != tt.sessions {
				t.Errorf("LiveSessions() = %d with %d open, want %d", got, tt.sessions, tt.sessions)
			}
			for i, s := range open {
				if err := s.Close(); err != nil {
					t.Errorf("session %d Close: %v", i, err)
				}
				if err := s.Close(); err != nil { // idempotent, counted once
					t.Errorf("session %d second Close: %v", i, err)
				}
			}
			if got := tg.LiveSessions(); got != 0 {
				t.Errorf("LiveSessions() = %d after closing all, want 0", got)
			}
			if err := goleak.Find(before); err != nil {
				t.Errorf("goroutines left after the last session closed: %v", err)
			}
		})
	}
}

// TestHTTPTargetReleasesIdleConnectionsOnFailedConnect checks that a
// handshake that fails still gives back the connections it used.
func TestHTTPTargetReleasesIdleConnectionsOnFailedConnect(t *testing.T) {
	srv := mcptest.StartServer(t, mcptest.Options{Transport: mcptest.TransportHTTP, InProcess: true, Token: "right"})
	before := goleak.IgnoreCurrent()
	tg := &client.HTTPTarget{URL: srv.Target(), Options: client.Options{Token: "wrong"}}
	if s, err := tg.Connect(context.Background()); err == nil {
		s.Close()
		t.Fatal("Connect with a wrong token succeeded")
	}
	if got := tg.LiveSessions(); got != 0 {
		t.Errorf("LiveSessions() = %d after a failed connect, want 0", got)
	}
	if err := goleak.Find(before); err != nil {
		t.Errorf("goroutines left after a failed connect: %v", err)
	}
}
