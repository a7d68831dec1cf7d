package framework

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcpstress/mcpstress/framework/client"
)

// scriptedSession waits for its context to end (or for wait) and then
// reports a fixed outcome, whatever ended it.
type scriptedSession struct {
	outcome client.Outcome
	wait    time.Duration // 0: until ctx ends
}

var _ client.Session = scriptedSession{}

func (s scriptedSession) Call(ctx context.Context, _ client.Request) client.Response {
	var after <-chan time.Time
	if s.wait > 0 {
		after = time.After(s.wait)
	}
	select {
	case <-ctx.Done():
	case <-after:
	}
	return client.Response{Outcome: s.outcome, Err: errors.New("scripted"), Sent: time.Now()}
}

func (scriptedSession) Close() error { return nil }

// Send classifies a non-answer by what ended it: a failure reported after
// the run stopped stays a failure; only a context end becomes Cancelled or
// Timeout.
func TestSendKeepsAFailureThatRacedTheStop(t *testing.T) {
	tests := []struct {
		name    string
		session scriptedSession
		timeout time.Duration // per-request deadline
		stopAt  time.Duration // when the run's calls context ends (0: never)
		want    client.Outcome
	}{
		{"transport error after the stop stays a transport error", scriptedSession{outcome: client.TransportError}, 0, 100 * time.Millisecond, client.TransportError},
		{"cancelled by the stop is cancelled", scriptedSession{outcome: client.Cancelled}, 0, 100 * time.Millisecond, client.Cancelled},
		{"timeout reported because of the stop is cancelled", scriptedSession{outcome: client.Timeout}, 0, 100 * time.Millisecond, client.Cancelled},
		{"our own deadline is a timeout even if the session says cancelled", scriptedSession{outcome: client.Cancelled}, 50 * time.Millisecond, 0, client.Timeout},
		{"our own deadline before the stop is a timeout", scriptedSession{outcome: client.Cancelled}, 50 * time.Millisecond, 100 * time.Millisecond, client.Timeout},
		{"a session cancelling by itself is a transport error", scriptedSession{outcome: client.Cancelled, wait: 10 * time.Millisecond}, 0, 0, client.TransportError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := newTestRecorder(t, RecorderConfig{Sessions: 1})
				env, err := NewExecEnv([]client.Session{tt.session}, 1, Workload{Ops: []Operation{Ping()}}, rec)
				if err != nil {
					t.Fatal(err)
				}
				calls := t.Context()
				if tt.stopAt > 0 {
					var cancel context.CancelFunc
					calls, cancel = context.WithTimeout(calls, tt.stopAt)
					defer cancel()
				}
				env.Calls, env.Timeout = calls, tt.timeout
				op := env.Schedule(0)
				env.Send(0, 0, op, time.Now())
				t0 := time.Now()
				rec.Rotate(t0, t0.Add(time.Second))
				_, counts, _, _ := rec.Totals()
				if counts.Total() != 1 || counts.Get(tt.want) != 1 {
					t.Fatalf("counts %+v, want one %v", counts, tt.want)
				}
			})
		})
	}
}

// hangingCloseTarget opens fake sessions whose Close blocks until release
// is closed.
type hangingCloseTarget struct {
	fakeTarget
	release chan struct{}
}

type hangingCloseSession struct {
	client.Session
	release chan struct{}
}

func (t hangingCloseTarget) Connect(ctx context.Context) (client.Session, error) {
	s, err := t.fakeTarget.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return hangingCloseSession{Session: s, release: t.release}, nil
}

func (s hangingCloseSession) Close() error {
	<-s.release
	return s.Session.Close()
}

// A session whose Close hangs must not hang Run: closing is bounded by the
// message timeout, and the summary says how many were left.
func TestRunDoesNotHangOnAHungClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tgt := hangingCloseTarget{fakeTarget: fakeTarget{&fakeServer{}}, release: make(chan struct{})}
		defer close(tgt.release) // let the background closes end inside the bubble
		sc := pingScenario("hung-close", 4, 20, time.Second)
		sc.Config.MessageTimeout = 2 * time.Second
		start := time.Now()
		sum, err := Run(t.Context(), tgt, sc, RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el > 5*time.Second {
			t.Errorf("Run took %v with hung closes; want about 1 s load + 2 s close bound", el)
		}
		found := false
		for _, w := range sum.Warnings {
			if strings.Contains(w, "4 of 4 sessions did not close within 2s") {
				found = true
			}
		}
		if !found {
			t.Errorf("warnings %q do not report the hung closes", sum.Warnings)
		}
	})
}

func TestCloseSessionsWithinCountsOnlyTheHungOnes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		srv := &fakeServer{}
		var sessions []client.Session
		for i := range 5 {
			s, _ := fakeTarget{srv}.Connect(t.Context())
			if i < 2 {
				s = hangingCloseSession{Session: s, release: release}
			}
			sessions = append(sessions, s)
		}
		if n := closeSessionsWithin(sessions, time.Second); n != 2 {
			t.Errorf("%d unclosed, want 2", n)
		}
		close(release)
		synctest.Wait()
		if got := srv.closed.Load(); got != 5 {
			t.Errorf("%d closed after release, want 5", got)
		}
	})
}
