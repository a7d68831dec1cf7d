package report

import (
	"errors"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// newTestExporter returns an enabled exporter on a fresh registry,
// serving on a free loopback port, closed at cleanup.
func newTestExporter(t *testing.T, src StateSource) (*Exporter, *prometheus.Registry, string) {
	t.Helper()
	reg := prometheus.NewRegistry()
	e, err := NewExporter(reg, ExporterOptions{Enabled: true, Suite: "baseline", Addr: "127.0.0.1:0", Source: src})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := e.Serve(reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	return e, reg, addr.String()
}

func family(t *testing.T, reg prometheus.Gatherer, name string) *dto.MetricFamily {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf
		}
	}
	t.Fatalf("metric %s not gathered", name)
	return nil
}

func labelsOf(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, lp := range m.GetLabel() {
		out[lp.GetName()] = lp.GetValue()
	}
	return out
}

func TestDisabledExporterIsNilAndHarmless(t *testing.T) {
	e, err := NewExporter(prometheus.NewRegistry(), ExporterOptions{Suite: "baseline"})
	if e != nil || err != nil {
		t.Fatalf("disabled exporter = %v, %v; want nil, nil", e, err)
	}
	e.ObserveRequest("tools/call", "ok", time.Millisecond)
	e.CountRequests("tools/call", "dropped", 3)
	e.FaultStarted("crash")
	e.FaultEnded("crash")
	e.SetState(State{Sessions: 1})
	e.Bind("tools/call", "ok").Observe(time.Millisecond)
	if addr, err := e.Serve(prometheus.NewRegistry()); addr != nil || err != nil {
		t.Errorf("Serve on disabled exporter = %v, %v", addr, err)
	}
	if err := e.Close(); err != nil {
		t.Error(err)
	}
}

func TestExporterOptionsValidateReportsEveryProblem(t *testing.T) {
	err := ExporterOptions{Enabled: true, Port: 70000, Addr: "nonsense", Buckets: []float64{1, 0.5}}.Validate()
	for _, want := range []string{"Suite is empty", "Port 70000", "Addr", "Buckets"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to mention %q", err, want)
		}
	}
	if err := (ExporterOptions{Enabled: true, Suite: "protocol"}).Validate(); err == nil {
		t.Error("a suite without a default port and no Port/Addr must be rejected")
	}
	for suite, port := range map[string]int{"baseline": 9090, "scale": 9091, "chaos": 9092, "sustained": 9093, "cascading": 9094} {
		if got := (ExporterOptions{Suite: suite}).listenAddr(); got != "127.0.0.1:"+itoa(port) {
			t.Errorf("%s listens on %s, want port %d", suite, got, port)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestExporterCountsObservesAndServes(t *testing.T) {
	state := State{Sessions: 150, OfferedRate: 5000, AchievedRate: 4890.5, ServerRSSBytes: 300 << 20, ServerCPUPercent: 87.5}
	e, reg, addr := newTestExporter(t, StateFunc(func() State { return state }))
	lat := []time.Duration{2 * time.Millisecond, 4 * time.Millisecond, 8 * time.Millisecond}
	for _, d := range lat {
		e.ObserveRequest("tools/call", "ok", d)
	}
	e.ObserveRequest("tools/call", "timeout", time.Second)
	e.Bind("tools/list", "ok").Observe(time.Millisecond)
	e.CountRequests("tools/call", "dropped", 5)
	e.FaultStarted("crash")
	e.FaultStarted("crash")
	e.FaultEnded("crash")
	e.FaultStarted("latency")

	want := map[[2]string]float64{{"tools/call", "ok"}: 3, {"tools/call", "timeout"}: 1, {"tools/list", "ok"}: 1, {"tools/call", "dropped"}: 5}
	got := map[[2]string]float64{}
	for _, m := range family(t, reg, MetricRequests).GetMetric() {
		l := labelsOf(m)
		if l["suite"] != "baseline" {
			t.Errorf("missing suite label: %v", l)
		}
		got[[2]string{l["operation"], l["outcome"]}] = m.GetCounter().GetValue()
	}
	if len(got) != len(want) {
		t.Errorf("requests = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("requests%v = %v, want %v", k, got[k], v)
		}
	}
	for _, m := range family(t, reg, MetricRequestDuration).GetMetric() {
		h := m.GetHistogram()
		if labelsOf(m)["operation"] != "tools/call" {
			continue
		}
		if h.GetSampleCount() != 4 || math.Abs(h.GetSampleSum()-1.014) > 1e-9 {
			t.Errorf("histogram count %d sum %v, want 4 and 1.014", h.GetSampleCount(), h.GetSampleSum())
		}
		if len(h.GetBucket()) != len(DefaultLatencyBuckets()) {
			t.Errorf("%d classic buckets, want %d", len(h.GetBucket()), len(DefaultLatencyBuckets()))
		}
		if len(h.GetPositiveSpan()) == 0 || len(h.GetPositiveDelta()) == 0 {
			t.Errorf("no native histogram buckets: schema %d spans %v", h.GetSchema(), h.GetPositiveSpan())
		}
	}
	faults := map[string][2]float64{}
	for _, m := range family(t, reg, MetricFaultEvents).GetMetric() {
		k := labelsOf(m)["kind"]
		faults[k] = [2]float64{m.GetCounter().GetValue(), faults[k][1]}
	}
	for _, m := range family(t, reg, MetricFaultActive).GetMetric() {
		k := labelsOf(m)["kind"]
		faults[k] = [2]float64{faults[k][0], m.GetGauge().GetValue()}
	}
	if faults["crash"] != [2]float64{2, 1} || faults["latency"] != [2]float64{1, 1} {
		t.Errorf("faults (events, active) = %v", faults)
	}
	for name, v := range map[string]float64{MetricSessions: 150, MetricOfferedRate: 5000, MetricAchievedRate: 4890.5,
		MetricServerRSS: 300 << 20, MetricServerCPU: 87.5} {
		if got := family(t, reg, name).GetMetric()[0].GetGauge().GetValue(); got != v {
			t.Errorf("%s = %v, want %v", name, got, v)
		}
	}
	mfs, _ := reg.Gather()
	var names []string
	for _, mf := range mfs {
		names = append(names, mf.GetName())
	}
	slices.Sort(names)
	wantNames := MetricNames()
	slices.Sort(wantNames)
	if !slices.Equal(names, wantNames) {
		t.Errorf("gathered %v, MetricNames() says %v", names, wantNames)
	}

	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	if !strings.Contains(string(body), `mcpstress_requests_total{operation="tools/call",outcome="dropped",suite="baseline"} 5`) {
		t.Errorf("/metrics text lacks the dropped counter:\n%s", body)
	}
	if _, err := e.Serve(reg); err == nil {
		t.Error("a second Serve must fail")
	}
}

func TestExporterRefusesADuplicateRegistration(t *testing.T) {
	reg := prometheus.NewRegistry()
	opts := ExporterOptions{Enabled: true, Suite: "chaos"}
	if _, err := NewExporter(reg, opts); err != nil {
		t.Fatal(err)
	}
	_, err := NewExporter(reg, opts)
	var are prometheus.AlreadyRegisteredError
	if !errors.As(err, &are) {
		t.Errorf("second registration: %v, want AlreadyRegisteredError", err)
	}
}

func TestExporterSetStateWithoutSource(t *testing.T) {
	reg := prometheus.NewRegistry()
	e, err := NewExporter(reg, ExporterOptions{Enabled: true, Suite: "scale"})
	if err != nil {
		t.Fatal(err)
	}
	e.SetState(State{Sessions: 15000, AchievedRate: 118500})
	if got := family(t, reg, MetricSessions).GetMetric()[0].GetGauge().GetValue(); got != 15000 {
		t.Errorf("sessions = %v", got)
	}
}
