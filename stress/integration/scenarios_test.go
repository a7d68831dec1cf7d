//go:build stress

package integration

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
	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/framework/profile"
	"github.com/mcpstress/mcpstress/judge"
	"github.com/mcpstress/mcpstress/mcptest"
	"github.com/mcpstress/mcpstress/orchestrator"
	"github.com/mcpstress/mcpstress/report"
	"github.com/mcpstress/mcpstress/stress"
	"github.com/mcpstress/mcpstress/stress/protocol"
	"github.com/mcpstress/mcpstress/verdict"
)

// figures is the integration profile resolved for the suite's mode.
type figures struct {
	profile.Plan
	load, memory, sample, hold time.Duration
	ceilingFraction            float64
	perClient, perServer       int
	perSource                  int
}

func loadFigures(tb testing.TB) figures {
	tb.Helper()
	pl := suite.Plan(tb)
	f := figures{Plan: pl}
	for name, d := range map[string]*time.Duration{"load": &f.load, "memory": &f.memory, "sample": &f.sample, "hold": &f.hold} {
		v, ok := pl.LookupPhase(name)
		if !ok {
			tb.Fatalf("testdata/profiles/integration.json: modes.%s.phases.%s is missing", pl.Mode, name)
		}
		*d = v
	}
	f.ceilingFraction = stress.Criterion(tb, pl.Profile, "ceiling_fraction")
	f.perClient = int(stress.Criterion(tb, pl.Profile, "sessions_per_client_process"))
	f.perServer = int(stress.Criterion(tb, pl.Profile, "sessions_per_server_process"))
	f.perSource = int(stress.Criterion(tb, pl.Profile, "sessions_per_source_address"))
	return f
}

func (f figures) target(tb testing.TB, name string) map[string]float64 {
	tb.Helper()
	for _, s := range f.Profile.Scenarios {
		if s.Name == name {
			return s.Targets
		}
	}
	tb.Fatalf("testdata/profiles/integration.json: scenario %q is missing", name)
	return nil
}

func (f figures) params(name string) map[string]float64 {
	for _, s := range f.Profile.Scenarios {
		if s.Name == name {
			return s.Params
		}
	}
	return nil
}

// layout is how a run of n sessions is laid out on this machine: client
// shards, server processes, and source addresses (one per perSource
// sessions: 127.0.0.1, .2, …).
func (f figures) layout(n int) (clients, servers int, copts client.Options) {
	clients, servers = stress.Layout(n, f.perClient, f.perServer)
	if k := (n + f.perSource - 1) / f.perSource; k > 1 {
		for i := range k {
			copts.SourceAddrs = append(copts.SourceAddrs, fmt.Sprintf("127.0.0.%d", i+1))
		}
	}
	return clients, servers, copts
}

func echo() framework.Workload {
	return framework.Workload{Ops: []framework.Operation{framework.CallTool("echo", map[string]any{"message": "integration"})}}
}

// run drives sc on the mode's layout for its sessions.
func (f figures) run(ctx context.Context, tb testing.TB, sc framework.Scenario, extra stress.Options) *framework.Summary {
	clients, servers, copts := f.layout(sc.Sessions)
	opts := extra
	opts.Context, opts.NoFail = ctx, true
	if opts.Shards == 0 {
		opts.Shards = clients
	}
	if opts.ServerProcesses == 0 && len(opts.Servers) == 0 {
		opts.ServerProcesses = servers
	}
	if len(opts.Client.SourceAddrs) == 0 {
		opts.Client.SourceAddrs = copts.SourceAddrs
	}
	return stress.RunWith(tb, suite.Target(), sc, opts)
}

// the eight scenarios, as steps.
const (
	stepConnectionScaling   = "ConnectionScaling"
	stepSustainedLoad       = "SustainedLoad"
	stepFailoverRecovery    = "FailoverRecovery"
	stepChaosInjection      = "ChaosInjection"
	stepMemoryStability     = "MemoryStability"
	stepLatencyConsistency  = "LatencyConsistency"
	stepErrorHandling       = "ErrorHandling"
	stepGracefulDegradation = "GracefulDegradation"
)

// scenarioPlan is the eight scenarios with their dependencies: connection
// scaling first (nothing else can pass if sessions cannot open); failover
// and chaos after the sustained load they disturb; graceful degradation,
// which overloads the server on purpose, last.
func scenarioPlan(t *testing.T, f figures) (*orchestrator.Plan, error) {
	to := 10 * time.Minute
	return orchestrator.NewPlan(
		scenarioStep(t, stepConnectionScaling, nil, to, func(ctx context.Context, tb *stepTB) (*report.Node, error) {
			return connectionScaling(ctx, tb, f)
		}),
		scenarioStep(t, stepSustainedLoad, []string{stepConnectionScaling}, to, func(ctx context.Context, tb *stepTB) (*report.Node, error) {
			return sustainedLoad(ctx, tb, f)
		}),
		scenarioStep(t, stepFailoverRecovery, []string{stepSustainedLoad}, to, func(ctx context.Context, tb *stepTB) (*report.Node, error) {
			return failoverRecovery(ctx, tb, f)
		}),
		scenarioStep(t, stepChaosInjection, []string{stepSustainedLoad}, to, func(ctx context.Context, tb *stepTB) (*report.Node, error) {
			return chaosInjection(ctx, tb, f)
		}),
		scenarioStep(t, stepMemoryStability, []string{stepConnectionScaling}, to, func(ctx context.Context, tb *stepTB) (*report.Node, error) {
			return memoryStability(ctx, tb, f)
		}),
		scenarioStep(t, stepLatencyConsistency, []string{stepConnectionScaling}, to, func(ctx context.Context, tb *stepTB) (*report.Node, error) {
			return latencyConsistency(ctx, tb, f)
		}),
		scenarioStep(t, stepErrorHandling, nil, to, func(ctx context.Context, tb *stepTB) (*report.Node, error) {
			return errorHandling(ctx, tb, f)
		}),
		scenarioStep(t, stepGracefulDegradation, []string{stepSustainedLoad, stepFailoverRecovery, stepChaosInjection, stepMemoryStability, stepLatencyConsistency},
			to, func(ctx context.Context, tb *stepTB) (*report.Node, error) {
				return gracefulDegradation(ctx, tb, f, mcptest.Options{})
			}),
	)
}

// connectionScaling opens each stage's sessions (the mode's levels: 1K to
// 100K in demo mode) and drives them briefly: success rate, connect latency
// (mean and max) and connections per second per stage.
func connectionScaling(ctx context.Context, tb *stepTB, f figures) (*report.Node, error) {
	min := f.target(tb, "connection_scaling")["success_rate_min"]
	n := node(stepConnectionScaling)
	tab := report.Table{Title: "connection scaling stages", Columns: []string{"stage", "sessions", "opened", "success rate", "connect mean ms", "connect max ms", "connections/s", "answered"}}
	cps := report.Curve{Name: "connections per second vs sessions", XLabel: "sessions", YLabel: "connections/s"}
	for _, l := range f.RunLevels() {
		rate := math.Max(100, float64(l.Sessions)/f.load.Seconds())
		sum := f.run(ctx, tb, framework.Scenario{Name: "integration/scaling/" + l.Name, Sessions: l.Sessions, Rate: rate, Duration: f.load,
			Workload: echo(), Config: framework.Config{MaxConnections: 200000}}, stress.Options{})
		r := sum.Ramp
		success := float64(r.Opened) / float64(max(r.Requested, 1))
		per := float64(r.Opened) / math.Max(r.Duration.Seconds(), 1e-9)
		tab.Rows = append(tab.Rows, []string{l.Name, fmt.Sprint(l.Sessions), fmt.Sprint(r.Opened), fmt.Sprintf("%.2f%%", 100*success),
			fmt.Sprintf("%.2f", float64(r.Connect.Mean)/1e6), fmt.Sprintf("%.2f", float64(r.Connect.Max)/1e6), fmt.Sprintf("%.0f", per), fmt.Sprint(sum.Counts.Answered())})
		cps.Points = append(cps.Points, report.XY{X: float64(l.Sessions), Y: per})
		n.AddCheck(verdict.Check{Expr: fmt.Sprintf("stage %s: sessions opened >= %g%%", l.Name, 100*min), Metric: "success_rate", Unit: "%",
			Measured: 100 * success, Pass: success >= min && sum.Counts.Answered() > 0 && sum.Conservation.Holds,
			Detail: fmt.Sprintf("%d of %d in %v (%.0f/s); %d answered", r.Opened, r.Requested, r.Duration.Round(time.Millisecond), per, sum.Counts.Answered())})
		n.AddMetric("connections_per_s_"+l.Name, "connections/s", per, report.BetterHigher)
	}
	n.Tables = append(n.Tables, tab)
	n.Curves = append(n.Curves, cps)
	return n, nil
}

// sustainedLoad offers the seed's 50K msg/s, or a fraction of the
// machine's ceiling at the first stage's sessions, whichever is lower, for
// the load phase.
func sustainedLoad(ctx context.Context, tb *stepTB, f figures) (*report.Node, error) {
	l := f.RunLevels()[0]
	seed := f.params("sustained_load")["rate"]
	clients, servers, _ := f.layout(l.Sessions)
	ceil := stress.Ceiling{Name: "integration/sustained/ceiling", Sessions: l.Sessions, Clients: clients, Servers: servers,
		Duration: min(f.load, 5*time.Second), Interval: 250 * time.Millisecond, Context: ctx}.Measure(tb)
	ceil = stress.Whole(tb, ceil)
	offered := math.Min(seed, math.Floor(f.ceilingFraction*ceil.AchievedRate))
	max := f.target(tb, "sustained_load")["error_rate_max"]
	sum := f.run(ctx, tb, framework.Scenario{Name: "integration/sustained", Sessions: l.Sessions, Rate: offered, Duration: f.load, Pipeline: 4,
		Workload: echo(), Thresholds: []string{fmt.Sprintf("throughput >= %.0f/s", 0.9*offered), fmt.Sprintf("error_rate < %g%%", 100*max), fmt.Sprintf("drop_rate < %g%%", 100*max)}},
		stress.Options{})
	n := judge.SummaryNode(stepSustainedLoad, sum, suite.Started(), true)
	n.AddCheck(judge.RunChecks(sum)...)
	n.AddCheck(judge.Thresholds(sum)...)
	n.AddCheck(judge.CeilingMeasured(ceil, l.Sessions))
	if offered < seed {
		n.AddCheck(verdict.Check{Expr: fmt.Sprintf("throughput >= %.0f/s (the seed's 50K msg/s)", 0.9*seed), Metric: "throughput", Unit: "msg/s",
			Measured: sum.AchievedRate, Skip: fmt.Sprintf("beyond this machine: its ceiling at %d sessions is %.0f/s (raw echo, same layout); offered %.0f/s (%.0f%% of it)",
				l.Sessions, ceil.AchievedRate, offered, 100*f.ceilingFraction)})
	}
	n.AddMetric("ceiling_rate", "msg/s", ceil.AchievedRate, report.BetterHigher)
	return n, nil
}

// failoverRecovery kills one of two server processes mid-run and restarts
// it a second later: recovery time from the traffic, connections recovered
// and lost, success rate, and the state after recovery (a fresh session
// initialises and answers; the reconnected ones answer).
func failoverRecovery(ctx context.Context, tb *stepTB, f figures) (*report.Node, error) {
	tg := f.target(tb, "failover_recovery")
	l := f.RunLevels()[0]
	servers := stress.StartServers(tb, mcptest.Options{}, 2)
	// The crash comes at d/4 and the server is back after 1 s; at 4 s a
	// CI run watched only 3 s after the crash and did not see a whole
	// healthy window yet (489 sessions reconnecting). 6 s watches 4.5 s.
	d := max(f.load, 6*time.Second)
	var ev chaos.FaultEvent
	var broke int64 // the connections the killed process held
	var wg sync.WaitGroup
	var once sync.Once
	sum := f.run(ctx, tb, framework.Scenario{Name: "integration/failover", Sessions: l.Sessions, Rate: 1000, Duration: d, Pipeline: 2,
		Workload: echo(), Config: framework.Config{CollectionInterval: 100 * time.Millisecond, MessageTimeout: time.Second}},
		stress.Options{Servers: servers, Shards: 1, Progress: func(p framework.Progress) {
			if p.Elapsed >= d/4 {
				once.Do(func() {
					wg.Go(func() {
						if st, err := servers[1].Stats(ctx); err == nil {
							broke = st.Connections
						}
						var err error
						ev, err = chaos.Apply(ctx, chaos.Crash{Process: servers[1]}, nil, time.Second)
						if err != nil {
							tb.Errorf("crash: %v", err)
						}
					})
				})
			}
		}})
	wg.Wait()
	pts := points(sum)
	imp, err := chaos.MeasureImpact(pts, ev, chaos.ImpactOptions{BaselineFrom: sum.Start.Add(d / 8)})
	rec := judge.RecoveryTime([]chaos.Impact{imp}, "a server process crash", time.Duration(tg["recovery_s_max"])*time.Second, false)
	if err != nil {
		rec = verdict.NoDataCheck(rec.Expr, rec.Metric, rec.Unit, err.Error())
	}
	rc := sum.Reconnects
	success, lost := 0.0, broke-rc.Succeeded
	if broke > 0 {
		success = math.Min(1, float64(rc.Succeeded)/float64(broke))
	}
	lost = max(lost, 0)
	// The state after recovery: a new session initialises and answers.
	fresh := verdict.Check{Expr: "after recovery a new session initialises and answers", Metric: "fresh_session"}
	if tgt, err := client.ParseTarget(servers[0].Target(), client.Options{Timeout: 2 * time.Second}); err == nil {
		if s, err := tgt.Connect(ctx); err == nil {
			r := s.Call(ctx, echo().Ops[0].Request())
			fresh.Pass, fresh.Measured, fresh.Detail = r.Outcome == client.OK, 1, r.Outcome.String()
			s.Close()
		} else {
			fresh.Detail = err.Error()
		}
	}
	n := judge.SummaryNode(stepFailoverRecovery, sum, suite.Started(), true)
	n.Faults = append(n.Faults, report.FaultEvent{Kind: ev.Kind, Start: ev.At.Sub(suite.Started()), End: ev.End.Sub(suite.Started()), Detail: ev.Detail})
	n.AddCheck(judge.Accounted(sum), rec, fresh,
		verdict.Check{Expr: fmt.Sprintf("connections recovered >= %g%% of those that broke", 100*tg["recovery_success_min"]), Metric: "recovery_success", Unit: "%",
			Measured: 100 * success, Pass: success >= tg["recovery_success_min"] && broke > 0,
			Detail: fmt.Sprintf("%d connections on the killed process, %d sessions reconnected (%d attempts), %d lost; %s", broke, rc.Succeeded, rc.Attempts, lost, imp)})
	n.AddMetric("connections_recovered", "", float64(rc.Succeeded), "")
	n.AddMetric("connections_lost", "", float64(lost), report.BetterLower)
	n.AddMetric("recovery_time_ms", "ms", float64(imp.TimeToRecover)/1e6, report.BetterLower)
	n.AddMetric("success_rate", "%", 100*float64(sum.Counts.Answered())/float64(max(sum.Scheduled, 1)), report.BetterHigher)
	return n, nil
}

func points(sum *framework.Summary) []chaos.RatePoint {
	var pts []chaos.RatePoint
	loadEnd := sum.Start.Add(sum.LoadDuration)
	for _, iv := range sum.Intervals {
		if !iv.Start.Before(loadEnd) || iv.End.Sub(iv.Start) < sum.Interval*9/10 {
			continue
		}
		pts = append(pts, chaos.RatePoint{Start: iv.Start, End: iv.End, Answered: iv.Counts.Answered(), Failed: iv.Counts.Errors() + iv.Counts.Dropped})
	}
	return pts
}

// chaosInjection runs load through the fault proxy with the seed's four
// faults at once: +100 ms latency, 5% message loss, 10% of connections
// dropped once, 2% of messages corrupted; the client retries a request
// once. Judged: availability (answered / scheduled) and that each fault
// showed in the traffic.
func chaosInjection(ctx context.Context, tb *stepTB, f figures) (*report.Node, error) {
	p := f.params("chaos_injection")
	l := f.RunLevels()[0]
	srv := stress.StartServers(tb, mcptest.Options{}, 1)
	proxy, err := chaos.NewProxy(ctx, srv[0].Addr())
	if err != nil {
		return nil, err
	}
	tb.Cleanup(func() { _ = proxy.Close() })
	loss := &chaos.Loss{Fraction: p["loss"], Seed: 3, Framing: chaos.NewlineFrames}
	corrupt := &chaos.Corrupt{Fraction: p["corruption"], Seed: 4, Framing: chaos.NewlineFrames}
	for _, spec := range []chaos.ToxicSpec{
		{Name: "latency", Direction: chaos.Downstream, Toxicity: 1, Toxic: chaos.Latency{Latency: time.Duration(p["latency_ms"]) * time.Millisecond}},
		{Name: "loss", Direction: chaos.Upstream, Toxicity: 1, Toxic: loss},
		{Name: "corrupt", Direction: chaos.Upstream, Toxicity: 1, Toxic: corrupt},
	} {
		if _, err := proxy.AddToxic(spec); err != nil {
			return nil, err
		}
	}
	d := max(f.load, 3*time.Second)
	var dropped chaos.FaultEvent
	var once sync.Once
	rnd := rand.New(rand.NewPCG(5, 6))
	sum := stress.RunWith(tb, "tcp://"+proxy.Addr(), framework.Scenario{Name: "integration/chaos", Sessions: l.Sessions, Rate: 1000, Duration: d, Pipeline: 4,
		Workload:    echo(),
		Containment: &framework.Containment{Retries: 1, Backoff: client.Backoff{Initial: 20 * time.Millisecond, Max: 20 * time.Millisecond}},
		Config:      framework.Config{CollectionInterval: 250 * time.Millisecond, MessageTimeout: 500 * time.Millisecond}},
		stress.Options{Context: ctx, NoFail: true, Progress: func(pr framework.Progress) {
			if pr.Elapsed >= d/2 {
				once.Do(func() { dropped, _ = proxy.Drop(p["drops"], rnd) })
			}
		}})
	tg := f.target(tb, "chaos_injection")
	avail := float64(sum.Counts.Answered()) / float64(max(sum.Scheduled, 1))
	lc, cc := loss.Counts(), corrupt.Counts()
	n := judge.SummaryNode(stepChaosInjection, sum, suite.Started(), true)
	n.AddCheck(judge.Accounted(sum),
		verdict.Check{Expr: fmt.Sprintf("availability (answered / scheduled) >= %g%% under +100 ms, 5%% loss, 10%% drops, 2%% corruption", 100*tg["availability_min"]),
			Metric: "availability", Unit: "%", Measured: 100 * avail, Pass: avail >= tg["availability_min"] && sum.Scheduled > 0,
			Detail: fmt.Sprintf("%d answered of %d; %+v; retries %+v", sum.Counts.Answered(), sum.Scheduled, sum.Counts, sum.Containment)},
		verdict.Check{Expr: "every fault showed in the traffic (latency >= 100 ms, messages lost and corrupted, connections dropped, retries made)",
			Metric: "faults_seen", Measured: float64(dropped.Conns),
			Pass:   sum.Latency.Uncorrected.P50 >= time.Duration(p["latency_ms"])*time.Millisecond && lcDropped(lc) > 0 && lcDropped(cc) > 0 && dropped.Conns > 0 && sum.Containment.Retries > 0,
			Detail: fmt.Sprintf("p50 %v; loss %+v; corruption %+v; %d connections dropped", sum.Latency.Uncorrected.P50, lc, cc, dropped.Conns)})
	n.Faults = append(n.Faults, report.FaultEvent{Kind: dropped.Kind, Start: dropped.At.Sub(suite.Started()), Detail: dropped.Detail})
	return n, nil
}

// lcDropped is how many messages a message fault hit.
func lcDropped(c chaos.MessageCounts) uint64 { return c.Hit }

// memoryStability samples the server's memory every sample period under
// load: average, peak, growth rate (Theil–Sen after the first half).
func memoryStability(ctx context.Context, tb *stepTB, f figures) (*report.Node, error) {
	n, growth := memoryRun(ctx, tb, f, mcptest.Faults{}, stepMemoryStability)
	if f.Mode == profile.ModeQuick {
		growth = growth.ReportedOnly(quickMemorySkip)
	}
	n.AddCheck(growth)
	return n, nil
}

// quickMemorySkip is why quick mode reports the server's memory growth
// without judging it.
const quickMemorySkip = "in quick mode: 10 s after a 10 s start cannot tell a leak from the Go runtime's own growth " +
	"(a healthy server measured 0 MB/h in one run and 310 MB/h, 39.4→40.2 MB, in a CI run, against 1,084–1,224 MB/h leaking 256 B per call); " +
	"judged from demo mode up (2 min at 10 s samples), and leaks are judged in quick mode by the sustained suite"

// memoryRun is MemoryStability's run against a reference server with
// faults: its node, and the growth check on it (for the caller to add).
func memoryRun(ctx context.Context, tb testing.TB, f figures, faults mcptest.Faults, name string) (*report.Node, verdict.Check) {
	l := f.RunLevels()[0]
	// The server collects at every 1% of heap growth, in every mode, so
	// its RSS follows what it keeps: at the default GOGC=100 its ~20 MB
	// live heap doubles before a GC, and at 1,000 calls/s the reference
	// server's short-lived garbage took minutes to get there, so a
	// healthy server read +347.6 MB/h (RSS 42.0 to 47.8 MB, linear) in a
	// demo run's second minute: its garbage, not a leak.
	opts := mcptest.Options{Faults: faults, Env: []string{"GOGC=1"}}
	srv := stress.StartServers(tb, opts, 1)
	sum := f.run(ctx, tb, framework.Scenario{Name: "integration/memory", Sessions: l.Sessions, Rate: 1000, Duration: f.memory, Pipeline: 2,
		Workload: echo(), Config: framework.Config{CollectionInterval: f.sample}}, stress.Options{Servers: srv, Shards: 1})
	var avg, peak float64
	var k int
	for _, iv := range sum.Intervals {
		if b, ok := judge.ServerRSS(iv.Resources); ok {
			mb := float64(b) / (1 << 20)
			avg, peak, k = avg+mb, math.Max(peak, mb), k+1
		}
	}
	if k > 0 {
		avg /= float64(k)
	}
	g, err := judge.RobustGrowth("server RSS", sum.Intervals, sum.Start.Add(f.memory/2), time.Time{}, judge.ServerRSS)
	max := f.target(tb, "memory_stability")["growth_mb_per_hour_max"]
	n := judge.SummaryNode(name, sum, suite.Started(), true)
	growth := judge.GrowthCheck(fmt.Sprintf("server memory growth after the first half <= %g MB/h", max), g, err, max, srv[0].Target())
	n.AddCheck(judge.Accounted(sum))
	n.AddMetric("memory_average_mb", "MB", avg, report.BetterLower)
	n.AddMetric("memory_peak_mb", "MB", peak, report.BetterLower)
	n.AddMetric("memory_samples", "", float64(k), "")
	n.AddMetric("memory_growth_mb_per_hour", "MB/h", g.SlopeMBPerHour, report.BetterLower)
	return n, growth
}

// TestMemoryStabilityCheckFailsAgainstALeakingServer is the negative
// control of MemoryStability's growth check: the same run against a
// reference server that keeps 256 bytes of every call (about 900 MB/h at
// 1,000 calls/s) must fail it. It runs in quick mode too, where the step
// reports the growth without judging it (quickMemorySkip): the leak reads
// 3.5× the largest growth measured on a healthy server there.
func TestMemoryStabilityCheckFailsAgainstALeakingServer(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	_, c := memoryRun(suite.Context(), t, f, mcptest.Faults{LeakBytesPerCall: 256}, "MemoryStabilityLeakControl")
	tr.Check(verdict.Check{Expr: "FAILS against a server leaking 256 bytes per call: " + c.Expr, Metric: c.Metric, Unit: c.Unit,
		Measured: c.Measured, Pass: !c.Pass && !c.NoData && c.Skip == "", Detail: c.Detail})
}

// latencyConsistency: mean, standard deviation, coefficient of variation
// and outliers (Tukey's rule on the log of the latency) of the corrected
// latencies of a steady run.
//
// The spread judged is the server's only while the generator kept its
// schedule: a run whose schedule lag p99 exceeds lag_p99_ms_max measured
// a stalled machine (a CI run with the lag at 202 ms p99 read a robust CV
// above 2 on the healthy reference server, where quick runs read
// 0.6–1.2), so it is discarded, said in the log and the report, and the
// run is measured again, at most attempts times in all; the last attempt
// is judged whatever its lag. The negative controls run through the same
// road (consistencyRun).
func latencyConsistency(ctx context.Context, tb *stepTB, f figures) (*report.Node, error) {
	sum, discarded := consistencyRun(ctx, tb, f, func() *framework.Summary {
		return f.run(ctx, tb, consistencyScenario(f), stress.Options{Shards: 1})
	})
	n := judge.SummaryNode(stepLatencyConsistency, sum, suite.Started(), true)
	cv, out := consistencyChecks(n, sum.Histograms.Corrected, f.target(tb, "latency_consistency"))
	n.AddCheck(judge.Accounted(sum), cv, out)
	n.AddMetric("discarded_runs", "", float64(len(discarded)), report.BetterLower)
	n.Warnings = append(n.Warnings, discarded...)
	return n, nil
}

// consistencyRun measures the steady run until the generator kept its
// schedule (lag p99 <= lag_p99_ms_max) or the profile's attempts are
// spent, and returns the run judged with one line for each attempt
// discarded.
func consistencyRun(ctx context.Context, tb testing.TB, f figures, measure func() *framework.Summary) (*framework.Summary, []string) {
	p := f.params("latency_consistency")
	lagMax, attempts, stealMax := time.Duration(p["lag_p99_ms_max"]*float64(time.Millisecond)), int(p["attempts"]), p["steal_max"]
	if lagMax <= 0 || attempts < 1 || stealMax <= 0 {
		tb.Fatalf("testdata/profiles/integration.json: latency_consistency needs params lag_p99_ms_max > 0, attempts >= 1 and steal_max > 0, got %v", p)
	}
	var discarded []string
	for a := 1; ; a++ {
		sum := measure()
		lag := sum.Latency.Lag.P99
		steal, _ := framework.StealFraction(sum.ResourcesStart, sum.ResourcesEnd)
		if (lag <= lagMax && steal <= stealMax) || a >= attempts || ctx.Err() != nil {
			return sum, discarded
		}
		why := fmt.Sprintf("the generator's schedule lag p99 was %v (more than %v)", lag, lagMax)
		if steal > stealMax {
			why = fmt.Sprintf("the hypervisor held back %.1f%% of the machine's CPU time (more than %g%%)", 100*steal, 100*stealMax)
		}
		d := fmt.Sprintf("run %d of at most %d discarded: %s, so the machine stalled, not only the server; measured again", a, attempts, why)
		tb.Logf("%s", d)
		discarded = append(discarded, d)
	}
}

// consistencyScenario is the steady run LatencyConsistency judges: the
// mode's first level at 1,000 req/s for the load phase, at least 10 s: one
// stall of a busy machine (300 ms in a CI run) held 11% of a 3 s run's
// requests past the outlier fence, and the 5% ceiling judges the server,
// not one stall.
func consistencyScenario(f figures) framework.Scenario {
	return framework.Scenario{Name: "integration/latency", Sessions: f.RunLevels()[0].Sessions, Rate: 1000, Duration: max(f.load, 10*time.Second), Pipeline: 2, Workload: echo()}
}

// consistencyChecks judges the spread of the latencies h and adds their
// figures to n. The coefficient of variation judged is the robust one,
// IQR / 1.349 / median (for normal data it equals stddev/mean): with the
// few thousand requests of a quick run, one 30 ms stall of the machine
// moves stddev/mean past 1 on its own, so the classic CV is reported
// beside it and the outliers it reacts to are judged on their own.
//
// An outlier is beyond Tukey's fence on the log of the latency, Q3 ×
// (Q3/Q1)^1.5: latencies are skewed to the right (multiplicative noise), and
// on the linear scale the fence Q3 + 1.5 IQR cut into a healthy server's
// own tail (6.2% of a quick CI run beyond 2.0 ms with Q1 0.43 ms and Q3
// 1.05 ms, p99 8 ms). Its negative control is a server that slows one
// connection in ten by 500 ms.
func consistencyChecks(n *report.Node, h *framework.Histogram, tg map[string]float64) (cv, out verdict.Check) {
	cv = verdict.Check{Expr: fmt.Sprintf("robust coefficient of variation (IQR / 1.349 / median) <= %g", tg["cv_max"]), Metric: "latency_robust_cv"}
	out = verdict.Check{Expr: fmt.Sprintf("outliers (beyond Q3 × (Q3/Q1)^1.5, Tukey's fence on log latency) <= %g%%", 100*tg["outlier_fraction_max"]), Metric: "outlier_fraction", Unit: "%"}
	if h == nil || h.TotalCount() == 0 {
		cv.NoData, out.NoData = true, true
		return cv, out
	}
	mean, sd := h.Mean(), h.StdDev()
	q1, med, q3 := float64(h.ValueAtQuantile(25)), float64(h.ValueAtQuantile(50)), float64(h.ValueAtQuantile(75))
	fence := q3 * math.Pow(q3/max(q1, 1), 1.5)
	var above int64
	for _, b := range h.Distribution() {
		if float64(b.From) > fence {
			above += b.Count
		}
	}
	frac := float64(above) / float64(h.TotalCount())
	robust := (q3 - q1) / 1.349 / max(med, 1)
	cv.Measured, cv.Pass = robust, robust <= tg["cv_max"]
	cv.Detail = fmt.Sprintf("Q1 %.0f µs, median %.0f µs, Q3 %.0f µs; classic CV %.2f (mean %.0f µs, stddev %.0f µs)", q1, med, q3, sd/mean, mean, sd)
	out.Measured, out.Pass = 100*frac, frac <= tg["outlier_fraction_max"]
	out.Detail = fmt.Sprintf("%d of %d above %.0f µs (Q1 %.0f, Q3 %.0f µs)", above, h.TotalCount(), fence, q1, q3)
	n.AddMetric("latency_mean_ms", "ms", mean/1000, report.BetterLower)
	n.AddMetric("latency_stddev_ms", "ms", sd/1000, report.BetterLower)
	n.AddMetric("latency_cv", "", sd/mean, report.BetterLower)
	n.AddMetric("latency_robust_cv", "", robust, report.BetterLower)
	n.AddMetric("latency_outliers", "", float64(above), report.BetterLower)
	return cv, out
}

// errorHandling runs the protocol suite's case table (malformed requests,
// invalid commands, auth failures) against the reference server over HTTP
// with a bearer token, so the auth cases run: every case must be answered as
// the specification says.
func errorHandling(ctx context.Context, tb *stepTB, f figures) (*report.Node, error) {
	srv := stress.StartServers(tb, mcptest.Options{Transport: mcptest.TransportHTTP, Token: "integration-token"}, 1)
	tgt, err := client.ParseTarget(srv[0].Target(), client.Options{Token: "integration-token"})
	if err != nil {
		return nil, err
	}
	rep, err := protocol.Run(ctx, protocol.Config{Target: tgt})
	if err != nil {
		return nil, err
	}
	c := rep.Counts
	n := node(stepErrorHandling)
	n.Metrics = append(n.Metrics, c.Metrics()...)
	n.Tables = append(n.Tables, rep.Table("error handling cases"))
	tested := c.Tested()
	correct := verdict.Check{Expr: "every malformed request, invalid command and auth failure answered as the specification says", Metric: "correct_error_responses",
		Unit: "%", Measured: 100 * float64(c.CorrectResponses) / float64(max(tested, 1)),
		Pass:   tested > 0 && c.CorrectResponses == tested && c.Hangs == 0 && c.Crashes == 0 && c.Errors == 0 && c.AuthFailuresTested > 0,
		Detail: fmt.Sprintf("%+v", c)}
	if tested == 0 {
		correct.NoData = true
	}
	n.AddCheck(correct)
	return n, nil
}

// gracefulDegradation offers the server (the reference server with opts)
// more and more past its capacity (measured first, closed loop), then
// drops back: the throughput and latency curve as offered load passes the
// knee, the queueing (schedule lag and latency), the drops, and the
// recovery after overload (back to the light load's latency).
func gracefulDegradation(ctx context.Context, tb testing.TB, f figures, opts mcptest.Options) (*report.Node, error) {
	sessions := 200
	srv := stress.StartServers(tb, opts, 1)
	capRun := stress.RunWith(tb, "", framework.Scenario{Name: "integration/degradation/capacity", Model: framework.ClosedModel, Sessions: sessions,
		Duration: min(f.load, 3*time.Second), Workload: echo()}, stress.Options{Context: ctx, NoFail: true, Servers: srv})
	capacity := capRun.AchievedRate
	n := node(stepGracefulDegradation)
	thr := report.Curve{Name: "achieved vs offered", XLabel: "offered", XUnit: "msg/s", YLabel: "achieved", YUnit: "msg/s"}
	lat := report.Curve{Name: "p99 latency vs offered", XLabel: "offered", XUnit: "msg/s", YLabel: "p99", YUnit: "ms"}
	tab := report.Table{Title: "degradation curve", Columns: []string{"offered msg/s", "× capacity", "achieved msg/s", "p50 ms", "p99 ms", "lag p99 ms", "dropped", "timeouts", "errors"}}
	d := min(f.load, 3*time.Second)
	var light, after *framework.Summary
	var overloadErrors uint64
	for i, x := range []float64{0.25, 0.5, 0.9, 1.2, 1.6, 2.0, 0.25} {
		offered := math.Max(10, math.Floor(x*capacity))
		sum := stress.RunWith(tb, "", framework.Scenario{Name: fmt.Sprintf("integration/degradation/%.2fx", x), Sessions: sessions, Pipeline: 8,
			Rate: offered, Duration: d, Workload: echo(), Config: framework.Config{MessageTimeout: time.Second}},
			stress.Options{Context: ctx, NoFail: true, Servers: srv})
		c := sum.Latency.Corrected
		tab.Rows = append(tab.Rows, []string{fmt.Sprintf("%.0f", offered), fmt.Sprintf("%.2f", x), fmt.Sprintf("%.0f", sum.AchievedRate),
			fmt.Sprintf("%.2f", float64(c.P50)/1e6), fmt.Sprintf("%.2f", float64(c.P99)/1e6), fmt.Sprintf("%.2f", float64(sum.Latency.Lag.P99)/1e6),
			fmt.Sprint(sum.Counts.Dropped), fmt.Sprint(sum.Counts.Timeout), fmt.Sprint(sum.Counts.Errors())})
		if i < 6 {
			thr.Points = append(thr.Points, report.XY{X: offered, Y: sum.AchievedRate})
			lat.Points = append(lat.Points, report.XY{X: offered, Y: float64(c.P99) / 1e6})
		}
		if i == 0 {
			light = sum
		}
		if x > 1 {
			overloadErrors += sum.Counts.TransportError
		}
		after = sum
	}
	n.Tables, n.Curves = append(n.Tables, tab), append(n.Curves, thr, lat)
	n.AddMetric("capacity_msg_per_s", "msg/s", capacity, report.BetterHigher)
	graceful := collapseCheck(capacity, sessions, thr.Points, overloadErrors)
	recovered := recoveredCheck(light, after)
	if capacity == 0 {
		graceful.NoData, recovered.NoData = true, true
	}
	n.AddCheck(graceful, recovered)
	return n, nil
}

// collapseCheck judges the throughput curve past the knee. Graceful: at
// twice its capacity the server still answers (in time) at least two
// thirds of the most it answered at any load, and no connection broke;
// what it cannot take is dropped by the generator or queued. A collapsing
// server answers less and less as the load grows (the single-worker
// control: its queue outgrows the client's timeout and it works through
// requests nobody waits for, down to a few percent). The healthy reference
// server read 0.85–1.00 of its best in twelve quick runs; the first bound,
// 80%, failed one CI run of a healthy server whose output did not keep the
// curve (at twice the capacity the generator's drops take CPU from the
// server on the same cores, more so on a busy machine).
func collapseCheck(capacity float64, sessions int, points []report.XY, transportErrors uint64) verdict.Check {
	over, peak, share := overloadShare(points)
	return verdict.Check{Expr: "past the knee throughput does not collapse: at 2× capacity >= 2/3 of the best achieved, without transport errors", Metric: "overload_throughput", Unit: "msg/s",
		Measured: over.Y, Pass: capacity > 0 && share >= collapseFloor && transportErrors == 0,
		Detail: fmt.Sprintf("capacity %.0f msg/s (closed loop, %d sessions); best achieved %.0f msg/s; at %.0f offered %.0f achieved (%.2f of the best); %d transport errors past the knee; what it could not take was dropped by the generator or queued (see the table)",
			capacity, sessions, peak, over.X, over.Y, share, transportErrors)}
}

// collapseFloor is the share of its best throughput a server must keep at
// twice its capacity (collapseCheck).
const collapseFloor = 2.0 / 3

// overloadShare is the last point of the throughput curve (the most
// overload), the best throughput on it, and the last point's share of the
// best (0 when the curve is empty or answered nothing).
func overloadShare(points []report.XY) (over report.XY, peak, share float64) {
	if len(points) == 0 {
		return report.XY{}, 0, 0
	}
	over = points[len(points)-1]
	for _, p := range points {
		peak = math.Max(peak, p.Y)
	}
	if peak > 0 {
		share = over.Y / peak
	}
	return over, peak, share
}

// TestDegradationCollapseCheckFailsAgainstASingleWorkerServer is the
// negative control of GracefulDegradation's collapse check: the same
// scenario against a reference server with one worker held 2 ms per call
// (mcptest.Faults.Serial: capacity about 500 calls/s, the rest queued in
// the sockets in order, requests nobody waits for still worked through).
// Past the knee its queue grows by (load/capacity − 1) seconds a second,
// beyond the 1 s message timeout, and the answers that still come in time
// fall far below its best; the check must fail.
func TestDegradationCollapseCheckFailsAgainstASingleWorkerServer(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	n, _ := gracefulDegradation(suite.Context(), t, f, mcptest.Options{Faults: mcptest.Faults{Serial: 2 * time.Millisecond}})
	for _, tab := range n.Tables {
		for _, r := range tab.Rows {
			t.Logf("%s: %v", tab.Title, r)
		}
	}
	var c verdict.Check
	for _, th := range n.Thresholds {
		if th.Metric == "overload_throughput" {
			c = th
		}
	}
	// It must fail on the throughput, not only on a broken connection.
	collapsed := false
	for _, cv := range n.Curves {
		if _, peak, share := overloadShare(cv.Points); cv.Name == "achieved vs offered" && peak > 0 {
			collapsed = share < collapseFloor
		}
	}
	tr.Check(verdict.Check{Expr: "FAILS against a single-worker server, on its throughput: " + c.Expr, Metric: c.Metric, Unit: c.Unit,
		Measured: c.Measured, Pass: c.Expr != "" && !c.Pass && !c.NoData && collapsed, Detail: c.Detail})
}

// recoveredCheck judges the light load after an overload against the same
// load before it, by the median: a server still working off the overload
// answers the typical request in hundreds of ms, while the machine's own
// stalls move only the tail (two light runs of a few seconds with nothing
// wrong gave p99s from 1.6 to 31 ms, their medians 0.18–0.30 ms and
// within 0.03 ms of each other). The 2 ms allowance is far above that
// noise and far below a server still behind (the control: 223 ms).
func recoveredCheck(light, after *framework.Summary) verdict.Check {
	b, a := light.Latency.Corrected, after.Latency.Corrected
	return verdict.Check{Expr: "after the overload the light load's median latency is back within 2× of before it (+2 ms)", Metric: "recovery_p50", Unit: "ms",
		Measured: float64(a.P50) / 1e6,
		Pass:     b.P50 > 0 && a.P50 <= 2*b.P50+2*time.Millisecond,
		Detail:   fmt.Sprintf("p50 %v before, %v after (p99 %v before, %v after)", b.P50, a.P50, b.P99, a.P99)}
}

// TestDegradationRecoveryCheckFailsAgainstAServerThatStaysSlow is the
// negative control of GracefulDegradation's recovery check: the light load
// once, then again after the server took on a 50 ms delay (as a server
// still working off a backlog would answer); the check must fail.
func TestDegradationRecoveryCheckFailsAgainstAServerThatStaysSlow(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	srv := stress.StartServers(t, mcptest.Options{}, 1)
	light := func(name string) *framework.Summary {
		return stress.RunWith(t, "", framework.Scenario{Name: "integration/degradation-control/" + name, Sessions: 200, Pipeline: 8, Rate: 500,
			Duration: min(f.load, 3*time.Second), Workload: echo(), Config: framework.Config{MessageTimeout: time.Second}},
			stress.Options{Context: suite.Context(), NoFail: true, Servers: srv})
	}
	before := light("before")
	if err := srv[0].SetFaults(suite.Context(), mcptest.Faults{Delay: 50 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	after := light("after")
	c := recoveredCheck(before, after)
	tr.Judge(after, verdict.Check{Expr: "FAILS against a server that stays 50 ms slower: " + c.Expr, Metric: c.Metric, Unit: c.Unit,
		Measured: c.Measured, Pass: !c.Pass && before.Latency.Corrected.P99 > 0, Detail: c.Detail})
}

// TestLatencyConsistencyCheckFailsAgainstAnUnevenServer is the negative
// control of LatencyConsistency's spread check: the same steady run against
// a reference server that holds every answer on one connection in three
// 50 ms longer. A third of the latencies are 50 ms slower, so Q3 is in the
// slow group while Q1 and the median are in the fast one, and the robust
// coefficient of variation must fail; on the even server
// (TestFullFrameworkAtScale) it passes. (One connection in two put the
// median on the edge between the groups, and a run whose slow half was a
// hair larger had its median at 20 ms and a CV of 0.89. At 20 ms, a run
// on a busy machine, whose own lag spread the fast group to a median of
// 8.8 ms, read 2.05 against the ceiling of 2.)
func TestLatencyConsistencyCheckFailsAgainstAnUnevenServer(t *testing.T) {
	consistencyControl(t, mcptest.Faults{SlowEvery: 3, SlowEveryDelay: 50 * time.Millisecond}, "a server slowing one connection in three by 50 ms",
		func(cv, _ verdict.Check) verdict.Check { return cv })
}

// TestLatencyOutlierCheckFailsAgainstAServerThatStallsAFewRequests is
// the outlier check's negative control: a server that answers one
// connection in ten 500 ms late holds about 10% of the requests far beyond
// the bulk, which the 5% ceiling must fail (the robust CV, judging the
// spread of the middle half, does not see them). At 50 ms it failed on a
// quiet machine (10%) but not on a slow one, whose own spread (Q1 0.67 ms,
// Q3 5.8 ms) put the fence at 147 ms.
func TestLatencyOutlierCheckFailsAgainstAServerThatStallsAFewRequests(t *testing.T) {
	consistencyControl(t, mcptest.Faults{SlowEvery: 10, SlowEveryDelay: 500 * time.Millisecond}, "a server answering one connection in ten 500 ms late",
		func(_, out verdict.Check) verdict.Check { return out })
}

// consistencyControl runs LatencyConsistency's steady run against a
// reference server with faults and passes when the check pick chooses
// fails on it (measured, not for want of data).
func consistencyControl(t *testing.T, faults mcptest.Faults, what string, pick func(cv, out verdict.Check) verdict.Check) {
	tr := suite.Test(t)
	f := loadFigures(t)
	srv := stress.StartServers(t, mcptest.Options{Faults: faults}, 1)
	sum, _ := consistencyRun(suite.Context(), t, f, func() *framework.Summary {
		return stress.RunWith(t, "", consistencyScenario(f), stress.Options{Context: suite.Context(), NoFail: true, Servers: srv})
	})
	c := pick(consistencyChecks(report.NewTest("control", report.StatusPassed, 0), sum.Histograms.Corrected, f.target(t, "latency_consistency")))
	tr.Judge(sum, verdict.Check{Expr: "FAILS against " + what + ": " + c.Expr, Metric: c.Metric, Unit: c.Unit,
		Measured: c.Measured, Pass: !c.Pass && !c.NoData && c.Skip == "", Detail: c.Detail})
}

// TestFullFrameworkAtScale runs the eight scenarios through the
// orchestrator at the mode's scale, one at a time (each loads both cores;
// parallel execution is measured on independent steps in
// TestFrameworkParallelExecution), and judges each and the framework's
// reliability (every step ran and passed).
func TestFullFrameworkAtScale(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	plan, err := scenarioPlan(t, f)
	if err != nil {
		t.Fatal(err)
	}
	res := orchestrator.Run(suite.Context(), plan, orchestrator.Options{Workers: 1, Progress: func(e orchestrator.ProgressEvent) { t.Logf("%s", e) }})
	sn := res.Report("integration")
	for _, c := range sn.Children {
		tr.Child(c)
	}
	for _, s := range res.Steps {
		tr.Check(verdict.Check{Expr: fmt.Sprintf("scenario %s passed", s.Name), Metric: "step", Pass: s.Status == orchestrator.Passed,
			Measured: s.Duration.Seconds(), Unit: "s", Detail: stepDetail(s)})
	}
	passed := res.Count(orchestrator.Passed)
	rel := float64(passed) / float64(len(res.Steps))
	tr.KeyMetric("framework_reliability", "%", 100*rel, report.BetterHigher)
	tr.Check(verdict.Check{Expr: fmt.Sprintf("framework reliability >= %g%% (steps passed)", 100*stress.Criterion(t, f.Profile, "framework_reliability_min")),
		Metric: "framework_reliability", Unit: "%", Measured: 100 * rel, Pass: rel >= stress.Criterion(t, f.Profile, "framework_reliability_min")})
}

// stepDetail is a step's outcome in a few words: its reason when it has
// one (a failed step's starts with "failed:", a skipped one's names the
// dependency), else its status.
func stepDetail(s orchestrator.StepResult) string {
	if s.Reason != "" {
		return s.Reason
	}
	return s.Status.String()
}

// TestComplete100KIntegration holds the mode's largest level (100,000
// sessions from demo mode up), every session initialised and answering
// for the hold phase, on client shards, SO_REUSEPORT server processes and
// several 127.0.0.x source addresses; it reports memory per session on
// both sides, the ramp rate and the achieved rate.
func TestComplete100KIntegration(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	levels := f.RunLevels()
	l := levels[len(levels)-1]
	clients, servers, copts := f.layout(l.Sessions)
	// Every session is handed requests in turn: enough for each to be
	// asked about three times during the hold (one slot per session, so
	// the slots that take the hits are the sessions).
	rate := 2 * float64(l.Sessions) / f.hold.Seconds()
	t.Logf("holding %d sessions on %d client and %d server processes from %d source address(es) at %.0f msg/s for %v",
		l.Sessions, clients, servers, max(len(copts.SourceAddrs), 1), rate, f.hold)
	sum := f.run(suite.Context(), t, framework.Scenario{Name: "integration/complete", Sessions: l.Sessions, Rate: rate, Duration: f.hold, Pipeline: 1,
		Workload: echo(), Config: framework.Config{MaxConnections: 200000, CollectionInterval: time.Second}},
		stress.Options{Progress: suite.Progress(t.Name(), rate), OnSample: suite.Observer()})
	answeredAll := 0
	for _, s := range sum.Sessions {
		if s.Answered > 0 {
			answeredAll++
		}
	}
	every := verdict.Check{Expr: fmt.Sprintf("every one of the %d sessions initialised and answered", l.Sessions), Metric: "sessions_answering",
		Measured: float64(answeredAll), Pass: answeredAll == l.Sessions && sum.Ramp.Opened == l.Sessions,
		Detail: fmt.Sprintf("%d opened, %d answered at least once", sum.Ramp.Opened, answeredAll)}
	errs := judge.Undelivered(sum, 0.001)
	tr.Judge(sum, every, errs)
	s := float64(l.Sessions)
	var srvPeak, cliPeak, cliLive float64
	for _, iv := range sum.Intervals {
		if b, ok := judge.ServerRSS(iv.Resources); ok {
			srvPeak = math.Max(srvPeak, float64(b))
		}
		if r := iv.Resources; r != nil {
			cliPeak = math.Max(cliPeak, float64(r.Self.TotalBytes))
			cliLive = math.Max(cliLive, float64(r.Self.LiveHeapBytes))
		}
	}
	ramp := float64(sum.Ramp.Opened) / math.Max(sum.Ramp.Duration.Seconds(), 1e-9)
	tr.KeyMetric("sessions_held", "", float64(sum.Ramp.Opened), report.BetterHigher)
	tr.Metric("ramp_rate", "sessions/s", ramp, report.BetterHigher)
	tr.Metric("server_rss_per_session", "KB", srvPeak/s/1024, report.BetterLower)
	tr.Metric("client_memory_per_session", "KB", cliPeak/s/1024, report.BetterLower)
	tr.Metric("client_live_heap_per_session", "KB", cliLive/s/1024, report.BetterLower)
	tr.Metric("client_processes", "", float64(clients), "")
	tr.Metric("server_processes", "", float64(servers), "")
	tr.Metric("source_addresses", "", float64(max(len(copts.SourceAddrs), 1)), "")
	t.Logf("%d sessions: ramp %.0f sessions/s, %.0f msg/s achieved, server RSS %.1f KB/session, client %.1f KB/session mapped by the Go runtime (%.1f KB live heap)",
		sum.Ramp.Opened, ramp, sum.AchievedRate, srvPeak/s/1024, cliPeak/s/1024, cliLive/s/1024)
}
