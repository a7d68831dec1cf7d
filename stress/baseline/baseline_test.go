//go:build stress

package baseline

import (
	"fmt"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/judge"
	"github.com/mcpstress/mcpstress/report"
	"github.com/mcpstress/mcpstress/stress"
)

// mainRun is the baseline load (the profile's level for the suite's mode),
// run once per process by whichever test asks first and judged by several
// tests.
func mainRun(t *testing.T) (figures, *framework.Summary) {
	t.Helper()
	p := loadFigures(t)
	key := "main/" + string(p.Mode) + "/" + suite.Target()
	sum := stress.Shared(suite, t, key, func(tb testing.TB) *framework.Summary {
		tb.Logf("plan: %s", p.Plan)
		tb.Logf("the main baseline run is shared by TestBaseline150Connections, MessageDistribution, LatencyPercentiles, ErrorRate and MemoryStability; %s runs it", tb.Name())
		sc := p.scenario("main", 0, p.mainInterval())
		return stress.RunWith(tb, suite.Target(), sc, stress.Options{
			Context:  suite.Context(),
			NoFail:   true, // the tests judge it
			Progress: suite.Progress(tb.Name(), sc.Rate), OnSample: suite.Observer(),
		})
	})
	if sum == nil {
		t.Fatal("the main baseline run produced no summary")
	}
	return p, sum
}

func TestBaseline150Connections(t *testing.T) {
	tr := suite.Test(t)
	p, sum := mainRun(t)
	// Judge checks that every session opened and every request is
	// accounted for, as it does for every test judging this run.
	tr.Judge(sum, append(throughputChecks(sum), judge.SessionsOpened(sum, p.level.Sessions))...)
	tab := judge.CollectionPoints(sum, p.warmup)
	tr.Table(tab)
	t.Log(formatTable(tab))
}

func TestBaselineMessageDistribution(t *testing.T) {
	tr := suite.Test(t)
	p, sum := mainRun(t)
	tr.Judge(sum)
	chk, u := distributionCheck(sum, p.distributionAlpha)
	tr.KeyMetric("session_count_cv", "", u.CV, report.BetterLower)
	tr.Metric("session_count_min", "", float64(u.Min), "")
	tr.Metric("session_count_max", "", float64(u.Max), "")
	tr.Metric("distribution_chi_square_p", "", u.PValue, "")
	tr.Metric("distribution_extreme_p", "", u.ExtremePValue, "")
	tr.Check(chk)
}

func TestBaselineLatencyPercentiles(t *testing.T) {
	tr := suite.Test(t)
	_, sum := mainRun(t)
	checks := latencyChecks(sum)
	if len(checks) == 0 {
		t.Fatal("the baseline profile defines no latency ceilings")
	}
	tr.Judge(sum, checks...)
	u := sum.Latency.Uncorrected
	t.Logf("uncorrected (from the actual send): p50 %v p95 %v p99 %v max %v; schedule lag p99 %v",
		u.P50, u.P95, u.P99, u.Max, sum.Latency.Lag.P99)
}

func TestBaselineErrorRate(t *testing.T) {
	tr := suite.Test(t)
	p, sum := mainRun(t)
	tr.Judge(sum, errorChecks(sum, p.level.ErrorRate)...)
}

func TestBaselineMemoryStability(t *testing.T) {
	tr := suite.Test(t)
	p := loadFigures(t)
	if target := suite.Target(); target != "" {
		// Only a server this suite started is a process whose memory it can
		// read; a stdio target is a process per session.
		tr.Skip(fmt.Sprintf("server memory not observable for target %s: it is not a process this suite started", target))
	}
	var sum *framework.Summary
	if p.memoryFromMainRun() {
		_, sum = mainRun(t)
	} else {
		// The main run is too short to leave the server's warm-up behind:
		// a run of its own, memory warm-up plus window, at 500 ms samples.
		d := p.memoryWarmup + p.memoryWindow
		t.Logf("memory plan: the %v main run is shorter than %v of warm-up plus the %v window; running %v of its own",
			p.Duration.D(), p.memoryWarmup, p.memoryWindow, d)
		sum = stress.RunWith(t, suite.Target(), p.scenario("memory", d, 500*time.Millisecond), stress.Options{
			Context: suite.Context(), NoFail: true, Progress: suite.Progress(t.Name(), p.level.Rate), OnSample: suite.Observer(),
		})
	}
	tr.Judge(sum)
	checks, trend := memoryChecks(p, sum, suite.TargetLabel())
	if trend.Samples > 0 {
		tr.Metric("memory_slope_mb_per_s", "MB/s", trend.SlopeMBPerSecond, report.BetterLower)
		tr.KeyMetric("memory_growth_extrapolated_mb", "MB", trend.GrowthMB, report.BetterLower)
		tr.Metric("memory_samples", "", float64(trend.Samples), "")
	}
	for _, c := range checks {
		tr.Check(c)
	}
	// The growth criterion is the test: if it could not be judged the test
	// is skipped with the reason, never passed.
	if growth := checks[0]; growth.Skipped() {
		tr.Skip(growth.Skip)
	}
}
