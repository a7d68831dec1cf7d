package report

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The metric names the exporter registers (all with a constant label
// suite="<suite>"). Dashboards and alerts are built on these names.
const (
	MetricRequests        = "mcpstress_requests_total"           // counter {operation, outcome}
	MetricRequestDuration = "mcpstress_request_duration_seconds" // histogram {operation}: native + classic buckets
	MetricSessions        = "mcpstress_sessions"                 // gauge: open sessions
	MetricOfferedRate     = "mcpstress_offered_rate"             // gauge: requests/s the schedule asked for
	MetricAchievedRate    = "mcpstress_achieved_rate"            // gauge: requests/s completed
	MetricServerRSS       = "mcpstress_server_rss_bytes"         // gauge: server resident memory
	MetricServerCPU       = "mcpstress_server_cpu_percent"       // gauge: server CPU, 100 = one core
	MetricFaultEvents     = "mcpstress_fault_events_total"       // counter {kind}: faults injected
	MetricFaultActive     = "mcpstress_fault_active"             // gauge {kind}: faults active now
)

// MetricNames returns every metric name the exporter registers.
func MetricNames() []string {
	return []string{MetricRequests, MetricRequestDuration, MetricSessions, MetricOfferedRate,
		MetricAchievedRate, MetricServerRSS, MetricServerCPU, MetricFaultEvents, MetricFaultActive}
}

// DefaultPort is the seed's per-suite metrics port: baseline 9090, scale
// 9091, chaos 9092, sustained 9093, cascading 9094. ok is false for any
// other suite.
func DefaultPort(suite string) (port int, ok bool) {
	switch suite {
	case "baseline":
		return 9090, true
	case "scale":
		return 9091, true
	case "chaos":
		return 9092, true
	case "sustained":
		return 9093, true
	case "cascading":
		return 9094, true
	}
	return 0, false
}

// DefaultLatencyBuckets are the classic histogram buckets (seconds), from
// 100 µs to 30 s; the native histogram has no fixed buckets.
func DefaultLatencyBuckets() []float64 {
	return []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
		0.25, 0.5, 1, 2.5, 5, 10, 30}
}

// State is the exporter's view of quantities that are levels, not events.
type State struct {
	Sessions         int
	OfferedRate      float64 // requests per second the schedule asks for
	AchievedRate     float64 // requests per second completed
	ServerRSSBytes   uint64
	ServerCPUPercent float64
}

// StateSource is what the exporter polls, once per scrape, for the level
// gauges. The engine's sampler (or an adapter around it) implements it.
type StateSource interface {
	ExporterState() State
}

// StateFunc adapts a function to StateSource.
type StateFunc func() State

// ExporterState implements StateSource.
func (f StateFunc) ExporterState() State { return f() }

var _ StateSource = StateFunc(nil)

// ExporterOptions configure an exporter. The zero value is disabled.
type ExporterOptions struct {
	// Enabled turns the exporter on; metrics are off unless asked for.
	Enabled bool
	// Suite is the constant "suite" label and picks the default port.
	Suite string
	// Port is the port Serve listens on at 127.0.0.1; 0 means
	// DefaultPort(Suite).
	Port int
	// Addr, if set, is the full listen address and overrides Port (for
	// example "127.0.0.1:0" in tests, or ":9090" inside a pod).
	Addr string
	// Buckets are the classic latency buckets in seconds; nil means
	// DefaultLatencyBuckets.
	Buckets []float64
	// Source, if set, is polled for the level gauges at every scrape;
	// otherwise they hold the values of the last SetState.
	Source StateSource
}

// Validate reports every problem of the options at once.
func (o ExporterOptions) Validate() error {
	if !o.Enabled {
		return nil
	}
	var errs []error
	if o.Suite == "" {
		errs = append(errs, errors.New("exporter: Suite is empty"))
	}
	if o.Port < 0 || o.Port > 65535 {
		errs = append(errs, fmt.Errorf("exporter: Port %d out of range", o.Port))
	}
	if _, ok := DefaultPort(o.Suite); o.Suite != "" && !ok && o.Port == 0 && o.Addr == "" {
		errs = append(errs, fmt.Errorf("exporter: suite %q has no default port; set Port or Addr", o.Suite))
	}
	if o.Addr != "" {
		if _, _, err := net.SplitHostPort(o.Addr); err != nil {
			errs = append(errs, fmt.Errorf("exporter: Addr: %w", err))
		}
	}
	for i := 1; i < len(o.Buckets); i++ {
		if o.Buckets[i] <= o.Buckets[i-1] {
			errs = append(errs, fmt.Errorf("exporter: Buckets not increasing at index %d", i))
			break
		}
	}
	return errors.Join(errs...)
}

// listenAddr is where Serve listens.
func (o ExporterOptions) listenAddr() string {
	if o.Addr != "" {
		return o.Addr
	}
	port := o.Port
	if port == 0 {
		port, _ = DefaultPort(o.Suite)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// Exporter publishes a run's live values as Prometheus metrics. Request
// outcomes, latencies and faults are pushed to it as they happen; levels
// (sessions, rates, server RSS/CPU) are polled from a StateSource at each
// scrape. A nil *Exporter (what NewExporter returns when disabled) accepts
// every call and does nothing, so callers need no checks.
//
// Latency is fed by observations (ObserveRequest), one per completed
// request, into a histogram that is both native (exponential buckets,
// factor 1.1, at most 160 buckets: roughly 5 % resolution at any scale) and
// classic (the fixed Buckets) so that servers without native-histogram
// support still get quantiles.
type Exporter struct {
	opts     ExporterOptions
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	faults   *prometheus.CounterVec
	active   *prometheus.GaugeVec
	state    *stateCollector

	mu   sync.Mutex
	srv  *http.Server
	done chan struct{}
}

// NewExporter registers the exporter's metrics on reg (never the global
// registry unless you pass it). It returns nil and no error when
// opts.Enabled is false.
func NewExporter(reg prometheus.Registerer, opts ExporterOptions) (*Exporter, error) {
	if !opts.Enabled {
		return nil, nil
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if reg == nil {
		return nil, errors.New("exporter: nil registerer")
	}
	buckets := opts.Buckets
	if buckets == nil {
		buckets = DefaultLatencyBuckets()
	}
	cl := prometheus.Labels{"suite": opts.Suite}
	e := &Exporter{
		opts: opts,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricRequests, ConstLabels: cl,
			Help: "Requests by operation and outcome (ok, tool_error, rpc_error, transport_error, timeout, dropped, cancelled)."},
			[]string{"operation", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: MetricRequestDuration, ConstLabels: cl,
			Help:                            "Request latency from the intended send time, in seconds.",
			Buckets:                         buckets,
			NativeHistogramBucketFactor:     1.1,
			NativeHistogramMaxBucketNumber:  160,
			NativeHistogramMinResetDuration: time.Hour,
		}, []string{"operation"}),
		faults: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricFaultEvents, ConstLabels: cl,
			Help: "Faults injected, by kind."}, []string{"kind"}),
		active: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: MetricFaultActive, ConstLabels: cl,
			Help: "Faults active now, by kind."}, []string{"kind"}),
		state: newStateCollector(cl, opts.Source),
	}
	for _, c := range []prometheus.Collector{e.requests, e.duration, e.faults, e.active, e.state} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("exporter: register: %w", err)
		}
	}
	return e, nil
}

// ObserveRequest counts a request with its outcome and records its latency.
func (e *Exporter) ObserveRequest(operation, outcome string, latency time.Duration) {
	if e == nil {
		return
	}
	e.requests.WithLabelValues(operation, outcome).Inc()
	e.duration.WithLabelValues(operation).Observe(latency.Seconds())
}

// Bound is an exporter's request counter and latency histogram for one
// operation and outcome, looked up once: the load path's cheaper form of
// ObserveRequest. The zero value (from a nil exporter) does nothing.
type Bound struct {
	count prometheus.Counter
	hist  prometheus.Observer
}

// Bind returns the counter and histogram of one operation and outcome.
func (e *Exporter) Bind(operation, outcome string) Bound {
	if e == nil {
		return Bound{}
	}
	return Bound{count: e.requests.WithLabelValues(operation, outcome), hist: e.duration.WithLabelValues(operation)}
}

// Observe counts one request and records its latency.
func (b Bound) Observe(latency time.Duration) {
	if b.count == nil {
		return
	}
	b.count.Inc()
	b.hist.Observe(latency.Seconds())
}

// CountRequests counts n requests that have no latency (dropped before
// sending, cancelled before an answer).
func (e *Exporter) CountRequests(operation, outcome string, n uint64) {
	if e == nil || n == 0 {
		return
	}
	e.requests.WithLabelValues(operation, outcome).Add(float64(n))
}

// FaultStarted counts an injected fault and marks it active.
func (e *Exporter) FaultStarted(kind string) {
	if e == nil {
		return
	}
	e.faults.WithLabelValues(kind).Inc()
	e.active.WithLabelValues(kind).Inc()
}

// FaultEnded marks one fault of the kind as no longer active.
func (e *Exporter) FaultEnded(kind string) {
	if e == nil {
		return
	}
	e.active.WithLabelValues(kind).Dec()
}

// SetState sets the level gauges; ignored when a StateSource is set.
func (e *Exporter) SetState(s State) {
	if e == nil {
		return
	}
	e.state.set(s)
}

// Handler serves g's metrics in every format Prometheus negotiates
// (protobuf, needed for native histograms; OpenMetrics; text).
func Handler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// Serve starts serving g's metrics on /metrics at the configured address
// and returns the address it listens on. Close stops it. A nil exporter
// returns a nil address and no error.
func (e *Exporter) Serve(g prometheus.Gatherer) (net.Addr, error) {
	if e == nil {
		return nil, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.srv != nil {
		return nil, errors.New("exporter: already serving")
	}
	ln, err := net.Listen("tcp", e.opts.listenAddr())
	if err != nil {
		return nil, fmt.Errorf("exporter: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", Handler(g))
	e.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	e.done = make(chan struct{})
	go func(srv *http.Server, done chan struct{}) {
		defer close(done)
		_ = srv.Serve(ln) // returns http.ErrServerClosed after Close
	}(e.srv, e.done)
	return ln.Addr(), nil
}

// Close stops serving, waiting up to 5 s for scrapes in flight. Metrics
// stay registered. It is safe to call on a nil or never-served exporter.
func (e *Exporter) Close() error {
	if e == nil {
		return nil
	}
	e.mu.Lock()
	srv, done := e.srv, e.done
	e.srv = nil
	e.mu.Unlock()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, srv.Close())
	}
	<-done
	return err
}

// stateCollector emits the level gauges, polling the source per scrape.
type stateCollector struct {
	src                                   StateSource
	mu                                    sync.Mutex
	last                                  State
	sessions, offered, achieved, rss, cpu *prometheus.Desc
}

var _ prometheus.Collector = (*stateCollector)(nil)

func newStateCollector(cl prometheus.Labels, src StateSource) *stateCollector {
	d := func(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, nil, cl) }
	return &stateCollector{
		src:      src,
		sessions: d(MetricSessions, "Open MCP sessions (or in-flight stateless requests)."),
		offered:  d(MetricOfferedRate, "Requests per second the schedule asks for."),
		achieved: d(MetricAchievedRate, "Requests per second completed."),
		rss:      d(MetricServerRSS, "Resident memory of the server under test, in bytes."),
		cpu:      d(MetricServerCPU, "CPU use of the server under test, percent of one core."),
	}
}

func (c *stateCollector) set(s State) {
	c.mu.Lock()
	c.last = s
	c.mu.Unlock()
}

// Describe implements prometheus.Collector.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.sessions, c.offered, c.achieved, c.rss, c.cpu} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	var s State
	if c.src != nil {
		s = c.src.ExporterState()
	} else {
		c.mu.Lock()
		s = c.last
		c.mu.Unlock()
	}
	ch <- prometheus.MustNewConstMetric(c.sessions, prometheus.GaugeValue, float64(s.Sessions))
	ch <- prometheus.MustNewConstMetric(c.offered, prometheus.GaugeValue, s.OfferedRate)
	ch <- prometheus.MustNewConstMetric(c.achieved, prometheus.GaugeValue, s.AchievedRate)
	ch <- prometheus.MustNewConstMetric(c.rss, prometheus.GaugeValue, float64(s.ServerRSSBytes))
	ch <- prometheus.MustNewConstMetric(c.cpu, prometheus.GaugeValue, s.ServerCPUPercent)
}
