package framework

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcpstress/mcpstress/framework/client"
)

func pingScenario(name string, sessions int, rate float64, d time.Duration) Scenario {
	return Scenario{
		Name:     name,
		Sessions: sessions,
		Rate:     rate,
		Duration: d,
		Workload: Workload{Ops: []Operation{Ping()}},
	}
}

// mustRun runs sc on srv and fails the test on an error or a conservation
// violation, which every run must satisfy.
func mustRun(t *testing.T, ctx context.Context, srv *fakeServer, sc Scenario) *Summary {
	t.Helper()
	sum, err := Run(ctx, fakeTarget{srv}, sc, RunOptions{})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !sum.Conservation.Holds {
		t.Fatalf("conservation: %v", sum.Conservation.Error())
	}
	return sum
}

func TestOpenModelSendsEveryHitAtItsIntendedTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &fakeServer{}
		sum := mustRun(t, t.Context(), srv, pingScenario("steady", 5, 100, 10*time.Second))

		if sum.Scheduled != 1000 || sum.Counts.OK != 1000 {
			t.Errorf("scheduled %d, ok %d; want 1000 and 1000", sum.Scheduled, sum.Counts.OK)
		}
		if sum.OfferedRate != 100 || sum.AchievedRate != 100 {
			t.Errorf("offered %v/s, achieved %v/s; want 100 and 100", sum.OfferedRate, sum.AchievedRate)
		}
		// In the bubble nothing is late: the corrected latency is the
		// service time and the lag is zero.
		if c := sum.Latency.Corrected; c.P50 != time.Millisecond || c.Max != time.Millisecond {
			t.Errorf("corrected p50 %v max %v, want 1ms", c.P50, c.Max)
		}
		if sum.Latency.Lag.Max != 0 {
			t.Errorf("lag max %v, want 0", sum.Latency.Lag.Max)
		}
		if len(sum.Intervals) != 10 {
			t.Errorf("%d intervals, want 10", len(sum.Intervals))
		}
		for i, iv := range sum.Intervals {
			if iv.Counts.OK != 100 || iv.Throughput != 100 {
				t.Errorf("interval %d: ok %d throughput %v, want 100", i, iv.Counts.OK, iv.Throughput)
			}
		}
		lo, hi, _ := sum.SessionSpread()
		if lo != 200 || hi != 200 {
			t.Errorf("per-session answered %v, want 200 each (longest-idle slot first)", sum.AnsweredPerSession())
		}
		if got := srv.closed.Load(); got != 5 {
			t.Errorf("%d sessions closed, want 5", got)
		}
	})
}

func TestOpenModelDropsWhenNoSlotIsFreeInsteadOfDelaying(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// One slot, a hit every 10ms, each taking 45ms: of every five hits
		// one is sent and four find the slot busy.
		srv := &fakeServer{latency: func(uint64) time.Duration { return 45 * time.Millisecond }}
		sum := mustRun(t, t.Context(), srv, pingScenario("overloaded", 1, 100, time.Second))
		if sum.Counts.OK != 20 || sum.Counts.Dropped != 80 || sum.Scheduled != 100 {
			t.Errorf("ok %d dropped %d scheduled %d; want 20, 80, 100", sum.Counts.OK, sum.Counts.Dropped, sum.Scheduled)
		}
		// Sent requests were never delayed.
		if sum.Latency.Lag.Max != 0 || !sum.Histograms.Corrected.ValuesAreEquivalent(45000, int64(sum.Latency.Corrected.Max/time.Microsecond)) {
			t.Errorf("lag max %v corrected max %v; want 0 and 45ms", sum.Latency.Lag.Max, sum.Latency.Corrected.Max)
		}
		if sum.DropRate != 0.8 {
			t.Errorf("drop rate %v, want 0.8", sum.DropRate)
		}
		if !strings.Contains(strings.Join(sum.Warnings, "\n"), "80 requests dropped") {
			t.Errorf("warnings %q do not report the drops", sum.Warnings)
		}
	})
}

func TestCorrectedLatencyShowsAStallThatUncorrectedHides(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// 1,000 req/s over 10 sessions whose wire carries one request at a
		// time (the client's pipeline); the engine hands each session up to
		// 200, which queue in the session. The server stalls for 1 s.
		start := time.Now()
		srv := &fakeServer{
			latency:   func(uint64) time.Duration { return 100 * time.Microsecond },
			stallFrom: start.Add(3 * time.Second),
			stallTo:   start.Add(4 * time.Second),
		}
		sc := pingScenario("stall", 10, 1000, 10*time.Second)
		sc.Pipeline = 200
		sum := mustRun(t, t.Context(), srv, sc)
		if sum.Counts.OK != 10000 || sum.Counts.Dropped != 0 {
			t.Fatalf("ok %d dropped %d; want 10000 and 0", sum.Counts.OK, sum.Counts.Dropped)
		}
		// A tenth of the requests were due during the stall, waiting from
		// 0 to 1 s: the top 1% waited at least 0.9 s.
		if p := sum.Latency.Corrected.P99; p < 900*time.Millisecond {
			t.Errorf("corrected p99 = %v, want >= 900ms (the stall)", p)
		}
		// Measured from the actual send, only the 10 requests on the wire
		// when the stall began (0.1%) saw it.
		if p := sum.Latency.Uncorrected.P99; p > 10*time.Millisecond {
			t.Errorf("uncorrected p99 = %v, want <= 10ms (blind to the stall)", p)
		}
		if m := sum.Latency.Uncorrected.Max; m < 900*time.Millisecond {
			t.Errorf("uncorrected max = %v, want the stall (>= 900ms)", m)
		}
	})
}

func TestEveryOutcomeClassIsCountedOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// One slot, a hit every 100ms, a 120ms request timeout. Calls 1-3
		// fail three ways, call 4 (at 400ms) times out at 520ms, so the hit
		// at 500ms finds the slot busy and is dropped, and call 5 (at
		// 600ms) is in flight when the run is stopped at 650ms.
		srv := &fakeServer{
			outcome: func(n uint64) client.Outcome {
				return map[uint64]client.Outcome{1: client.ToolError, 2: client.RPCError, 3: client.TransportError}[n]
			},
			latency: func(n uint64) time.Duration {
				return map[uint64]time.Duration{4: time.Second, 5: 10 * time.Second}[n] + time.Millisecond
			},
		}
		sc := pingScenario("outcomes", 1, 10, 10*time.Second)
		sc.Config.MessageTimeout = 120 * time.Millisecond
		ctx, cancel := context.WithTimeout(t.Context(), 650*time.Millisecond)
		defer cancel()
		sum := mustRun(t, ctx, srv, sc)
		want := OutcomeCounts{OK: 1, ToolError: 1, RPCError: 1, TransportError: 1, Timeout: 1, Dropped: 1, Cancelled: 1}
		if sum.Counts != want {
			t.Errorf("counts %+v, want %+v", sum.Counts, want)
		}
		if sum.Scheduled != 7 {
			t.Errorf("scheduled %d, want 7", sum.Scheduled)
		}
		if b, err := json.Marshal(sum); err != nil || !json.Valid(b) {
			t.Errorf("summary does not marshal: %v", err)
		}
		if sum.RPCCodes[-32603] != 1 {
			t.Errorf("rpc codes %v, want -32603 once", sum.RPCCodes)
		}
		if !strings.HasPrefix(sum.Aborted, "stopped") {
			t.Errorf("aborted = %q, want the stop recorded", sum.Aborted)
		}
		for o := range client.Outcome(client.NumOutcomes) {
			if sum.Counts.Get(o) != 1 {
				t.Errorf("%v counted %d times, want once", o, sum.Counts.Get(o))
			}
		}
	})
}

func TestClosedModelSendsAfterEachAnswerPlusThinkTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &fakeServer{}
		sc := Scenario{Name: "closed", Model: ClosedModel, Sessions: 2, ThinkTime: 9 * time.Millisecond,
			Duration: time.Second, Workload: Workload{Ops: []Operation{Ping()}}}
		sum := mustRun(t, t.Context(), srv, sc)
		// Each slot: send at 0, 10ms, 20ms, ... 990ms.
		if sum.Counts.OK != 200 {
			t.Errorf("ok %d, want 200", sum.Counts.OK)
		}
		if !strings.Contains(strings.Join(sum.Warnings, "\n"), "coordinated omission") {
			t.Errorf("warnings %q do not warn about coordinated omission", sum.Warnings)
		}
	})
}

func TestSessionRampOpensAtItsRateAndReportsFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &fakeServer{connectErr: func(i int) error {
			if i%4 == 3 {
				return errors.New("connection refused")
			}
			return nil
		}}
		start := time.Now()
		sessions, st := SessionRamp{Sessions: 10, Rate: 5}.Open(t.Context(), fakeTarget{srv})
		defer closeSessions(sessions)
		if st.Opened != 8 || st.Failed != 2 || len(sessions) != 8 {
			t.Errorf("opened %d failed %d (%d sessions); want 8 and 2", st.Opened, st.Failed, len(sessions))
		}
		if el := time.Since(start); el != 1800*time.Millisecond {
			t.Errorf("ramp took %v, want 1.8s (session 9 at 9/5 s)", el)
		}
		if st.Errors["connection refused"] != 2 {
			t.Errorf("errors %v", st.Errors)
		}
	})
}

func TestRunWithNoSessionsReturnsTheSummaryAndAnError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &fakeServer{connectErr: func(int) error { return errors.New("refused") }}
		sum, err := Run(t.Context(), fakeTarget{srv}, pingScenario("down", 3, 10, time.Second), RunOptions{})
		if !errors.Is(err, ErrNoSessions) {
			t.Fatalf("err = %v, want ErrNoSessions", err)
		}
		if sum == nil || sum.Ramp.Failed != 3 || !sum.Conservation.Holds {
			t.Fatalf("summary %+v", sum)
		}
	})
}

func TestSlidingWindowCatchesASpikeTheWholeRunHides(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		srv := &fakeServer{latency: func(uint64) time.Duration { return time.Millisecond },
			stallFrom: start.Add(3 * time.Second), stallTo: start.Add(3*time.Second + 20*time.Millisecond)}
		sc := pingScenario("spike", 50, 100, 10*time.Second)
		sc.Thresholds = []string{"p99 < 10ms over 1s", "p99 < 10ms"}
		sum := mustRun(t, t.Context(), srv, sc)
		win, whole := sum.Thresholds[0], sum.Thresholds[1]
		if win.Passed || win.WindowFailures != 1 || !win.WholeRunPassed || win.WindowChecks != 10 {
			t.Errorf("windowed: %+v; want 1 failed window of 10, whole run passing", win)
		}
		if !whole.Passed {
			t.Errorf("whole-run threshold failed: %v", whole)
		}
		if sum.Passed() {
			t.Error("summary passed with a failed threshold")
		}
	})
}

func TestAbortOnFailStopsTheRunCleanlyAfterTheGracePeriod(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		srv := &fakeServer{latency: func(uint64) time.Duration {
			if time.Since(start) >= 3*time.Second {
				return 200 * time.Millisecond
			}
			return time.Millisecond
		}}
		sc := pingScenario("abort", 50, 100, 30*time.Second)
		sc.Thresholds = []string{"p95 < 100ms over 1s abort grace 2s"}
		sum := mustRun(t, t.Context(), srv, sc)
		r := sum.Thresholds[0]
		if !r.Aborted || r.Passed || r.FirstFailure != 4*time.Second {
			t.Errorf("threshold %+v; want aborted at 4s", r)
		}
		if !strings.Contains(sum.Aborted, "p95 < 100ms") || sum.Duration() > 5*time.Second {
			t.Errorf("aborted %q after %v; want the threshold, at about 4s", sum.Aborted, sum.Duration())
		}
		if sum.Counts.Cancelled == 0 {
			t.Error("no in-flight request was cancelled by the abort")
		}
	})
}

func TestWorkloadMixFollowsTheWeights(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := pingScenario("mix", 4, 100, 10*time.Second)
		sc.Workload = Workload{Ops: []Operation{
			CallTool("echo", map[string]any{"text": "hi"}).WithWeight(7),
			ReadResource("mem://a").WithWeight(2),
			Ping(),
		}}
		sum := mustRun(t, t.Context(), &fakeServer{}, sc)
		want := map[string]uint64{"tools/call/echo": 700, "resources/read/mem://a": 200, "ping": 100}
		for name, n := range want {
			if got := sum.ByOp[name].OK; got != n {
				t.Errorf("%s: %d, want %d", name, got, n)
			}
		}
	})
}

func TestRunRejectsAnInvalidScenarioListingEveryProblem(t *testing.T) {
	sc := Scenario{Name: "bad", Sessions: -1, Rate: -5, Workload: Workload{Ops: []Operation{{Method: "tools/call", Weight: 0}}},
		Thresholds: []string{"p95 < fast", "nonsense", "p95 < 1ms over 2h"}, Config: Config{Storage: "tape"}}
	_, err := Run(t.Context(), fakeTarget{&fakeServer{}}, sc, RunOptions{})
	if err == nil {
		t.Fatal("Run accepted an invalid scenario")
	}
	for _, want := range []string{"sessions", "rate", "duration", "weight", "needs a target", `"p95 < fast"`, `"nonsense"`, "storage_backend", "more than 3600 collection intervals"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
}

func ExampleRun() {
	// A fake target stands in for a real server here; stress.Run resolves
	// a real one (or starts the embedded reference server).
	synctestLikeRun := func() *Summary {
		sum, err := Run(context.Background(), fakeTarget{&fakeServer{}}, Scenario{
			Name: "example", Sessions: 2, Rate: 50, Duration: 100 * time.Millisecond,
			Workload: Workload{Ops: []Operation{Ping()}},
		}, RunOptions{})
		if err != nil {
			panic(err)
		}
		return sum
	}
	sum := synctestLikeRun()
	fmt.Println(sum.Scheduled == sum.Counts.Total(), sum.Conservation.Holds)
	// Output: true true
}

// startRecorder is an executor that notes when Run called it and for what
// start, then runs inner.
type startRecorder struct {
	inner           Executor
	calledAt, start *time.Time
}

func (r startRecorder) Execute(ctx context.Context, env *ExecEnv) {
	*r.calledAt, *r.start = time.Now(), env.Start
	r.inner.Execute(ctx, env)
}

// Run starts the executor ahead of the load (with an epoch: at once, so
// its workers are parked before the first hit is due), and neither model
// sends anything before the start.
func TestExecutorsStartAheadOfTheLoadAndSendNothingBeforeIt(t *testing.T) {
	for _, model := range []Model{OpenModel, ClosedModel} {
		t.Run(string(model), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				var firstSend time.Time
				srv := &fakeServer{latency: func(uint64) time.Duration {
					mu.Lock()
					if firstSend.IsZero() {
						firstSend = time.Now()
					}
					mu.Unlock()
					return time.Millisecond
				}}
				sc := pingScenario("early", 5, 100, time.Second)
				var inner Executor = OpenExecutor{Pacer: sc.pacer()}
				if model == ClosedModel {
					sc.Model, sc.Rate, sc.ThinkTime = ClosedModel, 0, 10*time.Millisecond
					inner = ClosedExecutor{ThinkTime: sc.ThinkTime}
				}
				epoch := time.Now().Add(3 * time.Second)
				var calledAt, start time.Time
				sum, err := Run(t.Context(), fakeTarget{srv}, sc, RunOptions{Epoch: epoch, Executor: startRecorder{inner, &calledAt, &start}})
				if err != nil {
					t.Fatalf("run: %v", err)
				}
				if !sum.Conservation.Holds {
					t.Fatalf("conservation: %v", sum.Conservation.Error())
				}
				if !start.Equal(epoch) || !calledAt.Before(epoch) {
					t.Errorf("Execute called at %v for a start at %v; want it called before the epoch %v", calledAt, start, epoch)
				}
				if firstSend.IsZero() || firstSend.Before(epoch) {
					t.Errorf("first request sent at %v, before the epoch %v", firstSend, epoch)
				}
			})
		})
	}
}
