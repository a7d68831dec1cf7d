//go:build stress

package chaossuite

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/chaos"
	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/judge"
	"github.com/mcpstress/mcpstress/mcptest"
	"github.com/mcpstress/mcpstress/stress"
)

// env is where a scenario's load goes: the server (ours, started here,
// or the suite's -target) and, for network faults, a chaos proxy in front
// of it that the client dials instead.
type env struct {
	upstream string            // the server's target string
	dial     string            // what the client dials: the proxy's address when there is one
	proxy    *chaos.Proxy      // nil without network faults
	servers  []*mcptest.Server // the server's processes when this suite started it
	framing  chaos.Framing
}

// envOptions say what a scenario needs of its server.
type envOptions struct {
	proxy     bool // network faults: the load goes through a chaos proxy
	ownServer bool // process faults: only on a server this suite started
	processes int  // the reference server's processes (SO_REUSEPORT), when started here
	alwaysOwn bool // a negative control: our server whatever -target says
}

// setup resolves the scenario's server and proxy, or skips the test with
// the reason when the target cannot take the scenario's faults.
func setup(t *testing.T, tr *stress.T, o envOptions) *env {
	t.Helper()
	e := &env{}
	target := suite.Target()
	if o.alwaysOwn {
		target = ""
	}
	switch {
	case target == "":
		e.servers = stress.StartServers(t, mcptest.Options{}, max(o.processes, 1))
		target = e.servers[0].Target()
	case o.ownServer:
		tr.Skip(fmt.Sprintf("process faults act only on a server this suite started (a child of the test process); target %s is not one", target))
	case strings.HasPrefix(target, "stdio:") && o.proxy:
		tr.Skip("network faults need a network target: " + target + " runs a process per session, with no connection to fault")
	}
	e.upstream, e.dial = target, target
	if strings.HasPrefix(target, "http") {
		e.framing = chaos.HTTPFrames
	}
	if o.proxy {
		u, err := url.Parse(target)
		if err != nil || u.Host == "" {
			t.Fatalf("target %q: cannot find a host:port to proxy", target)
		}
		host := u.Host
		if u.Port() == "" {
			host += map[string]string{"http": ":80", "https": ":443"}[u.Scheme]
		}
		p, err := chaos.NewProxy(suite.Context(), host)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.Close() })
		u.Host = p.Addr()
		e.proxy, e.dial = p, u.String()
	}
	return e
}

// pids are the server's processes at the start (sampled; a killed one
// drops out of the samples, a restarted one is not followed).
func (e *env) pids() []int {
	var out []int
	for _, s := range e.servers {
		out = append(out, s.PID())
	}
	return out
}

// detections keeps, for every attempt that timed out (a lost message the
// client detected), when the timeout was noticed and how long after the
// attempt's send: the figures of the message-loss checks. It is the run's
// framework.RunOptions.OnAttempt.
type detections struct {
	mu sync.Mutex
	d  []detection
}

type detection struct {
	At time.Time     // when the timeout was noticed
	D  time.Duration // from the attempt's send to then
}

func (s *detections) observe(a framework.Attempt) {
	if a.Outcome != client.Timeout || a.Sent.IsZero() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, detection{At: a.Ended, D: a.Ended.Sub(a.Sent)})
}

// within returns the detections noticed in [from, to), shortest first.
func (s *detections) within(from, to time.Time) []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []time.Duration
	for _, d := range s.d {
		if !d.At.Before(from) && d.At.Before(to) {
			out = append(out, d.D)
		}
	}
	slices.Sort(out)
	return out
}

// spec is one scenario's run: its name, the schedule of faults started
// after the warm-up and the pre-fault reference (faultFor long), the run's
// total length, the request timeout, retries and reconnect backoff.
type spec struct {
	name     string
	total    time.Duration // the load
	faultAt  time.Duration // from the load's start
	faultFor time.Duration // the schedule's length
	schedule chaos.Schedule
	timeout  time.Duration // the engine's message timeout (per request, retries included)
	// contain is the scenario's bounded retries (nil: none): a request
	// whose attempt is not answered within AttemptTimeout is sent again
	// with a new id, so a request the engine records as failed is one
	// that failed for good, after every retry (an unrecovered loss).
	contain   *framework.Containment
	reconnect client.Backoff
	// clientPipeline is the requests one session may have on the wire;
	// 0 means the scenario's pipeline (every slot can be on the wire).
	clientPipeline int
}

// result is a scenario's run with its faults.
type result struct {
	sum        *framework.Summary
	events     []chaos.FaultEvent
	faultStart time.Time // when the schedule started (zero if it never did)
	pts        []chaos.RatePoint
	detected   *detections // the attempts that timed out
	liveAtEnd  int         // the proxy's live connections at the last interval of the load (-1: no proxy)
	live       []livePoint
}

type livePoint struct {
	At   time.Time
	Live int
}

// run drives the scenario through e while its schedule injects the
// faults, records every fault on the test's timeline, and judges nothing:
// the test does. A run that never reached its faults fails the test.
func run(t *testing.T, tr *stress.T, f figures, e *env, sp spec) *result {
	t.Helper()
	copts := client.Options{Timeout: sp.timeout, Pipeline: f.pipeline, Reconnect: sp.reconnect, Seed: 1}
	if sp.clientPipeline > 0 {
		copts.Pipeline = sp.clientPipeline
	}
	tg, err := client.ParseTarget(e.dial, copts)
	if err != nil {
		t.Fatal(err)
	}
	res := &result{detected: &detections{}, liveAtEnd: -1}
	sc := framework.Scenario{Name: "chaos/" + sp.name, Sessions: f.sessions, Rate: f.rate, Pipeline: f.pipeline, Duration: sp.total,
		Workload: workload(), Containment: sp.contain, Config: framework.Config{CollectionInterval: f.interval, MessageTimeout: sp.timeout}}

	ctx, cancel := runContext(t)
	defer cancel()
	schedCtx, stopSched := context.WithCancel(ctx)
	defer stopSched()
	var (
		mu       sync.Mutex
		started  bool
		wg       sync.WaitGroup
		schedErr error
	)
	progress := suite.Progress(t.Name(), f.rate)
	sum, err := framework.Run(ctx, tg, sc, framework.RunOptions{
		ServerPIDs: e.pids(), Logf: t.Logf, OnSample: suite.Observer(), OnAttempt: res.detected.observe,
		Progress: func(p framework.Progress) {
			progress(p)
			if testing.Verbose() {
				t.Logf("%s: %s", sc.Name, p)
			}
			mu.Lock()
			defer mu.Unlock()
			if e.proxy != nil {
				res.live = append(res.live, livePoint{At: p.Interval.End, Live: e.proxy.Live()})
			}
			if !started && p.Elapsed >= sp.faultAt && len(sp.schedule.Entries) > 0 {
				started, res.faultStart = true, time.Now()
				wg.Go(func() {
					evs, err := sp.schedule.Run(schedCtx, sp.faultFor, func(ev chaos.FaultEvent) {
						t.Logf("fault: %s at +%v for %v: %s", ev.Kind, ev.At.Sub(res.faultStart).Round(time.Millisecond), ev.Duration().Round(time.Millisecond), ev.Detail)
					})
					mu.Lock()
					res.events, schedErr = evs, err
					mu.Unlock()
				})
			}
		},
	})
	stopSched()
	wg.Wait()
	if sum == nil {
		t.Fatalf("%s: %v", sc.Name, err)
	}
	res.sum, res.pts = sum, judge.RatePoints(sum.Intervals)
	c := sum.Counts
	t.Logf("%s: %d scheduled: %d ok, %d transport errors, %d timeouts, %d rpc errors, %d dropped, %d cancelled; reconnects %d of %d attempts; corrected p99 %v",
		sc.Name, sum.Scheduled, c.OK, c.TransportError, c.Timeout, c.RPCError, c.Dropped, c.Cancelled, sum.Reconnects.Succeeded, sum.Reconnects.Attempts, sum.Latency.Corrected.P99)
	for _, ev := range res.events {
		tr.Fault(ev.Kind, ev.At, ev.End, ev.Detail)
	}
	if schedErr != nil {
		t.Errorf("%s: the fault schedule: %v", sc.Name, schedErr)
	}
	for _, lp := range res.live {
		if !lp.At.After(sum.Start.Add(sum.LoadDuration)) {
			res.liveAtEnd = lp.Live
		}
	}
	if len(sp.schedule.Entries) > 0 && len(res.events) == 0 {
		tr.Judge(sum)
		t.Fatalf("%s: the run ended before its faults at +%v (aborted: %q)", sc.Name, sp.faultAt, sum.Aborted)
	}
	return res
}

// runContext bounds a run by the suite's context and the test's
// deadline, with a margin for the summary.
func runContext(t *testing.T) (context.Context, context.CancelFunc) {
	dl, ok := t.Deadline()
	if !ok {
		return context.WithCancel(suite.Context())
	}
	margin := min(max(time.Until(dl)/20, time.Second), 30*time.Second)
	return context.WithDeadlineCause(suite.Context(), dl.Add(-margin), errors.New("the test's deadline (go test -timeout) is near"))
}

// measure measures one event's impact from the run's points: the
// reference is the pre-fault period [warm-up end, fault start) — so a
// later injection is compared with the undisturbed service, not with the
// tail of the previous one — and the series is watched until until (the
// next injection, or the end): a point that the next injection falls into
// is the next one's (else a crash that the service absorbed would be
// "detected" by the next crash, and its recovery sought only after that),
// unless this one falls into it too (faults injected together).
func measure(t *testing.T, f figures, r *result, ev chaos.FaultEvent, until time.Time) chaos.Impact {
	t.Helper()
	// The whole points of the load only: the intervals of the graceful stop
	// have no new requests, and a partial one's rate is noise; either would
	// read as a collapse.
	loadEnd := r.sum.Start.Add(r.sum.LoadDuration + f.interval/2)
	var pts []chaos.RatePoint
	for _, p := range r.pts {
		if p.End.After(loadEnd) {
			break
		}
		if p.End.Sub(p.Start) < f.interval/2 {
			continue // a partial interval (the load's last): its rate is noise
		}
		ref := !p.Start.Before(r.sum.Start.Add(f.warmup)) && !p.End.After(r.faultStart)
		watched := p.End.After(ev.At) && (until.IsZero() || !p.End.After(until) || !p.Start.After(ev.At))
		if ref || watched {
			pts = append(pts, p)
		}
	}
	m, err := chaos.MeasureImpact(pts, ev, f.impactOptions(r.sum.Start))
	if err != nil {
		t.Fatalf("measuring %s at %s: %v", ev.Kind, ev.At.Format(time.StampMilli), err)
	}
	t.Logf("impact: %s", m)
	return m
}

// measureEach measures every event of kind, each watched until the next
// one of any kind starts (or the end of the run).
func measureEach(t *testing.T, f figures, r *result, kind string) []chaos.Impact {
	t.Helper()
	var out []chaos.Impact
	for i, ev := range r.events {
		if ev.Kind != kind {
			continue
		}
		var until time.Time
		if i+1 < len(r.events) {
			until = r.events[i+1].At
		}
		out = append(out, measure(t, f, r, ev, until))
	}
	return out
}

// conns sums the connections the events hit.
func conns(evs []chaos.FaultEvent) int {
	n := 0
	for _, ev := range evs {
		n += ev.Conns
	}
	return n
}

// worst returns the largest of the values picked from the impacts.
func worst(ims []chaos.Impact, pick func(chaos.Impact) time.Duration) time.Duration {
	var w time.Duration
	for _, m := range ims {
		w = max(w, pick(m))
	}
	return w
}
