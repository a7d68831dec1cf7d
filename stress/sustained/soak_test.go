//go:build stress

package sustained

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/framework/profile"
	"github.com/mcpstress/mcpstress/judge"
	"github.com/mcpstress/mcpstress/mcptest"
	"github.com/mcpstress/mcpstress/regression"
	"github.com/mcpstress/mcpstress/report"
	"github.com/mcpstress/mcpstress/stress"
	"github.com/mcpstress/mcpstress/verdict"
)

// figures is the sustained profile resolved for the suite's mode.
type figures struct {
	profile.Plan
	level           profile.Level
	warmup          time.Duration // phase warmup: load before memory is judged
	snapshot        time.Duration // phase snapshot: the seed's hourly snapshot, scaled
	ceilingFor      time.Duration // phase ceiling
	ceilingFraction float64
	perClient       int
	perServer       int
	memPerHour      float64 // memory_growth_mb_per_hour_after_warmup (50)
	mem24h          float64 // memory_growth_mb_max_24h (500)
	clientPerHour   float64 // client_memory_growth_mb_per_hour_max
	errorMax        float64 // error_rate_max
	p95Variation    time.Duration
	trendAlpha      float64
	leakFactor      float64
	quickGOGC       float64 // quick_server_gogc
}

func loadFigures(tb testing.TB) figures {
	tb.Helper()
	pl := suite.Plan(tb)
	levels := pl.RunLevels()
	if len(levels) != 1 {
		tb.Fatalf("sustained profile: want one level, got %d", len(levels))
	}
	p := pl.Profile
	return figures{Plan: pl, level: levels[0],
		warmup: stress.Phase(tb, pl, "warmup"), snapshot: stress.Phase(tb, pl, "snapshot"), ceilingFor: stress.Phase(tb, pl, "ceiling"),
		ceilingFraction: stress.Criterion(tb, p, "ceiling_fraction"),
		perClient:       int(stress.Criterion(tb, p, "sessions_per_client_process")),
		perServer:       int(stress.Criterion(tb, p, "sessions_per_server_process")),
		memPerHour:      stress.Criterion(tb, p, "memory_growth_mb_per_hour_after_warmup"),
		mem24h:          stress.Criterion(tb, p, "memory_growth_mb_max_24h"),
		clientPerHour:   stress.Criterion(tb, p, "client_memory_growth_mb_per_hour_max"),
		errorMax:        stress.Criterion(tb, p, "error_rate_max"),
		p95Variation:    time.Duration(stress.Criterion(tb, p, "p95_variation_ms_max") * float64(time.Millisecond)),
		trendAlpha:      stress.Criterion(tb, p, "trend_alpha"),
		leakFactor:      stress.Criterion(tb, p, "leak_control_factor"),
		quickGOGC:       stress.Criterion(tb, p, "quick_server_gogc"),
	}
}

// serverOptions are the embedded server's: in quick mode with a low GOGC,
// so that its GC cycles (and so the end of its memory warm-up) fit a soak
// of seconds; the plan says so.
func (f figures) serverOptions() mcptest.Options {
	var o mcptest.Options
	if f.Mode == profile.ModeQuick && f.quickGOGC > 0 {
		o.Env = []string{fmt.Sprintf("GOGC=%d", int(f.quickGOGC))}
	}
	return o
}

// interval is the collection interval: the seed's 1 s, shorter in short
// runs so a quick soak still has enough points for its trend tests.
func (f figures) interval() time.Duration {
	return min(max(f.Duration.D()/40, 100*time.Millisecond), time.Second)
}

// soak is the one soak run the suite's tests judge.
type soak struct {
	Run         *framework.Summary
	CeilingRate float64
	Offered     float64
	SeedBeyond  bool
	Servers     int
	Clients     int
	// ServerGC holds the servers' /stats GC figures at each snapshot (nil
	// for a server this suite did not start).
	ServerGC []gcPoint
}

type gcPoint struct {
	At time.Time
	GC []mcptest.GCStats // one per server process
}

// runSoak holds the peak level's sessions for the mode's duration, once per
// process.
func runSoak(t *testing.T, f figures) *soak {
	t.Helper()
	return stress.Shared(suite, t, "soak/"+string(f.Mode)+"/"+suite.Target(), func(tb testing.TB) *soak {
		s := &soak{}
		l := f.level
		s.Clients, s.Servers = stress.Layout(l.Sessions, f.perClient, f.perServer)
		ceil := stress.Ceiling{Name: "sustained/ceiling", Sessions: l.Sessions, Clients: s.Clients, Servers: s.Servers,
			Duration: f.ceilingFor, Interval: f.interval(), Context: suite.Context()}.Measure(tb)
		ceil = stress.Whole(tb, ceil) // a shard sets its rate from the whole ceiling, as every shard does
		s.CeilingRate, s.Offered = ceil.AchievedRate, l.Rate
		if limit := f.ceilingFraction * s.CeilingRate; l.Rate > limit {
			s.Offered, s.SeedBeyond = math.Max(1, math.Floor(limit)), true
		}
		sc := f.Scenario(l, workload())
		sc.Name = "sustained/soak"
		sc.Rate, sc.Duration, sc.Pipeline = s.Offered, f.Duration.D(), max(l.Slots, 4)
		sc.Config.CollectionInterval = f.interval()
		sc.Thresholds = []string{fmt.Sprintf("throughput >= %.0f/s", 0.9*s.Offered),
			fmt.Sprintf("error_rate < %g%%", 100*f.errorMax), fmt.Sprintf("drop_rate < %g%%", 100*f.errorMax)}
		tb.Logf("soak: %d sessions on %d client and %d server process(es) at %.0f msg/s for %v (ceiling %.0f msg/s; seed %.0f msg/s%s)",
			l.Sessions, s.Clients, s.Servers, s.Offered, sc.Duration, s.CeilingRate, l.Rate, map[bool]string{true: ", beyond this machine"}[s.SeedBeyond])

		opts := stress.Options{Context: suite.Context(), NoFail: true, Shards: s.Clients,
			ShardDir: filepath.Join(suite.ReportDir(), "soak-shards"),
			Progress: suite.Progress(tb.Name(), sc.Rate), OnSample: suite.Observer()}
		var gw *gcWatch
		target := suite.Target()
		if target == "" {
			opts.Servers = stress.StartServers(tb, f.serverOptions(), s.Servers)
			gw = watchGC(tb, opts.Servers, min(f.snapshot, time.Second))
		}
		s.Run = stress.RunWith(tb, target, sc, opts)
		if gw != nil {
			s.ServerGC = gw.Points()
		}
		return s
	})
}

// gcWatch reads the /stats GC figures of servers this suite started,
// every period, while a run goes.
type gcWatch struct {
	mu     sync.Mutex
	points []gcPoint
	stop   func()
}

func watchGC(tb testing.TB, srvs []*mcptest.Server, every time.Duration) *gcWatch {
	w := &gcWatch{}
	ctx, cancel := context.WithCancel(suite.Context())
	var wg sync.WaitGroup
	read := func() {
		p := gcPoint{At: time.Now()}
		for _, srv := range srvs {
			c, cancel := context.WithTimeout(ctx, 2*time.Second)
			st, err := srv.Stats(c)
			cancel()
			if err != nil {
				if ctx.Err() == nil {
					tb.Logf("server /stats: %v (no GC point at %s)", err, p.At.Format(time.StampMilli))
				}
				return // a server that does not answer /stats has no point here
			}
			p.GC = append(p.GC, st.GC)
		}
		w.mu.Lock()
		w.points = append(w.points, p)
		w.mu.Unlock()
	}
	wg.Go(func() {
		read()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				read()
			}
		}
	})
	w.stop = func() { cancel(); wg.Wait() }
	return w
}

// Points stops the watch and returns its readings, in time order.
func (w *gcWatch) Points() []gcPoint {
	w.stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.points
}

// cycles is the servers' GC cycles at one reading, summed.
func (p gcPoint) cycles() uint64 {
	var n uint64
	for _, g := range p.GC {
		n += g.Cycles
	}
	return n
}

// warmupEnd is when a run's memory is judged from: after the mode's
// warm-up, and, where the server's GC is known, after its second GC cycle
// under load. Until then its RSS climbs toward its first heap goal (minutes
// at 15,000 sessions), which a slope cannot tell from a leak. ok is false
// when the run never got there.
func warmupEnd(pts []gcPoint, loadStart time.Time, warmup time.Duration) (end time.Time, why string, ok bool) {
	end = loadStart.Add(warmup)
	if len(pts) == 0 {
		return end, fmt.Sprintf("after the %v warm-up", warmup), true
	}
	base := pts[0].cycles()
	for _, p := range pts {
		if !p.At.After(loadStart) {
			base = p.cycles()
		}
	}
	for _, p := range pts {
		if p.At.After(loadStart) && p.cycles() >= base+2 {
			if p.At.After(end) {
				return p.At, fmt.Sprintf("after the server's second GC cycle under load, %v into the load (the %v warm-up was shorter)", p.At.Sub(loadStart).Round(time.Second), warmup), true
			}
			return end, fmt.Sprintf("after the %v warm-up (the server's second GC cycle under load came before it)", warmup), true
		}
	}
	return time.Time{}, fmt.Sprintf("the server ran fewer than 2 GC cycles under load (%d in all): its RSS was still filling toward its first heap goal, which no slope can tell from a leak; run longer", pts[len(pts)-1].cycles()-base), false
}

// workload is the seed's message: a small echo tool call.
func workload() framework.Workload {
	return framework.Workload{Ops: []framework.Operation{framework.CallTool("echo", map[string]any{"message": "soak"})}}
}

// snapshots cuts the run into the seed's snapshots (hourly, or the mode's
// snapshot phase): each a window of intervals, aggregated.
type snap struct {
	At              time.Duration
	W               judge.Window
	P95, P99        time.Duration
	ErrorRate       float64
	ServerCPU       float64
	ClientCPU       float64
	ClientHeapMB    float64
	ClientGCP99     time.Duration
	ServerGCPauses  uint64
	ServerGCP99     time.Duration
	ServerGCPresent bool
}

func snapshots(s *soak, every time.Duration) []snap {
	sum := s.Run
	var out []snap
	for at := every; at <= sum.LoadDuration+every/2; at += every {
		from, to := sum.Start.Add(at-every), sum.Start.Add(min(at, sum.LoadDuration))
		w := judge.Aggregate(sum.Intervals, from, to)
		sp := snap{At: min(at, sum.LoadDuration), W: w, ErrorRate: math.NaN()}
		if w.Hist.TotalCount() > 0 {
			sp.P95 = time.Duration(w.Hist.ValueAtQuantile(95)) * time.Microsecond
			sp.P99 = time.Duration(w.Hist.ValueAtQuantile(99)) * time.Microsecond
		}
		if ended := w.Answered + w.Errors; ended > 0 {
			sp.ErrorRate = float64(w.Errors) / float64(ended)
		}
		var n int
		for _, iv := range sum.Intervals {
			if !iv.End.After(from) || iv.End.After(to) || iv.Resources == nil {
				continue
			}
			n++
			sp.ClientCPU += iv.Resources.Self.CPUPercent
			sp.ClientHeapMB = float64(iv.Resources.Self.HeapBytes) / (1 << 20)
			sp.ClientGCP99 = max(sp.ClientGCP99, iv.Resources.Self.GCPauseP99)
			if sv := iv.Resources.Server; sv != nil && sv.Err == "" {
				sp.ServerCPU += sv.CPUPercent
			}
		}
		if n > 0 {
			sp.ClientCPU /= float64(n)
			sp.ServerCPU /= float64(n)
		}
		sp.ServerGCPauses, sp.ServerGCP99, sp.ServerGCPresent = serverGCBetween(s.ServerGC, from, to)
		out = append(out, sp)
	}
	return out
}

// serverGCBetween is the servers' GC pauses between the /stats readings
// nearest from and to: their count and the p99 of the difference of the
// runtime's pause histograms.
func serverGCBetween(pts []gcPoint, from, to time.Time) (n uint64, p99 time.Duration, ok bool) {
	var a, b *gcPoint
	for i := range pts { // in time order
		if a == nil || !pts[i].At.After(from) {
			a = &pts[i] // the last reading at or before from (else the first)
		}
		if b == nil && !pts[i].At.Before(to) {
			b = &pts[i] // the first reading at or after to
		}
	}
	if b == nil && len(pts) > 0 {
		b = &pts[len(pts)-1]
	}
	if a == nil || b == nil || a == b || len(a.GC) != len(b.GC) {
		return 0, 0, false
	}
	var counts []uint64
	var buckets []float64
	for k := range b.GC {
		x, y := a.GC[k], b.GC[k]
		if len(x.PauseCounts) != len(y.PauseCounts) {
			return 0, 0, false
		}
		if counts == nil {
			counts, buckets = make([]uint64, len(y.PauseCounts)), y.PauseBuckets
		}
		for i := range y.PauseCounts {
			counts[i] += y.PauseCounts[i] - x.PauseCounts[i]
		}
	}
	for _, c := range counts {
		n += c
	}
	if n == 0 {
		return 0, 0, true
	}
	rank := (n*99 + 99) / 100
	var seen uint64
	for i, c := range counts {
		seen += c
		if seen >= rank {
			return n, time.Duration(buckets[i] * float64(time.Second)), true
		}
	}
	return n, 0, true
}

func snapshotTable(sn []snap) report.Table {
	t := report.Table{Title: "snapshots (the seed's hourly figures, per the mode's snapshot phase)",
		Columns: []string{"t", "msg/s", "p95 ms", "p99 ms", "errors", "error rate", "server RSS MB", "server CPU %", "server GC pauses", "server GC p99 ms", "client heap MB", "client CPU %", "client GC p99 ms"}}
	f := func(v float64) string {
		if math.IsNaN(v) {
			return "n/a"
		}
		return fmt.Sprintf("%.2f", v)
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }
	for _, s := range sn {
		rate := math.NaN()
		if s.W.Span > 0 {
			rate = float64(s.W.Answered) / s.W.Span.Seconds()
		}
		gcN, gcP := "n/a (not our server)", "n/a"
		if s.ServerGCPresent {
			gcN, gcP = fmt.Sprint(s.ServerGCPauses), ms(s.ServerGCP99)
		}
		t.Rows = append(t.Rows, []string{s.At.Round(time.Millisecond).String(), f(rate), ms(s.P95), ms(s.P99), fmt.Sprint(s.W.Errors),
			f(100 * s.ErrorRate), f(s.W.RSSMB), f(s.ServerCPU), gcN, gcP, f(s.ClientHeapMB), f(s.ClientCPU), ms(s.ClientGCP99)})
	}
	return t
}

func TestSustained24HourSoak(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	s := runSoak(t, f)
	sum := s.Run
	checks := judge.Thresholds(sum)
	// Sessions held the whole time: no session lost its connection.
	checks = append(checks, verdict.Check{Expr: "sessions held the whole soak (no transport error)", Metric: "transport_errors",
		Measured: float64(sum.Counts.TransportError), Pass: sum.Counts.TransportError == 0 && sum.Ramp.Opened == f.level.Sessions,
		Detail: fmt.Sprintf("%d of %d sessions opened; %d transport errors", sum.Ramp.Opened, f.level.Sessions, sum.Counts.TransportError)})
	// No unhandled crash: every server process is alive at the end.
	if end := sum.ResourcesEnd; end != nil && end.Server != nil {
		checks = append(checks, verdict.Check{Expr: fmt.Sprintf("no server crash: %d of %d server processes alive at the end", end.Server.Processes, s.Servers),
			Metric: "server_processes", Measured: float64(end.Server.Processes), Pass: end.Server.Processes == s.Servers, Detail: end.Server.Err})
	}
	if s.SeedBeyond {
		checks = append(checks, verdict.Check{Expr: fmt.Sprintf("throughput >= %.0f/s (the seed's 90%% of %.0f/s)", 0.9*f.level.Rate, f.level.Rate),
			Metric: "throughput", Unit: "msg/s", Measured: sum.AchievedRate,
			Skip: fmt.Sprintf("beyond this machine: its ceiling at %d sessions is %.0f/s (raw echo, same layout); the soak was offered %.0f/s (%.0f%% of it)",
				f.level.Sessions, s.CeilingRate, s.Offered, 100*f.ceilingFraction)})
	}
	tr.Judge(sum, checks...)
	tr.Metric("ceiling_rate", "msg/s", s.CeilingRate, report.BetterHigher)
	tr.Metric("soak_hours", "h", sum.LoadDuration.Hours(), "")
	tr.KeyMetric("soak_duration_s", "s", sum.LoadDuration.Seconds(), "")
	tab := judge.CollectionPoints(sum, f.warmup)
	tr.Table(tab)
	sn := snapshots(s, f.snapshot)
	tr.Table(snapshotTable(sn))
}

func TestSustainedMemoryStability(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	s := runSoak(t, f)
	sum := s.Run
	checks, server := memoryChecks(f, sum, s.ServerGC, suite.TargetLabel())
	cc, client := clientHeapCheck(f, sum)
	if f.Mode == profile.ModeQuick {
		// The live heap moves only when a GC ends: in the quick minute
		// the generator's processes (15,000 sessions, 150–180 MB live)
		// collected a few times, and the fit over those few steps read
		// −295 and +286 MB/h in two healthy runs.
		cc = cc.ReportedOnly("in quick mode: the live heap changes only at a GC, and a minute holds a few of them")
	}
	checks = append(checks, cc)
	tr.Judge(sum, checks...)
	if server.Samples > 0 {
		tr.KeyMetric("server_memory_slope_mb_per_hour", "MB/h", server.SlopeMBPerHour, report.BetterLower)
		tr.Metric("server_memory_slope_lo_mb_per_hour", "MB/h", server.Lo, "")
		tr.Metric("server_memory_slope_hi_mb_per_hour", "MB/h", server.Hi, "")
		tr.Metric("server_memory_trend_p", "", server.TrendP, "")
	}
	if client.Samples > 0 {
		tr.Metric("client_heap_slope_mb_per_hour", "MB/h", client.SlopeMBPerHour, report.BetterLower)
	}
	tr.Series(memorySeries(sum))
}

// clientHeapCheck: the generator's own live heap (this process's, summed
// with its shards') after warm-up, against client_memory_growth_mb_per_hour_max;
// too few GCs in the window is no data (judge.ClientHeapGrowth).
func clientHeapCheck(f figures, sum *framework.Summary) (verdict.Check, judge.Growth) {
	g, err := judge.ClientHeapGrowth("client live heap", sum.Intervals, sum.Start.Add(f.warmup), time.Time{})
	return judge.GrowthCheck(fmt.Sprintf("the library's own heap stays flat: growth after warm-up <= %g MB/h", f.clientPerHour), g, err, f.clientPerHour, "the test process"), g
}

// memoryChecks: the server's RSS growth after warm-up (warmupEnd) against
// the seed's 50 MB/h and, projected, its 500 MB over 24 h.
func memoryChecks(f figures, sum *framework.Summary, gc []gcPoint, target string) ([]verdict.Check, judge.Growth) {
	from, why, ok := warmupEnd(gc, sum.Start, f.warmup)
	g, err := judge.RobustGrowth("server RSS", sum.Intervals, from, time.Time{}, judge.ServerRSS)
	if !ok {
		err = fmt.Errorf("%s", why)
	}
	checks := []verdict.Check{
		judge.GrowthCheck(fmt.Sprintf("server memory growth after warm-up <= %g MB/h", f.memPerHour), g, err, f.memPerHour, target),
		judge.ProjectionCheck(fmt.Sprintf("server memory growth over 24 h <= %g MB (slope after warm-up, projected)", f.mem24h), g, err, 24*time.Hour, f.mem24h, target),
	}
	for i := range checks {
		if !checks[i].Skipped() && !checks[i].NoData {
			checks[i].Detail = "judged " + why + "; " + checks[i].Detail
		}
	}
	if f.Mode == profile.ModeQuick {
		// 24 h from a minute of slope: the Go runtime's own growth of
		// 0.3 MB in 15 s (50 MB/h, a healthy server in a CI run) projected
		// to 1,200 MB; over the quick minute healthy runs project
		// 131–181 MB, not yet shown in CI. The rate itself stays judged,
		// with its leak control.
		checks[1] = checks[1].ReportedOnly("in quick mode: a 24 h projection from a minute of slope judges the runtime's own growth")
	}
	return checks, g
}

// memorySeries is the client's heap over the soak, beside the server's RSS
// that the run's own memory chart shows.
func memorySeries(sum *framework.Summary) report.Series {
	s := report.Series{Name: "client heap (the library's own)", Unit: "MB", Chart: report.ChartMemory}
	for _, iv := range sum.Intervals {
		if iv.Resources != nil {
			s.Points = append(s.Points, report.Point{T: iv.End.Sub(suite.Started()), V: float64(iv.Resources.Self.HeapBytes) / (1 << 20)})
		}
	}
	return s
}

func TestSustainedErrorRateStability(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	s := runSoak(t, f)
	checks, worst := errorStability(f, s.Run, snapshots(s, f.snapshot))
	tr.Judge(s.Run, checks...)
	tr.KeyMetric("worst_snapshot_error_rate", "%", 100*worst, report.BetterLower)
}

// errorStability: the error rate of every snapshot under the seed's 0.1%,
// and no rising trend over the per-interval error rates (a rise the
// snapshots' ceiling would only catch once it crossed it).
func errorStability(f figures, sum *framework.Summary, sn []snap) ([]verdict.Check, float64) {
	worst, judged := 0.0, 0
	for _, sp := range sn {
		if !math.IsNaN(sp.ErrorRate) {
			judged++
			worst = max(worst, sp.ErrorRate)
		}
	}
	every := verdict.Check{Expr: fmt.Sprintf("error rate < %g%% in every snapshot", 100*f.errorMax), Metric: "error_rate", Unit: "%",
		Measured: 100 * worst, Pass: worst < f.errorMax, Detail: fmt.Sprintf("worst of %d snapshots of %v", judged, f.snapshot)}
	if judged == 0 {
		every.NoData, every.Measured = true, math.NaN()
	}
	var rates []float64
	for _, iv := range sum.Intervals {
		if ended := iv.Counts.OK + iv.Counts.Errors(); ended > 0 {
			rates = append(rates, float64(iv.Counts.Errors())/float64(ended))
		}
	}
	trend := verdict.Check{Expr: fmt.Sprintf("no rising error-rate trend (Mann–Kendall, alpha %g)", f.trendAlpha), Metric: "error_rate_trend_p"}
	if mk, err := regression.MannKendall(rates); constant(rates) && len(rates) >= regression.MinTrendPoints {
		trend.Measured, trend.Pass = 1, true
		trend.Detail = fmt.Sprintf("%d intervals, every one at %.3g%%: no trend", len(rates), 100*rates[0])
	} else if err != nil {
		trend.NoData, trend.Measured, trend.Detail = true, math.NaN(), err.Error()
	} else {
		trend.Measured = mk.P
		trend.Pass = !(mk.P < f.trendAlpha && mk.Tau > 0)
		trend.Detail = fmt.Sprintf("%d intervals, tau %.3f, p %.3g", len(rates), mk.Tau, mk.P)
	}
	return []verdict.Check{every, trend}, worst
}

func TestSustainedLatencyStability(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	s := runSoak(t, f)
	chk := latencyStability(f, snapshots(s, f.snapshot))
	tr.Judge(s.Run, chk)
	if !chk.Unmeasured() {
		tr.KeyMetric("p95_variation_ms", "ms", chk.Measured, report.BetterLower)
	}
}

// latencyStability: the p95 of every snapshot after warm-up within the
// seed's ±20 ms of the typical (median) snapshot p95. A snapshot that
// began during the warm-up is left out (in a CI run the one straddling its
// end had a p95 of 24 ms against 1.5 ms after, and with only two the
// "typical" value was that one).
func latencyStability(f figures, sn []snap) verdict.Check {
	var p95s []float64
	for _, sp := range sn {
		if sp.At-f.snapshot < f.warmup {
			continue // the seed judges variation after stabilisation
		}
		if sp.W.Hist.TotalCount() > 0 {
			p95s = append(p95s, float64(sp.P95))
		}
	}
	chk := verdict.Check{Expr: fmt.Sprintf("p95 within ±%v of its typical value in every snapshot after the %v warm-up", f.p95Variation, f.warmup), Metric: "p95_variation", Unit: "ms"}
	if len(p95s) < 2 {
		chk.NoData, chk.Measured, chk.Detail = true, math.NaN(), fmt.Sprintf("%d snapshots with answers after warm-up: need 2", len(p95s))
		return chk
	}
	sorted := append([]float64(nil), p95s...)
	sort.Float64s(sorted)
	med := sorted[len(sorted)/2]
	dev := 0.0
	for _, v := range p95s {
		dev = max(dev, math.Abs(v-med))
	}
	chk.Measured = dev / float64(time.Millisecond)
	chk.Pass = time.Duration(dev) <= f.p95Variation
	parts := make([]string, len(p95s))
	for i, v := range p95s {
		parts[i] = fmt.Sprintf("%.1f", v/float64(time.Millisecond))
	}
	chk.Detail = fmt.Sprintf("snapshot p95s %s ms; typical (median) %.1f ms; largest deviation %.1f ms", strings.Join(parts, ", "), med/float64(time.Millisecond), dev/float64(time.Millisecond))
	return chk
}

// constant reports whether every value is the same.
func constant(v []float64) bool {
	for _, x := range v {
		if x != v[0] {
			return false
		}
	}
	return len(v) > 0
}
