//go:build stress

package engine_test

import (
	"context"
	"math"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/framework/profile"
	"github.com/mcpstress/mcpstress/mcptest"
	"github.com/mcpstress/mcpstress/stress"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func mode(t *testing.T) profile.Mode {
	t.Helper()
	m, err := profile.ModeFromEnv(testing.Short())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func echoWorkload() framework.Workload {
	return framework.Workload{Ops: []framework.Operation{framework.CallTool("echo", map[string]any{"message": "hello"})}}
}

// TestOpenLoopAccuracy: at 5,000 req/s for 10 s (3 s in quick mode) over the
// seeds' 150 sessions, the executor schedules and the server answers within
// 1% of the offered rate, every request accounted for.
func TestOpenLoopAccuracy(t *testing.T) {
	d := 10 * time.Second
	if mode(t) == profile.ModeQuick {
		d = 3 * time.Second
	}
	const rate = 5000
	sc := framework.Scenario{
		Name:     "open-loop-accuracy",
		Sessions: 150,
		// Up to 8 requests per session may be outstanding (queued in the
		// client beyond its one on the wire), so a latency spike of the
		// shared machine queues instead of dropping: what is measured is
		// the engine's pacing, not the server's worst tens of milliseconds.
		Pipeline: 8,
		Rate:     rate,
		Duration: d,
		Workload: echoWorkload(),
	}
	sum := stress.Run(t, "", sc)
	t.Logf("offered %.1f/s scheduled %.1f/s achieved %.1f/s; lag p99 %v max %v; dropped %d",
		sum.OfferedRate, sum.ScheduledRate, sum.AchievedRate, sum.Latency.Lag.P99, sum.Latency.Lag.Max, sum.Counts.Dropped)
	// The pacer's own arithmetic (offered = rate) is the pacer's unit
	// tests' business; here the executor must actually schedule what was
	// offered, on time, and the server's answers must keep up.
	if dev := math.Abs(sum.ScheduledRate-sum.OfferedRate) / sum.OfferedRate; dev > 0.01 {
		t.Errorf("scheduled %.1f/s is %.2f%% off the offered %.1f/s (want within 1%%)", sum.ScheduledRate, 100*dev, sum.OfferedRate)
	}
	if dev := math.Abs(sum.AchievedRate-sum.OfferedRate) / sum.OfferedRate; dev > 0.01 {
		t.Errorf("achieved %.1f/s is %.2f%% off the offered %.1f/s (want within 1%%)", sum.AchievedRate, 100*dev, sum.OfferedRate)
	}
}

// TestCoordinatedOmission: during a 1,000 req/s run the reference server is
// stalled for 1 s. Requests due in the stall queue in their sessions (the
// client keeps one on the wire per session), so their latency from the
// intended send time covers the stall while their latency from the actual
// send does not: corrected p99 shows the stall, uncorrected p99 does not.
func TestCoordinatedOmission(t *testing.T) {
	d, stallAt := 10*time.Second, 4*time.Second
	if mode(t) == profile.ModeQuick {
		d, stallAt = 5*time.Second, 2*time.Second
	}
	const stall = time.Second
	srv := mcptest.StartServer(t, mcptest.Options{})
	sc := framework.Scenario{
		Name:     "coordinated-omission",
		Sessions: 10,
		Pipeline: 200, // engine slots per session; the client sends one at a time
		Rate:     1000,
		Duration: d,
		Workload: echoWorkload(),
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	faultsDone := make(chan error, 1)
	opts := stress.Options{NoFail: true}
	var loadStart time.Time
	opts.Progress = func(p framework.Progress) {
		if loadStart.IsZero() {
			loadStart = time.Now().Add(-p.Elapsed)
			go func() {
				faultsDone <- stallOnce(ctx, srv, time.Until(loadStart.Add(stallAt)), stall)
			}()
		}
	}
	sum := stress.RunWith(t, srv.Target(), sc, opts)
	if err := <-faultsDone; err != nil {
		t.Fatalf("stalling the server: %v", err)
	}
	if !sum.Conservation.Holds {
		t.Fatal(sum.Conservation.Error())
	}
	c, u := sum.Latency.Corrected, sum.Latency.Uncorrected
	t.Logf("corrected p99 %v max %v; uncorrected p99 %v max %v; dropped %d", c.P99, c.Max, u.P99, u.Max, sum.Counts.Dropped)
	if sum.Counts.Dropped > 0 {
		t.Errorf("%d requests dropped; the stall must queue, not drop", sum.Counts.Dropped)
	}
	// A tenth (quick: a fifth) of the requests were due in the stall and
	// waited up to 1 s for it: the top 1% waited most of it.
	if c.P99 < stall/2 {
		t.Errorf("corrected p99 %v does not show the %v stall", c.P99, stall)
	}
	// From the actual send only the ten requests on the wire saw it.
	if u.P99 > stall/10 {
		t.Errorf("uncorrected p99 %v shows the stall; it should be blind to it", u.P99)
	}
	if u.Max < stall/2 {
		t.Errorf("uncorrected max %v: the requests on the wire during the stall should have waited", u.Max)
	}
}

func stallOnce(ctx context.Context, srv *mcptest.Server, after, hold time.Duration) error {
	select {
	case <-time.After(after):
	case <-ctx.Done():
		return nil
	}
	if err := srv.SetFaults(ctx, mcptest.Faults{Stall: true}); err != nil {
		return err
	}
	select {
	case <-time.After(hold):
	case <-ctx.Done():
	}
	return srv.SetFaults(context.Background(), mcptest.Faults{})
}
