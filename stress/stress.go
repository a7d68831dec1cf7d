package stress

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"strings"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/internal/tailbuf"
	"github.com/mcpstress/mcpstress/mcptest"
	"github.com/mcpstress/mcpstress/report"
	"github.com/mcpstress/mcpstress/shard"
	"github.com/prometheus/client_golang/prometheus"
)

// Options tune RunWith. The zero value is what Run uses.
type Options struct {
	// Context bounds the run in addition to the test's deadline; nil means
	// context.Background().
	Context context.Context
	// Client configures the lean client's sessions. A zero Timeout is set
	// from the scenario's message timeout.
	Client client.Options
	// Server configures the embedded reference server, when one is started.
	Server mcptest.Options
	// NoFail returns problems in the summary without failing the test, for
	// a test that judges the run itself (T.Judge) or a negative control
	// that expects a criterion to fail. A broken request count
	// (conservation) fails the test all the same: it is a defect of the
	// instrument, never an expected result.
	NoFail bool
	// Progress is called after every interval (in addition to the -v line).
	Progress func(framework.Progress)
	// OnSample is called for every scheduled request (framework.RunOptions).
	OnSample func(op string, outcome client.Outcome, latency time.Duration)
	// ServerProcesses, when above 1, starts the embedded reference server
	// as that many processes sharing one port (SO_REUSEPORT), sampled
	// together: one process holds at most ~20,000 open files here.
	ServerProcesses int
	// Servers, when set and the target is empty, are embedded servers the
	// test started itself (StartServers), to poll their /stats or set
	// their faults while the run goes; they are the target and are
	// sampled.
	Servers []*mcptest.Server
	// ShardDir is where local shards write their files (default: a
	// temporary directory of the test); a long run keeps them beside its
	// reports, so a crash loses at most one interval.
	ShardDir string
	// Shards, when above 1, runs the scenario as that many processes of
	// this test binary on this machine (local shards: for more
	// connections than one process can hold, 20,000 open files here), each
	// one slice of it from a shared epoch, merged live each interval and
	// exactly at the end. It needs a rate or stages (no custom pacer).
	Shards int
	// DeadlineMargin is how long before the test's deadline the run is
	// stopped so the summary can still be produced; zero means 5% of the
	// time left, at least 1 s and at most 30 s.
	DeadlineMargin time.Duration
}

// serverStderrLimit is how much of the stdio servers' stderr a run keeps.
const serverStderrLimit = 16 << 10

// Run drives scenario sc against target from a test and returns the
// summary. See RunWith.
func Run(tb testing.TB, target string, sc framework.Scenario) *framework.Summary {
	tb.Helper()
	return RunWith(tb, target, sc, Options{})
}

// RunWith drives sc against target. An invalid scenario or target fails
// the test at once (there is nothing to summarise); otherwise the summary is
// always returned, and a conservation violation, a failed threshold or a
// target that opened no session fails the test with t.Errorf unless
// opts.NoFail. The run stops cleanly at the test's deadline (minus a margin)
// or on SIGINT: in-flight requests are counted as cancelled and the summary
// says why it stopped.
func RunWith(tb testing.TB, target string, sc framework.Scenario, opts Options) *framework.Summary {
	tb.Helper()
	if err := sc.Validate(); err != nil {
		tb.Fatalf("stress: %v", err)
	}
	// A process given the shard environment runs its slice of every
	// scenario and leaves the verdicts to the merge (package shard).
	sh, sharded, err := shard.FromEnv()
	if err != nil {
		tb.Fatalf("stress: %v", err)
	}
	if sharded {
		if opts.Shards > 1 {
			tb.Fatalf("stress: %s: local shards inside shard %s: run one or the other", sc.Name, sh.Slice)
		}
		sc = shardScenario(sc, sh)
	}
	copts := opts.Client
	if copts.Timeout == 0 {
		copts.Timeout = sc.Config.WithDefaults().MessageTimeout
	}
	// The stderr of stdio server processes goes into the summary (and so
	// the report); other targets never write to it.
	var stderr *tailbuf.Buffer
	if copts.Stderr == nil {
		stderr = tailbuf.New(serverStderrLimit)
		copts.Stderr = stderr
	}
	cfg := sc.Config.WithDefaults()
	var res Resolved
	if len(opts.Servers) > 0 && strings.TrimSpace(target) == "" {
		res = resolvedServers(opts.Servers)
		t, err := client.ParseTarget(res.Server.Target(), copts)
		if err != nil {
			tb.Fatalf("stress: %v", err)
		}
		res.Target = t
	} else {
		res = resolveTarget(tb, target, copts, serverOptions(opts.Server, cfg), opts.ServerProcesses)
	}
	onSample, progress := opts.OnSample, opts.Progress
	if cfg.Prometheus {
		exp := serveRunMetrics(tb, sc.Name, cfg.PrometheusPort)
		defer func() {
			if err := exp.Close(); err != nil {
				tb.Errorf("stress: prometheus: %v", err)
			}
		}()
		onSample = chainSamples(onSample, observer(exp))
		progress = chainProgress(progress, func(p framework.Progress) { publishState(exp, p, sc.Rate) })
	}

	parent := opts.Context
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := runContext(tb, parent, opts.DeadlineMargin)
	defer cancel()
	ctx, stopSignals := signal.NotifyContext(ctx, os.Interrupt)
	defer stopSignals()

	verbose := testing.Verbose()
	ropts := framework.RunOptions{
		ServerPID:  res.PID,
		ServerPIDs: res.PIDs,
		Logf:       tb.Logf,
		OnSample:   onSample,
		Progress: func(p framework.Progress) {
			if verbose {
				tb.Logf("%s: %s", sc.Name, p)
			}
			if progress != nil {
				progress(p)
			}
		},
	}
	if sharded {
		epoch, err := sh.ScenarioEpoch(sc.Name, startAllowance(sc, 1))
		if err != nil {
			tb.Fatalf("stress: shard %s: %v", sh.Slice, err)
		}
		ropts.Slice, ropts.Epoch = sh.Slice, epoch
	}
	var sum *framework.Summary
	if opts.Shards > 1 {
		sum, err = runLocalShards(tb, ctx, res, sc, copts, ropts, opts.Shards, opts.ShardDir)
	} else {
		sum, err = framework.Run(ctx, res.Target, sc, ropts)
	}
	if sum == nil {
		tb.Fatalf("stress: %v", err)
		return nil
	}
	if sharded {
		finishShard(tb, sh, sum)
	}
	if stderr != nil {
		sum.ServerStderr = stderr.String()
	}
	tb.Logf("%s", sum)
	if err := sum.Conservation.Error(); err != nil {
		tb.Errorf("stress: %s: %v", sc.Name, err)
	}
	if opts.NoFail {
		return sum
	}
	if errors.Is(err, framework.ErrNoSessions) {
		tb.Errorf("stress: %v", err)
	}
	for _, p := range sum.Problems() {
		if !sum.Conservation.Holds && strings.HasPrefix(p, "conservation") {
			continue // reported above
		}
		tb.Errorf("stress: %s: %s", sc.Name, p)
	}
	return sum
}

// serverOptions are the embedded server's options for a run: the caller's,
// with the scenario's listen backlog (Config.Backlog: the backlog of a
// server the framework starts) unless the caller set one.
func serverOptions(o mcptest.Options, cfg framework.Config) mcptest.Options {
	if o.Backlog == 0 {
		o.Backlog = cfg.Backlog
	}
	return o
}

// serveRunMetrics serves one run's metrics for Prometheus on 127.0.0.1:port
// (Config.Prometheus and PrometheusPort), for a test that calls Run on its
// own; the suites serve theirs with -prometheus.
func serveRunMetrics(tb testing.TB, name string, port int) *report.Exporter {
	tb.Helper()
	reg := prometheus.NewRegistry()
	exp, err := report.NewExporter(reg, report.ExporterOptions{Enabled: true, Suite: name, Port: port})
	if err != nil {
		tb.Fatalf("stress: prometheus: %v", err)
	}
	addr, err := exp.Serve(reg)
	if err != nil {
		tb.Fatalf("stress: prometheus: %v", err)
	}
	tb.Logf("%s: Prometheus metrics on http://%s/metrics", name, addr)
	return exp
}

func chainSamples(a, b func(string, client.Outcome, time.Duration)) func(string, client.Outcome, time.Duration) {
	if a == nil {
		return b
	}
	return func(op string, o client.Outcome, d time.Duration) { a(op, o, d); b(op, o, d) }
}

func chainProgress(a, b func(framework.Progress)) func(framework.Progress) {
	if a == nil {
		return b
	}
	return func(p framework.Progress) { a(p); b(p) }
}

// runContext derives the run's context from the test's deadline, leaving a
// margin for the summary and the test's cleanup.
func runContext(tb testing.TB, parent context.Context, margin time.Duration) (context.Context, context.CancelFunc) {
	dl, ok := tb.(interface{ Deadline() (time.Time, bool) })
	if !ok {
		return context.WithCancel(parent)
	}
	deadline, ok := dl.Deadline()
	if !ok {
		return context.WithCancel(parent)
	}
	if margin <= 0 {
		margin = min(max(time.Until(deadline)/20, time.Second), 30*time.Second)
	}
	return context.WithDeadlineCause(parent, deadline.Add(-margin), errTestDeadline)
}

var errTestDeadline = errors.New("the test's deadline (go test -timeout) is near")
