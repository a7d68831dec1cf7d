package judge_test

import (
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/chaos"
	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/judge"
	"github.com/mcpstress/mcpstress/verdict"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// series is 100 ms points from t0 for total, 100 answered per point
// (1000/s), with rate(i) overriding point i's answered and failed counts.
func series(total time.Duration, rate func(i int, at time.Duration) (answered, failed uint64)) []chaos.RatePoint {
	const step = 100 * time.Millisecond
	var pts []chaos.RatePoint
	for i := 0; time.Duration(i)*step < total; i++ {
		at := time.Duration(i) * step
		a, f := uint64(100), uint64(0)
		if rate != nil {
			a, f = rate(i, at)
		}
		pts = append(pts, chaos.RatePoint{Start: t0.Add(at), End: t0.Add(at + step), Answered: a, Failed: f, Lost: f})
	}
	return pts
}

func impact(t *testing.T, pts []chaos.RatePoint, ev chaos.FaultEvent) chaos.Impact {
	t.Helper()
	m, err := chaos.MeasureImpact(pts, ev, chaos.ImpactOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The impact checks judge a server that comes back as passing and one that
// never does (or a fault that never showed) as failing; none passes on
// nothing.
func TestImpactChecksPassOnRecoveryAndFailOnAServerThatNeverComesBack(t *testing.T) {
	fault := chaos.FaultEvent{Kind: "crash", At: t0.Add(5 * time.Second), End: t0.Add(5*time.Second + 200*time.Millisecond)}
	// Down for 1 s after the fault (every request failing), then back.
	back := series(12*time.Second, func(i int, at time.Duration) (uint64, uint64) {
		if at >= 5*time.Second && at < 6*time.Second {
			return 0, 100
		}
		return 100, 0
	})
	// Down from the fault to the end of the series.
	never := series(12*time.Second, func(i int, at time.Duration) (uint64, uint64) {
		if at >= 5*time.Second {
			return 0, 100
		}
		return 100, 0
	})
	good, dead := impact(t, back, fault), impact(t, never, fault)
	if !good.Detected || !good.Recovered || dead.Recovered {
		t.Fatalf("fixtures: good %s; dead %s", good, dead)
	}

	tests := []struct {
		name string
		pass verdict.Check
		fail verdict.Check
	}{
		{"detection", judge.DetectionTime([]chaos.Impact{good}, "the crash", 5*time.Second),
			judge.DetectionTime([]chaos.Impact{good}, "the crash", 50*time.Millisecond)},
		{"recovery from the injection", judge.RecoveryTime([]chaos.Impact{good}, "a crash", 10*time.Second, false),
			judge.RecoveryTime([]chaos.Impact{good, dead}, "a crash", 10*time.Second, false)},
		{"recovery from the heal", judge.RecoveryTime([]chaos.Impact{good}, "a crash", 10*time.Second, true),
			judge.RecoveryTime([]chaos.Impact{dead}, "a crash", 10*time.Second, true)},
		{"error rate during", judge.ErrorRateDuring([]chaos.Impact{good}, "the crash", 1.01),
			judge.ErrorRateDuring([]chaos.Impact{good}, "the crash", 0.05)},
		{"throughput loss", judge.ThroughputLoss(back, []chaos.Impact{good}, 3*time.Second, time.Second, 1.01),
			judge.ThroughputLoss(never, []chaos.Impact{dead}, 3*time.Second, time.Second, 0.5)},
		{"unrecovered", judge.Unrecovered(1, 1000, "the loss", 0.01), judge.Unrecovered(20, 1000, "the loss", 0.01)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.pass.Passed() {
				t.Errorf("should pass: %s", tt.pass)
			}
			if !tt.fail.Failed() || tt.fail.Unmeasured() {
				t.Errorf("should fail with a measurement: %s", tt.fail)
			}
		})
	}
	if c := judge.RecoveryTime([]chaos.Impact{dead}, "a crash", time.Hour, false); !c.Failed() || c.Measured != dead.Observed.Seconds() {
		t.Errorf("a server that never comes back must fail whatever the limit, measured as the time watched: %s", c)
	}
}

// A detection check against traffic with no fault in it fails: there was
// nothing to detect.
func TestDetectionFailsWithoutAFault(t *testing.T) {
	steady := series(10*time.Second, nil)
	phantom := chaos.FaultEvent{Kind: "none", At: t0.Add(5 * time.Second)}
	m := impact(t, steady, phantom)
	if c := judge.DetectionTime([]chaos.Impact{m}, "a fault that never happened", 5*time.Second); !c.Failed() {
		t.Errorf("detected a fault that never happened: %s", c)
	}
}

// Every impact check fails on no injection at all.
func TestImpactChecksFailOnNoData(t *testing.T) {
	for _, c := range []verdict.Check{
		judge.DetectionTime(nil, "x", time.Second),
		judge.RecoveryTime(nil, "x", time.Second, false),
		judge.ErrorRateDuring(nil, "x", 1),
		judge.ThroughputLoss(nil, nil, time.Second, time.Second, 1),
		judge.Unrecovered(0, 0, "x", 1),
		judge.Reconnected(framework.Reconnects{}, 0, -1, 150),
	} {
		if !c.Failed() || !c.NoData {
			t.Errorf("no data must fail as no data: %s", c)
		}
	}
}

func TestReconnected(t *testing.T) {
	tests := []struct {
		name      string
		r         framework.Reconnects
		broken    int
		liveAtEnd int
		pass      bool
	}{
		{"every dropped session came back", framework.Reconnects{Attempts: 16, Succeeded: 15}, 15, 150, true},
		{"reconnect disabled: none came back", framework.Reconnects{}, 15, 135, false},
		{"reconnects counted but sessions missing at the end", framework.Reconnects{Attempts: 15, Succeeded: 15}, 15, 149, false},
		{"fewer reconnects than drops", framework.Reconnects{Attempts: 30, Succeeded: 14}, 15, -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c := judge.Reconnected(tt.r, tt.broken, tt.liveAtEnd, 150); c.Passed() != tt.pass {
				t.Errorf("pass %v: %s", c.Passed(), c)
			}
		})
	}
}

func TestRatePointsAndWindows(t *testing.T) {
	iv := []framework.IntervalSnapshot{
		{Start: t0, End: t0.Add(500 * time.Millisecond), Counts: framework.OutcomeCounts{OK: 50, Timeout: 2, TransportError: 1, RPCError: 3, Dropped: 4, Cancelled: 9}},
		{Start: t0.Add(500 * time.Millisecond), End: t0.Add(time.Second), Counts: framework.OutcomeCounts{OK: 100}},
	}
	pts := judge.RatePoints(iv)
	if p := pts[0]; p.Answered != 50 || p.Failed != 10 || p.Lost != 3 {
		t.Errorf("point %+v: want 50 answered, 10 failed (rpc 3, transport 1, timeout 2, dropped 4), 3 lost", p)
	}
	a, f, l, span := judge.Between(pts, t0.Add(100*time.Millisecond), t0.Add(600*time.Millisecond))
	if a != 150 || f != 10 || l != 3 || span != time.Second {
		t.Errorf("between: %d %d %d %v", a, f, l, span)
	}
	if r, at, ok := judge.WorstWindowRate(pts, t0, t0.Add(time.Second), 500*time.Millisecond); !ok || r != 100 || !at.Equal(t0) {
		t.Errorf("worst window %v at %v (%v)", r, at, ok)
	}
	if _, _, ok := judge.WorstWindowRate(pts, t0, t0.Add(time.Second), 2*time.Second); ok {
		t.Error("a window longer than the series was measured")
	}
}
