//go:build stress

package baseline

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/chaos"
	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/judge"
	"github.com/mcpstress/mcpstress/mcptest"
	"github.com/mcpstress/mcpstress/report"
	"github.com/mcpstress/mcpstress/stress"
)

// recoveryInterval is the recovery run's collection interval: finer than
// the 1 s sliding window, so the window slides in quarter seconds.
const (
	recoveryInterval = 250 * time.Millisecond
	recoverySlide    = time.Second
	recoveryFraction = 0.9
	preDropPeriod    = 2 * time.Second // reference period after the warm-up
)

// proxied puts a chaos proxy in front of target and returns the target
// string that goes through it. stdio targets cannot be proxied.
func proxied(ctx context.Context, target string) (*chaos.Proxy, string, error) {
	if strings.HasPrefix(target, "stdio:") {
		return nil, "", fmt.Errorf("target %s is a stdio process per session: there is no connection to drop", target)
	}
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return nil, "", fmt.Errorf("target %q: cannot find a host:port to proxy", target)
	}
	host := u.Host
	if u.Port() == "" {
		switch u.Scheme {
		case "http":
			host += ":80"
		case "https":
			host += ":443"
		}
	}
	p, err := chaos.NewProxy(ctx, host)
	if err != nil {
		return nil, "", err
	}
	u.Host = p.Addr()
	return p, u.String(), nil
}

func TestBaselineRecoveryTime(t *testing.T) {
	tr := suite.Test(t)
	p := loadFigures(t)
	target := suite.Target()
	if strings.HasPrefix(target, "stdio:") {
		tr.Skip("recovery from dropped connections needs a network target: " + target + " runs a process per session")
	}
	if target == "" {
		srv := mcptest.StartServer(t, mcptest.Options{})
		target = srv.Target()
	}
	proxy, via, err := proxied(suite.Context(), target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = proxy.Close() })

	dropAfter := p.warmup + preDropPeriod
	d := dropAfter + p.recoveryWindow + time.Second
	sc := p.scenario("recovery", d, recoveryInterval)
	sc.Thresholds = nil // judged by recovery alone; the drop's errors are expected
	t.Logf("recovery plan: %d sessions at %.0f/s through a proxy to %s; every connection reset at T+%v; watched for %v; recovered when a %v window reaches %.0f%% of the rate over [T+%v, T+%v)",
		sc.Sessions, sc.Rate, target, dropAfter, p.recoveryWindow, recoverySlide, recoveryFraction*100, p.warmup, dropAfter)

	var mu sync.Mutex
	var drop chaos.FaultEvent
	progress := suite.Progress(t.Name(), sc.Rate)
	sum := stress.RunWith(t, via, sc, stress.Options{
		Context:  suite.Context(),
		NoFail:   true,
		OnSample: suite.Observer(),
		Progress: func(pr framework.Progress) {
			progress(pr)
			mu.Lock()
			defer mu.Unlock()
			if drop.At.IsZero() && pr.Elapsed >= dropAfter {
				drop = proxy.DropAll()
			}
		},
	})
	mu.Lock()
	ev := drop
	mu.Unlock()
	if ev.At.IsZero() {
		tr.Judge(sum)
		t.Fatalf("the run ended before the drop at T+%v (aborted: %q)", dropAfter, sum.Aborted)
	}
	t.Logf("fault: %s at T+%v", ev.Detail, ev.At.Sub(sum.Start).Round(time.Millisecond))

	pts := make([]chaos.RatePoint, len(sum.Intervals))
	for i, s := range sum.Intervals {
		pts[i] = chaos.RatePoint{Start: s.Start, End: s.End, Answered: s.Counts.Answered(), Failed: s.Counts.Errors() + s.Counts.Dropped}
	}
	rec, err := chaos.MeasureRecovery(pts, ev.At, chaos.RecoveryOptions{
		Window: recoverySlide, Fraction: recoveryFraction, BaselineFrom: sum.Start.Add(p.warmup),
	})
	if err != nil {
		tr.Judge(sum)
		t.Fatalf("recovery: %v", err)
	}
	// The reset itself is instantaneous; the band drawn on the charts spans
	// the fault's effect, from the reset until throughput recovered (open
	// when it never did).
	end := time.Time{}
	if rec.Recovered {
		end = ev.At.Add(rec.Time)
	}
	tr.Fault(ev.Kind, ev.At, end, ev.Detail)
	tr.Judge(sum, judge.Recovery(rec, "dropping every connection", p.recoveryMax))
	tr.KeyMetric("recovery_time_s", "s", rec.Time.Seconds(), report.BetterLower)
	tr.Metric("first_interval_back_s", "s", rec.FirstBack.Seconds(), report.BetterLower)
	tr.Metric("pre_drop_rate", "msg/s", rec.PreRate, report.BetterHigher)
	tr.Metric("lowest_rate_after_drop", "msg/s", rec.MinRate, report.BetterHigher)
	tr.Metric("failed_during_recovery", "", float64(rec.FailedDuring), report.BetterLower)
	tr.Metric("connections_reset", "", float64(ev.Conns), "")
	if rec.PreRate > 0 {
		s := report.Series{Name: "rate / pre-drop rate", Unit: "%", Chart: report.ChartRecovery}
		for _, iv := range sum.Intervals {
			s.Points = append(s.Points, report.Point{T: iv.End.Sub(suite.Started()), V: 100 * iv.Throughput / rec.PreRate})
		}
		tr.Series(s)
	}
}
