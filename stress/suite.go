package stress

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/framework/profile"
	"github.com/mcpstress/mcpstress/internal/modroot"
	"github.com/mcpstress/mcpstress/judge"
	"github.com/mcpstress/mcpstress/report"
)

// ReportDirEnv is where the reports go, as -report-dir does (the GitHub
// workflow sets it). The server under test comes from -target, then
// TargetEnv; flags win over the environment.
const ReportDirEnv = "MCPSTRESS_REPORT_DIR"

// Suite is one stress suite's process-wide state: its flags, mode, target,
// report builder and the Prometheus exporter. A suite package declares one
// and hands it its TestMain:
//
//	var suite = stress.NewSuite("baseline")
//
//	func TestMain(m *testing.M) { suite.Main(m) }
//
// and every test starts with suite.Test(t). The suite value is the test
// package's own (one per binary), so package stress keeps no global state.
type Suite struct {
	name string

	target     *string
	reportDir  *string
	prometheus *bool
	promPort   *int
	promAddr   *string

	baseline       *string
	updateBaseline *bool
	baselineFail   *bool

	mu       sync.Mutex
	ready    bool
	mode     profile.Mode
	dir      string
	started  time.Time
	ctx      context.Context
	builder  *report.Builder
	exporter *report.Exporter
	shared   map[string]*sharedEntry
	recorded map[*framework.Summary]bool
	writeErr error
}

// NewSuite registers the suite's flags (-target, -report-dir, -prometheus,
// -prometheus-port) on the command line. Call it once, from a package-level
// variable of the suite's test package, so the flags exist before they are
// parsed.
func NewSuite(name string) *Suite {
	return newSuite(name, flag.CommandLine)
}

func newSuite(name string, fs *flag.FlagSet) *Suite {
	s := &Suite{name: name, shared: map[string]*sharedEntry{}, recorded: map[*framework.Summary]bool{}}
	s.target = fs.String("target", "", "server under test: tcp://host:port, http://host:port/mcp, stdio:command args (default $"+TargetEnv+", then the embedded reference server in its own process)")
	s.reportDir = fs.String("report-dir", "", "directory for the reports (default $"+ReportDirEnv+", then reports/"+name+"-<UTC time>/)")
	s.prometheus = fs.Bool("prometheus", false, "serve the run's metrics for Prometheus on 127.0.0.1:-prometheus-port")
	s.promAddr = fs.String("prometheus-addr", "", "full listen address of the -prometheus endpoint, overriding -prometheus-port (e.g. :9091 inside a pod, so the cluster's Prometheus can scrape every shard)")
	s.promPort = fs.Int("prometheus-port", 0, "port of the -prometheus endpoint (default: the suite profile's prometheus_port, the seed's per-suite port)")
	s.baseline = fs.String("baseline", "", "compare this run's metrics with the runs stored in DIR/<suite>/*.json and add the verdicts to the report (see baseline_compare.go)")
	s.updateBaseline = fs.Bool("update-baseline", false, "store this run in -baseline DIR/<suite>/ when every test passed")
	s.baselineFail = fs.Bool("baseline-fail", false, "with -baseline: a regression fails the run (exit code 1); otherwise it is only reported")
	return s
}

// Name is the suite's name.
func (s *Suite) Name() string { return s.name }

// Main is the suite's TestMain: it reads the flags and environment, prints
// the plan, runs the tests with SIGINT/SIGTERM wired to the suite's context
// (a signalled run ends cleanly, in-flight requests counted as cancelled),
// rewrites the reports after every test and once at the end, prints
// "reports written to <dir>", checks for leaked goroutines and exits.
func (s *Suite) Main(m *testing.M) {
	os.Exit(s.run(m))
}

func (s *Suite) run(m *testing.M) int {
	if !flag.Parsed() {
		flag.Parse()
	}
	mode, err := profile.ModeFromEnv(testing.Short())
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", s.name, err)
		return 2
	}
	ctx, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	// After the first signal a second one kills the process as usual.
	restored := make(chan struct{})
	go func() {
		defer close(restored)
		<-ctx.Done()
		stopSignals()
	}()
	if err := s.setup(ctx, mode, time.Now()); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", s.name, err)
		stopSignals()
		<-restored
		return 2
	}
	fmt.Printf("mcpstress %s suite: mode %s, target %s, reports in %s\n", s.name, s.mode, s.TargetLabel(), s.dir)
	if pl, err := profile.Load(s.name, s.mode); err == nil {
		fmt.Printf("plan: %s\n", pl)
	}

	code := m.Run()
	code = s.applyBaseline(code, ctx.Err() != nil)

	if ctx.Err() != nil {
		s.builder.Warn(s.name, "interrupted by a signal: the runs stopped early and in-flight requests were counted as cancelled")
	}
	stopSignals()
	<-restored
	if err := s.writeReports(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: writing reports: %v\n", s.name, err)
		if code == 0 {
			code = 1
		}
	}
	fmt.Printf("reports written to %s\n", s.dir)
	if err := s.exporter.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: prometheus: %v\n", s.name, err)
	}
	s.builder.Close()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	return code
}

// setup resolves the mode, target and report directory and starts the
// builder (and the exporter when asked for).
func (s *Suite) setup(ctx context.Context, mode profile.Mode, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mode, s.started, s.ctx = mode, now, ctx
	s.dir = strings.TrimSpace(*s.reportDir)
	if s.dir == "" {
		s.dir = strings.TrimSpace(os.Getenv(ReportDirEnv))
	}
	if s.dir == "" {
		s.dir = filepath.Join(modroot.Or("."), "reports", s.name+"-"+now.UTC().Format("20060102T150405Z"))
	}
	if abs, err := filepath.Abs(s.dir); err == nil {
		s.dir = abs
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("report directory: %w", err)
	}
	id := s.name + "-" + now.UTC().Format("20060102T150405Z")
	s.builder = report.NewBuilder(id, now, report.DetectEnvironment(s.TargetLabel(), string(mode)), nil)
	if *s.prometheus {
		reg := prometheus.NewRegistry()
		exp, err := report.NewExporter(reg, report.ExporterOptions{Enabled: true, Suite: s.name, Port: s.prometheusPort(), Addr: *s.promAddr})
		if err != nil {
			return err
		}
		addr, err := exp.Serve(reg)
		if err != nil {
			return err
		}
		s.exporter = exp
		fmt.Printf("%s: Prometheus metrics on http://%s/metrics\n", s.name, addr)
	}
	s.ready = true
	return nil
}

// prometheusPort is -prometheus-port, else the suite profile's
// prometheus_port (the seed's per-suite port), else report's default for
// the suite name.
func (s *Suite) prometheusPort() int {
	if *s.promPort != 0 {
		return *s.promPort
	}
	if pl, err := profile.Load(s.name, s.mode); err == nil && pl.Profile.PrometheusPort > 0 {
		return pl.Profile.PrometheusPort
	}
	port, _ := report.DefaultPort(s.name)
	return port
}

// Target is the server under test as the user named it: -target, then
// $MCP_TARGET (TargetEnv); "" means the embedded reference server.
func (s *Suite) Target() string {
	if t := strings.TrimSpace(*s.target); t != "" {
		return t
	}
	return strings.TrimSpace(os.Getenv(TargetEnv))
}

// TargetLabel is Target, or "embedded reference server" for "".
func (s *Suite) TargetLabel() string {
	if t := s.Target(); t != "" {
		return t
	}
	return "embedded reference server"
}

// Mode is the mode the suite runs in (STRESS_TEST_MODE; -short caps it at
// quick).
func (s *Suite) Mode() profile.Mode {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mode
}

// Context ends when the suite is interrupted (SIGINT, SIGTERM).
func (s *Suite) Context() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		return context.Background()
	}
	return s.ctx
}

// ReportDir is where the reports are written.
func (s *Suite) ReportDir() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dir
}

// Exporter is the Prometheus exporter, nil (which accepts every call and
// does nothing) unless -prometheus was given.
func (s *Suite) Exporter() *report.Exporter {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exporter
}

// Started is when the suite started: every offset in the reports is from
// it.
func (s *Suite) Started() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started
}

// Plan loads the suite's profile (<suite>.json, embedded from
// testdata/profiles or from $MCPSTRESS_PROFILES_DIR) for the suite's mode; a missing or invalid profile fails the test.
func (s *Suite) Plan(tb testing.TB) profile.Plan {
	tb.Helper()
	pl, err := profile.Load(s.name, s.Mode())
	if err != nil {
		tb.Fatalf("%s: %v", s.name, err)
	}
	return pl
}

// writeReports rewrites every report file from the builder's current tree.
func (s *Suite) writeReports() error {
	s.mu.Lock()
	b, dir, ok := s.builder, s.dir, s.ready
	s.mu.Unlock()
	if !ok {
		return errors.New("the suite was not set up: call suite.Main(m) from TestMain")
	}
	run := b.Snapshot()
	_, err := report.WriteAll(dir, run)
	return err
}

// sharedEntry is one fixture of Shared.
type sharedEntry struct {
	mu    sync.Mutex
	done  bool
	val   any
	owner string
	err   string
}

// Shared runs fn once per key for the whole process (under the first test
// that asks) and hands every caller the same value: the suites' way to run
// one load and let several tests judge it. Each test still works alone: the
// first to ask runs fn. If fn did not finish (the test failed fatally in
// it), later callers fail with the reason instead of running it again.
func Shared[T any](s *Suite, tb testing.TB, key string, fn func(tb testing.TB) T) T {
	tb.Helper()
	s.mu.Lock()
	e, ok := s.shared[key]
	if !ok {
		e = &sharedEntry{}
		s.shared[key] = e
	}
	s.mu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.done {
		v, _ := e.val.(T)
		return v
	}
	if e.owner != "" {
		tb.Fatalf("shared fixture %q did not complete in %s: %s", key, e.owner, e.err)
	}
	e.owner = tb.Name()
	e.err = "it stopped early (see that test's log)"
	v := fn(tb)
	e.val, e.done, e.err = v, true, ""
	return v
}

// Observer returns the per-request callback (stress.Options.OnSample) that
// feeds the Prometheus exporter's request counters and latency histograms,
// or nil when -prometheus is off (then the engine calls nothing per
// request).
func (s *Suite) Observer() func(op string, outcome client.Outcome, latency time.Duration) {
	s.mu.Lock()
	exp := s.exporter
	s.mu.Unlock()
	return observer(exp)
}

// Progress returns a framework progress callback for the named test that
// publishes each interval to the report's event stream and, with
// -prometheus, the level gauges (sessions, offered and achieved rate,
// server RSS and CPU) to the exporter. Requests are counted per request by
// Observer, not here.
func (s *Suite) Progress(test string, offered float64) func(framework.Progress) {
	return func(p framework.Progress) {
		s.mu.Lock()
		b, exp := s.builder, s.exporter
		s.mu.Unlock()
		if b != nil {
			b.Progress(s.name, test,
				report.Metric{Name: judge.MetricMessagesPerSecond, Unit: "msg/s", Value: p.Rate},
				report.Metric{Name: judge.MetricLatencyP95, Unit: "ms", Value: float64(p.P95) / float64(time.Millisecond)})
		}
		publishState(exp, p, offered)
	}
}
