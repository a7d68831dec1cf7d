//go:build stress

package cascading

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/chaos"
	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/framework/profile"
	"github.com/mcpstress/mcpstress/mcptest"
	"github.com/mcpstress/mcpstress/report"
	"github.com/mcpstress/mcpstress/stress"
	"github.com/mcpstress/mcpstress/verdict"
)

// figures is the cascading profile resolved for the suite's mode.
type figures struct {
	profile.Plan
	baseline, failure, recovery time.Duration
}

func loadFigures(tb testing.TB) figures {
	tb.Helper()
	pl := suite.Plan(tb)
	f := figures{Plan: pl}
	for name, d := range map[string]*time.Duration{"baseline": &f.baseline, "failure": &f.failure, "recovery": &f.recovery} {
		v, ok := pl.LookupPhase(name)
		if !ok {
			tb.Fatalf("testdata/profiles/cascading.json: modes.%s.phases.%s is missing", pl.Mode, name)
		}
		*d = v
	}
	return f
}

// scenario returns a fault scenario's parameters and targets; a missing
// one fails the test (figures are data).
func (f figures) scenario(tb testing.TB, name string) profile.FaultScenario {
	tb.Helper()
	for _, s := range f.Profile.Scenarios {
		if s.Name == name {
			return s
		}
	}
	tb.Fatalf("testdata/profiles/cascading.json: scenario %q is missing", name)
	return profile.FaultScenario{}
}

func value(tb testing.TB, m map[string]float64, key string) float64 {
	tb.Helper()
	v, ok := m[key]
	if !ok {
		tb.Fatalf("testdata/profiles/cascading.json: %q is missing", key)
	}
	return v
}

// interval is the collection interval: 100 ms, the resolution of the
// recovery figures, in every mode up to 1 minute phases; 250 ms beyond.
func (f figures) interval() time.Duration {
	if f.recovery > 5*time.Minute {
		return 250 * time.Millisecond
	}
	return 100 * time.Millisecond
}

// setup is one cascading scenario's load and faults.
type setup struct {
	Name        string
	Sessions    int
	Rate        float64
	Timeout     time.Duration
	Containment *framework.Containment
	Servers     int
	// Pipeline is the engine slots per session (0: 1, so every session is
	// used in turn and a broken one is found within one round).
	Pipeline int
	// Faults returns what is injected at the start of the failure phase,
	// each healed after its For (zero: the whole failure phase).
	Faults func(env faultEnv) []timedFault
}

type faultEnv struct {
	Servers []*mcptest.Server
	Proxy   *chaos.Proxy
}

type timedFault struct {
	Fault chaos.Fault
	For   time.Duration
}

// outcome is what one cascading run measured.
type outcome struct {
	Sum            *framework.Summary
	Events         []chaos.FaultEvent
	FailAt, HealAt time.Time
	Impact         chaos.Impact
	ImpactErr      error
	PeakErrorRate  float64 // worst 1 s window from the failure on
	// ErrorRateAfter is failed / (answered + failed) from the failure to
	// the end of the run (the failure and recovery phases).
	ErrorRateAfter float64
	// ScheduledDuring is the requests scheduled in the failure phase.
	ScheduledDuring uint64
}

// runCascade runs the three phases: load through a fault proxy in front of
// the reference server (s.Servers SO_REUSEPORT processes), the faults
// injected together when the baseline phase ends and healed when the
// failure phase ends (or earlier, per fault), and the recovery phase
// watched to the end.
func runCascade(t *testing.T, tr *stress.T, f figures, s setup) *outcome {
	t.Helper()
	ctx := suite.Context()
	servers := stress.StartServers(t, mcptest.Options{}, max(s.Servers, 1))
	proxy, err := chaos.NewProxy(ctx, servers[0].Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = proxy.Close() })
	env := faultEnv{Servers: servers, Proxy: proxy}
	sc := framework.Scenario{
		Name: "cascading/" + s.Name, Sessions: s.Sessions, Rate: s.Rate, Pipeline: max(s.Pipeline, 1),
		Duration: f.baseline + f.failure + f.recovery, ConnectRate: 2000,
		Workload:    framework.Workload{Ops: []framework.Operation{framework.CallTool("echo", map[string]any{"message": "cascade"})}},
		Containment: s.Containment,
		Config:      framework.Config{CollectionInterval: f.interval(), MessageTimeout: s.Timeout},
	}
	o := &outcome{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	started := false
	rnd := rand.New(rand.NewPCG(1, 2))
	progress := suite.Progress(t.Name(), sc.Rate)
	sum := stress.RunWith(t, "tcp://"+proxy.Addr(), sc, stress.Options{Context: ctx, NoFail: true, OnSample: suite.Observer(),
		Progress: func(p framework.Progress) {
			progress(p)
			mu.Lock()
			defer mu.Unlock()
			if started || p.Elapsed < f.baseline {
				return
			}
			started = true
			o.FailAt = time.Now()
			for _, tf := range s.Faults(env) {
				d := tf.For
				if d == 0 {
					d = f.failure
				}
				wg.Go(func() {
					ev, err := chaos.Apply(ctx, tf.Fault, rnd, d)
					if err != nil {
						t.Errorf("%s: %v", ev.Kind, err)
					}
					mu.Lock()
					o.Events = append(o.Events, ev)
					mu.Unlock()
				})
			}
		}})
	wg.Wait()
	o.Sum = sum
	if !started {
		t.Fatalf("the run ended before the failure phase (aborted: %q)", sum.Aborted)
	}
	for _, ev := range o.Events {
		tr.Fault(ev.Kind, ev.At, ev.End, ev.Detail)
		if ev.End.After(o.HealAt) {
			o.HealAt = ev.End
		}
	}
	o.measure(f, sum)
	recoveryCurve(tr, sum, o.Impact.PreRate)
	tr.Metric("pre_fault_rate", "msg/s", o.Impact.PreRate, "")
	tr.Metric("peak_error_rate", "%", 100*o.PeakErrorRate, report.BetterLower)
	if o.Impact.Recovered {
		tr.KeyMetric("recovery_after_heal_s", "s", o.Impact.SinceHeal.Seconds(), report.BetterLower)
	}
	return o
}

// measure fills the impact (detection, recovery, errors during) and the
// peak error rate from the run's intervals.
func (o *outcome) measure(f figures, sum *framework.Summary) {
	// Only the load phase: the graceful stop's last partial interval is
	// not a fall in throughput.
	loadEnd := sum.Start.Add(sum.LoadDuration)
	var pts []chaos.RatePoint
	for _, iv := range sum.Intervals {
		if !iv.Start.Before(loadEnd) || iv.End.Sub(iv.Start) < f.interval()*9/10 {
			continue // the graceful stop's tail, or a partial interval: not a fall in throughput
		}
		pts = append(pts, chaos.RatePoint{Start: iv.Start, End: iv.End, Answered: iv.Counts.Answered(),
			Failed: iv.Counts.Errors() + iv.Counts.Dropped})
	}
	ev := chaos.FaultEvent{Kind: "cascade", At: o.FailAt, End: o.HealAt}
	o.Impact, o.ImpactErr = chaos.MeasureImpact(pts, ev, chaos.ImpactOptions{
		BaselineFrom: sum.Start.Add(f.baseline / 4), Window: min(time.Second, f.recovery/4)})
	var ok, bad uint64
	for _, iv := range sum.Intervals {
		if iv.End.After(o.FailAt) {
			ok += iv.Counts.Answered()
			bad += iv.Counts.Errors() + iv.Counts.Dropped
			if !iv.Start.After(o.HealAt) {
				o.ScheduledDuring += iv.Counts.Total()
			}
		}
	}
	if ok+bad > 0 {
		o.ErrorRateAfter = float64(bad) / float64(ok+bad)
	}
	// The worst 1 s (or shorter, in quick mode) window of error rate.
	w := min(time.Second, f.failure/2)
	for i := range sum.Intervals {
		if sum.Intervals[i].End.Before(o.FailAt) {
			continue
		}
		var ok, bad uint64
		for j := i; j < len(sum.Intervals) && sum.Intervals[j].End.Sub(sum.Intervals[i].Start) <= w; j++ {
			c := sum.Intervals[j].Counts
			ok += c.Answered()
			bad += c.Errors() + c.Dropped
		}
		if ok+bad > 0 {
			o.PeakErrorRate = math.Max(o.PeakErrorRate, float64(bad)/float64(ok+bad))
		}
	}
}

// recoveryCurve adds the seed's recovery progression: throughput as a
// percentage of the baseline phase, per interval.
func recoveryCurve(tr *stress.T, sum *framework.Summary, pre float64) {
	if pre <= 0 {
		return
	}
	s := report.Series{Name: "throughput / baseline", Unit: "%", Chart: report.ChartRecovery}
	for _, iv := range sum.Intervals {
		s.Points = append(s.Points, report.Point{T: iv.End.Sub(suite.Started()), V: 100 * iv.Throughput / pre})
	}
	tr.Series(s)
}

// recoveryCheck: recovered within max after the heal (and within the run).
func recoveryCheck(o *outcome, max time.Duration) verdict.Check {
	c := verdict.Check{Expr: fmt.Sprintf("recovered < %v after the faults were healed", max), Metric: "recovery_time", Unit: "s"}
	switch {
	case o.ImpactErr != nil:
		c.NoData, c.Measured, c.Detail = true, math.NaN(), o.ImpactErr.Error()
	case !o.Impact.Recovered:
		c.Measured, c.Detail = o.Impact.Observed.Seconds(), "not recovered by the end of the run: "+o.Impact.String()
	default:
		c.Measured, c.Pass, c.Detail = o.Impact.SinceHeal.Seconds(), o.Impact.SinceHeal < max, o.Impact.String()
	}
	return c
}

// peakCheck: the worst short window's error rate from the failure on.
func peakCheck(o *outcome, max float64) verdict.Check {
	c := verdict.Check{Expr: fmt.Sprintf("peak error rate (worst 1 s window) < %g%%", 100*max), Metric: "peak_error_rate", Unit: "%",
		Measured: 100 * o.PeakErrorRate, Pass: o.PeakErrorRate < max}
	if o.Sum.Counts.Answered()+o.Sum.Counts.Errors() == 0 {
		c.NoData, c.Measured = true, math.NaN()
	}
	return c
}

// survivedCheck: every server process answers /stats after the run (a
// crashed one was restarted), and the load's sessions are open.
func survivedCheck(ctx context.Context, env []*mcptest.Server, sessions int, sum *framework.Summary) verdict.Check {
	alive := 0
	for _, s := range env {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		if _, err := s.Stats(c); err == nil {
			alive++
		}
		cancel()
	}
	return verdict.Check{Expr: "the system survived: every server process answers and the run kept its sessions", Metric: "servers_alive",
		Measured: float64(alive), Pass: alive == len(env) && sum.Ramp.Opened == sessions && sum.Counts.Answered() > 0,
		Detail: fmt.Sprintf("%d of %d server processes answer /stats; %d of %d sessions opened; %d reconnects of %d attempts",
			alive, len(env), sum.Ramp.Opened, sessions, sum.Reconnects.Succeeded, sum.Reconnects.Attempts)}
}

// delayHook sets the reference server's faults on every process while the
// failure lasts.
func delayHook(kind string, servers []*mcptest.Server, faults mcptest.Faults) chaos.Hook {
	set := func(ctx context.Context, fs mcptest.Faults) error {
		for _, s := range servers {
			if err := s.SetFaults(ctx, fs); err != nil {
				return err
			}
		}
		return nil
	}
	return chaos.Hook{Kind: kind,
		On: func(ctx context.Context, _ *rand.Rand) (string, error) {
			return fmt.Sprintf("%+v on %d server process(es)", faults, len(servers)), set(ctx, faults)
		},
		Off: func(ctx context.Context) error { return set(ctx, mcptest.Faults{}) }}
}
