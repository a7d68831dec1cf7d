package judge_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/chaos"
	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/judge"
	"github.com/mcpstress/mcpstress/verdict"
)

func summarize(r framework.Result) *framework.Summary { return framework.Summarize(&r, nil) }

// Every reusable check fails on zero data (a target where nothing listens)
// and passes on a run that did what it planned; none can pass by accident.
func TestReusableChecksFailOnZeroDataAndPassOnAGoodRun(t *testing.T) {
	nothing := summarize(framework.Result{Ramp: framework.RampStats{Requested: 150, Failed: 150}})
	sessions := make([]framework.SessionCount, 150)
	for i := range sessions {
		sessions[i] = framework.SessionCount{Answered: 100, LatencySum: 100 * time.Millisecond}
	}
	good := summarize(framework.Result{Scheduled: 15000, LoadDuration: 3 * time.Second,
		ByOp: map[string]framework.OutcomeCounts{"echo": {OK: 15000}}, Ramp: framework.RampStats{Requested: 150, Opened: 150},
		Sessions: sessions})
	ceilingDead := summarize(framework.Result{Ramp: framework.RampStats{Requested: 150, Failed: 150}})
	tests := []struct {
		name string
		run  func(*framework.Summary) []verdict.Check
	}{
		{"run checks", judge.RunChecks},
		{"undelivered", func(s *framework.Summary) []verdict.Check { return []verdict.Check{judge.Undelivered(s, 0.001)} }},
		{"distribution", func(s *framework.Summary) []verdict.Check {
			c, _ := judge.Distribution(s, 0.001)
			return []verdict.Check{c}
		}},
		{"sessions opened", func(s *framework.Summary) []verdict.Check { return []verdict.Check{judge.SessionsOpened(s, 150)} }},
		{"ceiling", func(s *framework.Summary) []verdict.Check { return []verdict.Check{judge.CeilingMeasured(s, 150)} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range tt.run(nothing) {
				if !c.Failed() {
					t.Errorf("zero data: %s", c)
				}
			}
			for _, c := range tt.run(good) {
				if !c.Passed() {
					t.Errorf("a good run: %s", c)
				}
			}
		})
	}
	if c := judge.CeilingMeasured(ceilingDead, 150); !c.Failed() || !c.NoData {
		t.Errorf("a ceiling of nothing: %s", c)
	}
}

// Memory: a server the suite did not start is not judged (skipped with the
// reason, never passed); too few samples is no data (a failure).
func TestMemoryIsSkippedOnlyWhenItDoesNotApply(t *testing.T) {
	remote := summarize(framework.Result{Intervals: []framework.IntervalSnapshot{{End: time.Unix(1, 0), Resources: &framework.ResourceSample{}}}})
	checks, _ := judge.Memory(remote, judge.MemorySpec{Horizon: time.Minute, GrowthMaxMB: 100, MaxMB: 500, Target: "tcp://x"})
	for _, c := range checks {
		if !c.Skipped() || !strings.Contains(c.Skip, "not a process this suite started") {
			t.Errorf("remote server: %s", c)
		}
	}
	t0 := time.Unix(100, 0)
	few := summarize(framework.Result{Intervals: []framework.IntervalSnapshot{
		{End: t0, Resources: &framework.ResourceSample{Server: &framework.ProcessSample{RSSBytes: 10 << 20}}},
		{End: t0.Add(time.Second), Resources: &framework.ResourceSample{Server: &framework.ProcessSample{RSSBytes: 10 << 20}}},
	}})
	checks, _ = judge.Memory(few, judge.MemorySpec{Horizon: time.Minute, GrowthMaxMB: 100, Target: "embedded"})
	if g := checks[0]; !g.Failed() || !g.NoData {
		t.Errorf("two samples: %s", g)
	}
}

func TestRecoveryFailsWhenTheServerNeverCameBack(t *testing.T) {
	never := judge.Recovery(chaos.Recovery{Recovered: false, Observed: 20 * time.Second}, "a crash", 10*time.Second)
	back := judge.Recovery(chaos.Recovery{Recovered: true, Time: 2 * time.Second}, "a crash", 10*time.Second)
	if !never.Failed() || !back.Passed() {
		t.Errorf("never: %s; back: %s", never, back)
	}
}

// The robust growth check fails a steady leak, passes a flat server with a
// GC sawtooth, and fails with no data.
func TestGrowthCheckCatchesALeakAndPassesASawtooth(t *testing.T) {
	t0 := time.Unix(1000, 0)
	series := func(mb func(i int) float64) []framework.IntervalSnapshot {
		var out []framework.IntervalSnapshot
		for i := range 120 {
			out = append(out, framework.IntervalSnapshot{End: t0.Add(time.Duration(i) * time.Second),
				Resources: &framework.ResourceSample{Server: &framework.ProcessSample{RSSBytes: uint64(mb(i) * (1 << 20))}}})
		}
		return out
	}
	leak := series(func(i int) float64 { return 100 + 0.5*float64(i) })                      // 1800 MB/h
	saw := series(func(i int) float64 { return 100 + float64(i%10) - 5 + 0.001*float64(i) }) // flat on average
	gl, err := judge.RobustGrowth("server RSS", leak, t0, time.Time{}, judge.ServerRSS)
	if c := judge.GrowthCheck("growth < 50 MB/h", gl, err, 50, "x"); !c.Failed() || c.NoData {
		t.Errorf("leak: %s", c)
	}
	gs, err := judge.RobustGrowth("server RSS", saw, t0, time.Time{}, judge.ServerRSS)
	if c := judge.GrowthCheck("growth < 50 MB/h", gs, err, 50, "x"); !c.Passed() {
		t.Errorf("sawtooth: %s", c)
	}
	gn, err := judge.RobustGrowth("server RSS", leak[:3], t0, time.Time{}, judge.ServerRSS)
	if c := judge.GrowthCheck("growth < 50 MB/h", gn, err, 50, "x"); !c.Failed() || !c.NoData {
		t.Errorf("three samples: %s", c)
	}
	if c := judge.ProjectionCheck("24 h < 500 MB", gl, nil, 24*time.Hour, 500, "x"); !c.Failed() || c.Measured < 40000 {
		t.Errorf("projection: %s", c)
	}
}

// A slope above the limit whose interval reaches below it passes (growth
// not shown to exceed the limit), and says so; one whose whole interval is
// above fails. The projection is the sustained demo's: +21.8 MB/h
// (interval +20.2 to +23.9) is 523 MB over 24 h against 500.
func TestGrowthCheckSaysWhyAnEstimateAboveTheLimitPasses(t *testing.T) {
	g := judge.Growth{What: "server RSS", Samples: 533, SlopeMBPerHour: 60, Lo: 45, Hi: 75, Window: time.Minute}
	c := judge.GrowthCheck("growth <= 50 MB/h", g, nil, 50, "x")
	if !c.Passed() || !strings.Contains(c.Detail, "not shown to exceed it") {
		t.Errorf("interval reaching below the limit: %s", c)
	}
	g.Lo = 51
	if c := judge.GrowthCheck("growth <= 50 MB/h", g, nil, 50, "x"); !c.Failed() || strings.Contains(c.Detail, "not shown") {
		t.Errorf("whole interval above the limit: %s", c)
	}
	g = judge.Growth{What: "server RSS", Samples: 533, SlopeMBPerHour: 21.8, Lo: 20.2, Hi: 23.9, Window: 9 * time.Minute}
	p := judge.ProjectionCheck("24 h <= 500 MB", g, nil, 24*time.Hour, 500, "x")
	if !p.Passed() || p.Measured < 500 || !strings.Contains(p.Detail, "reaches down to +484.8 MB") {
		t.Errorf("projection: %s", p)
	}
	g.SlopeMBPerHour = 20
	if p := judge.ProjectionCheck("24 h <= 500 MB", g, nil, 24*time.Hour, 500, "x"); !p.Passed() || strings.Contains(p.Detail, "not shown") {
		t.Errorf("projection under the limit: %s", p)
	}
}

// The live heap is re-measured only at a GC. A leak that a minute shows in
// two GC steps (the CI run: 371.6 → 406.9 MB, fitted +0.0 MB/h) is no data,
// so the check fails rather than passes; the same leak with a GC every 5 s
// is caught; a flat heap with as many GCs passes.
func TestClientHeapGrowthNeedsGCs(t *testing.T) {
	t0 := time.Unix(1000, 0)
	series := func(gcEvery int, mbPerGC float64) []framework.IntervalSnapshot {
		var out []framework.IntervalSnapshot
		live := 371.6
		for i := range 61 {
			gcs := uint64(i / gcEvery)
			if i > 0 && i%gcEvery == 0 {
				live += mbPerGC
			}
			out = append(out, framework.IntervalSnapshot{End: t0.Add(time.Duration(i) * time.Second),
				Resources: &framework.ResourceSample{Self: framework.SelfSample{LiveHeapBytes: uint64(live * (1 << 20)), GCCycles: 100 + gcs}}})
		}
		return out
	}
	check := func(iv []framework.IntervalSnapshot) verdict.Check {
		g, err := judge.ClientHeapGrowth("client live heap", iv, t0, time.Time{})
		return judge.GrowthCheck("growth <= 50 MB/h", g, err, 50, "x")
	}
	if c := check(series(30, 17.6)); !c.Failed() || !c.NoData || !strings.Contains(c.Detail, "2 GC cycles") {
		t.Errorf("a leak in two GC steps: %s", c)
	}
	if c := check(series(5, 1.5)); !c.Failed() || c.NoData {
		t.Errorf("a leak with a GC every 5 s: %s", c)
	}
	if c := check(series(5, 0)); !c.Passed() {
		t.Errorf("a flat heap with a GC every 5 s: %s", c)
	}
	// Without the GC requirement the two-step leak read as flat: the hole
	// ClientHeapGrowth closes.
	if g, err := judge.RobustGrowth("client live heap", series(30, 17.6), t0, time.Time{}, judge.ClientHeap); err != nil || g.Lo > 50 {
		t.Errorf("RobustGrowth alone: %v, %s", err, g)
	}
}
