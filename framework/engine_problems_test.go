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

// hasProblem reports whether one of sum's problems contains want.
func hasProblem(sum *Summary, want string) bool {
	for _, p := range sum.Problems() {
		if strings.Contains(p, want) {
			return true
		}
	}
	return false
}

// The reviewer's case: 200 of 200 requests end in transport errors, so no
// latency is measured; the latency thresholds must fail and the run too.
func TestRunWhereEveryRequestFailedDoesNotPass(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &fakeServer{outcome: func(uint64) client.Outcome { return client.TransportError }}
		sc := pingScenario("all-fail", 10, 100, 2*time.Second)
		sc.Thresholds = []string{"p95 <= 102ms", "p99 <= 150ms", "max <= 300ms"}
		sum := mustRun(t, t.Context(), srv, sc)
		if sum.Counts.TransportError != 200 || sum.Counts.Answered() != 0 {
			t.Fatalf("counts %+v; want 200 transport errors", sum.Counts)
		}
		if sum.Passed() {
			t.Fatalf("a run where every request failed passed:\n%s", sum)
		}
		for _, r := range sum.Thresholds {
			if r.Passed || !r.NoData {
				t.Errorf("%s: passed=%v no_data=%v", r.Threshold.Expr, r.Passed, r.NoData)
			}
		}
		if !hasProblem(sum, "no data") {
			t.Errorf("problems %q do not say there was no data", sum.Problems())
		}
	})
}

func TestRunStoppedEarlyIsAProblemUnlessAllowed(t *testing.T) {
	tests := []struct {
		name  string
		allow bool
	}{
		{"a 600 s plan stopped at 3 s fails", false},
		{"a suite that stops on purpose opts out", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
				defer cancel()
				sc := pingScenario("stopped", 5, 50, 600*time.Second)
				sc.AllowEarlyStop = tt.allow
				sum := mustRun(t, ctx, &fakeServer{}, sc)
				if sum.Aborted == "" {
					t.Fatalf("Aborted is empty after a stop at 3 s (duration %v)", sum.Duration())
				}
				if got := hasProblem(sum, "run stopped early: "); got == tt.allow {
					t.Errorf("problem reported = %v with AllowEarlyStop %v: %q", got, tt.allow, sum.Problems())
				}
				if sum.Passed() == !tt.allow {
					t.Errorf("Passed() = %v with AllowEarlyStop %v", sum.Passed(), tt.allow)
				}
			})
		})
	}
}

// Half the sessions fail to open: that is a problem, and the per-session
// distribution covers only the sessions that carried load (no trailing
// zeros from sessions that never opened).
func TestSessionsThatFailToOpenAreAProblemAndLeaveNoIdleCounts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &fakeServer{connectErr: func(i int) error {
			if i%2 == 1 {
				return errors.New("connection refused")
			}
			return nil
		}}
		sum := mustRun(t, t.Context(), srv, pingScenario("half-open", 10, 100, 2*time.Second))
		if sum.Ramp.Opened != 5 || sum.Ramp.Failed != 5 {
			t.Fatalf("ramp %+v; want 5 opened, 5 failed", sum.Ramp)
		}
		if !hasProblem(sum, "5 of 10 sessions failed to open") || sum.Passed() {
			t.Errorf("problems %q; want the failed opens", sum.Problems())
		}
		if len(sum.Sessions) != 5 {
			t.Fatalf("%d session counts, want 5 (one per opened session): %v", len(sum.Sessions), sum.Sessions)
		}
		lo, hi, cv := sum.SessionSpread()
		if lo == 0 || cv > 0.1 {
			t.Errorf("spread lo %d hi %d cv %.3f; want every opened session busy and an even spread", lo, hi, cv)
		}
	})
}

func TestSummaryProblemsListEveryKind(t *testing.T) {
	sum := &Summary{
		Result:       Result{Aborted: "stopped: context canceled", Ramp: RampStats{Requested: 4, Opened: 2, Failed: 2}},
		Conservation: Conservation{Scheduled: 10, Accounted: 9},
		Thresholds:   []ThresholdResult{{Threshold: Threshold{Expr: "p95 < 1ms"}, Display: NoData, NoData: true}},
	}
	want := []string{"conservation violated", "run stopped early: stopped: context canceled", "2 of 4 sessions failed to open", "threshold ✗ p95 < 1ms"}
	got := sum.Problems()
	if len(got) != len(want) {
		t.Fatalf("problems %q, want %d", got, len(want))
	}
	for i, w := range want {
		if !strings.Contains(got[i], w) {
			t.Errorf("problem %d = %q, want it to contain %q", i, got[i], w)
		}
	}
	sum.AllowEarlyStop = true
	if hasProblem(sum, "stopped early") {
		t.Error("AllowEarlyStop did not opt out")
	}
}
