package client

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/wire"
)

// TestStreamBadInput: for each way a server can misbehave on a stream, the
// request fails with a classified error, nothing hangs, and the session
// either survives or reconnects for the next call.
func TestStreamBadInput(t *testing.T) {
	const maxFrame = 1 << 10
	tests := []struct {
		name       string
		answer     func(id string) fakeReply
		want       Outcome
		wantErr    error
		reconnects int64
		stat       func(SessionStats) int64
	}{
		{
			name:    "garbage line",
			answer:  func(id string) fakeReply { return reply("this is not json") },
			want:    TransportError,
			wantErr: ErrInvalidResponse,
			stat:    func(s SessionStats) int64 { return s.InvalidFrames },
		},
		{
			name: "line over the frame limit",
			answer: func(id string) fakeReply {
				return reply(`{"jsonrpc":"2.0","id":` + id + `,"result":{"pad":"` + strings.Repeat("x", 4*maxFrame) + `"}}`)
			},
			want:    TransportError,
			wantErr: ErrInvalidResponse,
			stat:    func(s SessionStats) int64 { return s.InvalidFrames },
		},
		{
			name:    "unknown id",
			answer:  func(id string) fakeReply { return reply(`{"jsonrpc":"2.0","id":987654,"result":{}}`) },
			want:    Timeout,
			wantErr: ErrTimeout,
			stat:    func(s SessionStats) int64 { return s.Strays },
		},
		{
			name:    "wrong jsonrpc version",
			answer:  func(id string) fakeReply { return reply(`{"jsonrpc":"1.0","id":` + id + `,"result":{}}`) },
			want:    TransportError,
			wantErr: ErrInvalidResponse,
		},
		{
			name:    "result that is not an object",
			answer:  func(id string) fakeReply { return reply(`{"jsonrpc":"2.0","id":` + id + `,"result":[1]}`) },
			want:    TransportError,
			wantErr: ErrInvalidResponse,
		},
		{
			name: "closes mid-frame",
			answer: func(id string) fakeReply {
				return fakeReply{lines: []string{`{"jsonrpc":"2.0","id":` + id + `,"res`}, close: true}
			},
			want:       TransportError,
			wantErr:    ErrConnectionLost,
			reconnects: 1,
		},
		{
			name:       "closes without answering",
			answer:     func(id string) fakeReply { return fakeReply{close: true} },
			want:       TransportError,
			wantErr:    ErrConnectionLost,
			reconnects: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := startFakeTCP(t, func(env wire.Envelope, raw string) (fakeReply, bool) {
				if string(wire.Member(env.Params, "name")) == `"bad"` {
					return tt.answer(string(env.ID)), true
				}
				return fakeReply{}, false
			})
			s := connectTCP(t, addr, Options{Timeout: 200 * time.Millisecond, MaxFrame: maxFrame})
			for round := range 3 { // repeated: the session keeps working each time
				r := s.Call(context.Background(), toolReq("bad"))
				if r.Outcome != tt.want || !errors.Is(r.Err, tt.wantErr) {
					t.Fatalf("round %d: got %v (%v), want %v (%v)", round, r.Outcome, r.Err, tt.want, tt.wantErr)
				}
				if r := s.Call(context.Background(), echoReq()); r.Outcome != OK {
					t.Fatalf("round %d: next call %v %v", round, r.Outcome, r.Err)
				}
			}
			if got := s.Reconnects(); got != 3*tt.reconnects {
				t.Fatalf("reconnects %d, want %d", got, 3*tt.reconnects)
			}
			if tt.stat != nil && tt.stat(s.Stats()) != 3 {
				t.Fatalf("stats %+v: want 3 of the bad kind", s.Stats())
			}
		})
	}
}

// TestStreamOversizedFramesKeepMemoryBounded sends many frames far over the
// limit; the heap must not grow by anything like their total size.
func TestStreamOversizedFramesKeepMemoryBounded(t *testing.T) {
	const maxFrame, frame, n = 4 << 10, 1 << 20, 32 // 32 MiB sent in total
	big := []byte(`{"jsonrpc":"2.0","id":0,"result":{"pad":"` + strings.Repeat("y", frame) + "\"}}\n")
	addr := startFakeTCP(t, func(env wire.Envelope, raw string) (fakeReply, bool) {
		if string(wire.Member(env.Params, "name")) == `"big"` {
			return fakeReply{raw: big}, true
		}
		return fakeReply{}, false
	})
	s := connectTCP(t, addr, Options{MaxFrame: maxFrame})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range n {
		if r := s.Call(context.Background(), toolReq("big")); r.Outcome != TransportError {
			t.Fatalf("got %v, want a transport error", r.Outcome)
		}
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Fatalf("allocated %d bytes to reject %d MiB of oversized frames", grew, n*frame>>20)
	}
}

func TestStreamReconnectBackoffAfterServerGone(t *testing.T) {
	addr := startFakeTCP(t, func(env wire.Envelope, raw string) (fakeReply, bool) {
		if string(wire.Member(env.Params, "name")) == `"bye"` {
			return fakeReply{close: true}, true
		}
		return fakeReply{}, false
	})
	s := connectTCP(t, addr, Options{Reconnect: Backoff{Initial: time.Millisecond, Max: 10 * time.Millisecond}})
	if r := s.Call(context.Background(), toolReq("bye")); r.Outcome != TransportError {
		t.Fatalf("got %v", r.Outcome)
	}
	if r := s.Call(context.Background(), echoReq()); r.Outcome != OK || s.Reconnects() != 1 {
		t.Fatalf("after reconnect: %v %v, reconnects %d", r.Outcome, r.Err, s.Reconnects())
	}
	if s.Protocol() != wire.Version20260728 {
		t.Fatalf("re-handshake lost the protocol: %q", s.Protocol())
	}
}

func TestStreamReconnectDisabled(t *testing.T) {
	addr := startFakeTCP(t, func(env wire.Envelope, raw string) (fakeReply, bool) {
		if string(wire.Member(env.Params, "name")) == `"bye"` {
			return fakeReply{close: true}, true
		}
		return fakeReply{}, false
	})
	s := connectTCP(t, addr, Options{Reconnect: Backoff{Disabled: true}})
	s.Call(context.Background(), toolReq("bye"))
	if r := s.Call(context.Background(), echoReq()); r.Outcome != TransportError || !errors.Is(r.Err, ErrConnectionLost) {
		t.Fatalf("got %v %v, want a transport error", r.Outcome, r.Err)
	}
}

func TestClosedSessionCallsFail(t *testing.T) {
	s := connectTCP(t, startFakeTCP(t, nil), Options{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if r := s.Call(context.Background(), echoReq()); r.Outcome != TransportError || !errors.Is(r.Err, ErrClosed) {
		t.Fatalf("got %v %v", r.Outcome, r.Err)
	}
}

// TestStreamReconnectWaitsForBackoff: with the server gone, the first
// reconnect is tried at once and fails; the next call waits out the backoff
// delay before trying again.
func TestStreamReconnectWaitsForBackoff(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: every dial is refused at once
	live := startFakeTCP(t, func(env wire.Envelope, raw string) (fakeReply, bool) {
		if string(wire.Member(env.Params, "name")) == `"bye"` {
			return fakeReply{close: true}, true
		}
		return fakeReply{}, false
	})
	const initial = 200 * time.Millisecond
	s := connectTCP(t, live, Options{Reconnect: Backoff{Initial: initial, Jitter: 0.25}})
	s.dial = func(ctx context.Context) (streamIO, error) { // the server moves away
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		return c.(*net.TCPConn), nil
	}
	s.Call(context.Background(), toolReq("bye"))
	start := time.Now()
	if r := s.Call(context.Background(), echoReq()); r.Outcome != TransportError {
		t.Fatalf("first reconnect: %v", r.Outcome)
	}
	first := time.Since(start)
	start = time.Now()
	if r := s.Call(context.Background(), echoReq()); r.Outcome != TransportError {
		t.Fatalf("second reconnect: %v", r.Outcome)
	}
	if waited := time.Since(start); waited < initial*3/4 || first > initial/2 {
		t.Fatalf("first attempt after %v, second after %v; want at once, then >= %v", first, waited, initial*3/4)
	}
}
