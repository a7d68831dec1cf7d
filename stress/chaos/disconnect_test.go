//go:build stress

package chaossuite

import (
	"fmt"
	"testing"

	"github.com/mcpstress/mcpstress/chaos"
	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/judge"
	"github.com/mcpstress/mcpstress/report"
	"github.com/mcpstress/mcpstress/stress"
	"github.com/mcpstress/mcpstress/verdict"
)

// disconnections runs the disconnection scenario: every period, the proxy
// resets a seeded fraction of the live connections; reconnect is the
// sessions' backoff.
func disconnections(t *testing.T, tr *stress.T, f figures, e *env, name string, reconnect client.Backoff, count int) (*result, []chaos.Impact) {
	t.Helper()
	fraction := f.param(t, "client_disconnections", "fraction")
	r := run(t, tr, f, e, spec{name: name, total: f.warmup + f.baseline + f.fault + f.recovery, faultAt: f.warmup + f.baseline,
		faultFor: f.fault, timeout: f.timeout, reconnect: reconnect,
		schedule: chaos.Schedule{Seed: 32, Entries: []chaos.Entry{{Name: "disconnect", Fault: chaos.DropFault{Proxy: e.proxy, Fraction: fraction}, Every: f.disconnectEvery, Count: count}}}})
	return r, measureEach(t, f, r, chaos.KindDrop)
}

// TestChaosClientDisconnections is seed scenario 3.2: every
// disconnect_every (the seed's 60 s; scaled by mode) the chaos proxy
// between the clients and the server resets 10% of the live connections
// (chosen with a seeded source); each session whose connection broke
// reconnects by its own backoff (50 ms doubling to 5 s, on its next
// request). Judged: 100% reconnected — the sessions' successful
// reconnects at least the connections reset, and every session connected
// through the proxy at the end of the load — and the throughput lost
// after each drop (the worst 1 s window until the next drop, against the
// pre-fault throughput) < 50%.
func TestChaosClientDisconnections(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	const sc = "client_disconnections"
	lossMax := f.target(t, sc, "throughput_loss_max")
	lossWindow := secs(f.param(t, sc, "loss_window_s"))
	e := setup(t, tr, envOptions{proxy: true})
	t.Logf("plan: %s", f.plan(fmt.Sprintf("%.0f%% of the connections reset every %v (seed: every %gs)", 100*f.param(t, sc, "fraction"), f.disconnectEvery, f.param(t, sc, "every_s"))))

	r, ims := disconnections(t, tr, f, e, "client-disconnections", client.Backoff{}, 0)
	dropped := conns(r.events)
	rc := judge.Reconnected(r.sum.Reconnects, dropped, r.liveAtEnd, f.sessions)
	loss := judge.ThroughputLoss(r.pts, ims, f.disconnectEvery, lossWindow, lossMax)
	tr.Judge(r.sum, rc, loss)
	record(tr, f, r, ims, "disconnections")
	tr.KeyMetric("reconnect_success_pct", "%", rc.Measured, report.BetterHigher)
	tr.Metric("throughput_loss_pct", "%", loss.Measured, report.BetterLower)
	tr.Metric("connections_reset", "", float64(dropped), "")
	tr.Metric("reconnect_attempts", "", float64(r.sum.Reconnects.Attempts), "")
	tr.Metric("reconnects_succeeded", "", float64(r.sum.Reconnects.Succeeded), "")
	tr.Series(liveSeries(r))
}

// TestChaosReconnectCheckFailsWithoutReconnect is the negative control of
// the reconnection check: the same drop with the sessions' reconnect
// disabled (client.Backoff.Disabled) leaves the dropped sessions broken,
// and the check must fail; against our own server, whatever -target says.
func TestChaosReconnectCheckFailsWithoutReconnect(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	f.fault, f.recovery = min(f.fault, f.disconnectEvery, 3*f.window), min(f.recovery, 4*f.window)
	e := setup(t, tr, envOptions{proxy: true, alwaysOwn: true})
	r, _ := disconnections(t, tr, f, e, "reconnect-disabled", client.Backoff{Disabled: true}, 1)
	rc := judge.Reconnected(r.sum.Reconnects, conns(r.events), r.liveAtEnd, f.sessions)
	tr.Judge(r.sum, verdict.Check{Expr: "FAILS with reconnect disabled: " + rc.Expr, Metric: rc.Metric, Unit: rc.Unit,
		Measured: rc.Measured, Pass: rc.Failed() && !rc.Unmeasured(), Detail: rc.String()})
	tr.Series(liveSeries(r))
}

// liveSeries is the proxy's live connections over the run: the drops and
// the reconnections, interval by interval.
func liveSeries(r *result) report.Series {
	s := report.Series{Name: "connections live through the proxy", Unit: "conns"}
	for _, lp := range r.live {
		s.Points = append(s.Points, report.Point{T: lp.At.Sub(suite.Started()), V: float64(lp.Live)})
	}
	return s
}
