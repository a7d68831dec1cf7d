package report

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startPrometheus starts a real Prometheus server (Debian's package) that
// scrapes target every second, and returns its base URL. It is stopped at
// cleanup; its log is printed if the test failed.
func startPrometheus(t *testing.T, target string) string {
	t.Helper()
	bin := os.Getenv("MCPSTRESS_PROMETHEUS")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("prometheus"); err != nil {
			t.Skip("prometheus not installed: run .ci/install-report-deps.sh (apt-get install prometheus) to run the scrape test")
		}
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: mcpstress
    static_configs:
      - targets: [%q]
`, target)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	// A free loopback port: Prometheus cannot report one it picked itself.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := ln.Addr().String()
	ln.Close()
	logPath := filepath.Join(dir, "prometheus.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin,
		"--config.file="+cfgPath,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+listen,
		"--enable-feature=native-histograms",
		"--log.level=warn",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("prometheus log:\n%s", b)
		}
	})
	base := "http://" + listen
	waitFor(t, 30*time.Second, "prometheus ready", func() (bool, error) {
		resp, err := http.Get(base + "/-/ready")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	return base
}

// waitFor polls cond every 200 ms until it is true, it errs, or the
// timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// promQuery runs an instant query and returns each series' labels and
// value.
func promQuery(ctx context.Context, base, q string) ([]map[string]string, []float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/query?query="+url.QueryEscape(q), nil)
	if err != nil {
		return nil, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, nil, err
	}
	if body.Status != "success" {
		return nil, nil, fmt.Errorf("query %s: %s", q, body.Error)
	}
	var labels []map[string]string
	var values []float64
	for _, r := range body.Data.Result {
		s, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("query %s: value %v: %w", q, r.Value[1], err)
		}
		labels = append(labels, r.Metric)
		values = append(values, v)
	}
	return labels, values, nil
}

// expectScalar waits until q returns exactly one series with value want.
func expectScalar(t *testing.T, base, q string, want float64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last []float64
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, vals, err := promQuery(ctx, base, q)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if len(vals) == 1 && vals[0] == want {
			return
		}
		last = vals
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v after 20 s, want one series = %v", q, last, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestPrometheusServerScrapesTheExporter(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Prometheus server; skipped with -short")
	}
	state := State{Sessions: 150, OfferedRate: 5000, AchievedRate: 4890.5, ServerRSSBytes: 300 << 20, ServerCPUPercent: 87.5}
	e, _, addr := newTestExporter(t, StateFunc(func() State { return state }))
	for i := range 40 {
		e.ObserveRequest("tools/call", "ok", time.Duration(i+1)*time.Millisecond)
	}
	e.ObserveRequest("tools/call", "timeout", 2*time.Second)
	e.CountRequests("tools/call", "dropped", 7)
	e.FaultStarted("crash")

	base := startPrometheus(t, addr)
	expectScalar(t, base, `mcpstress_requests_total{suite="baseline",operation="tools/call",outcome="ok"}`, 40)
	expectScalar(t, base, `mcpstress_requests_total{outcome="timeout"}`, 1)
	expectScalar(t, base, `mcpstress_requests_total{outcome="dropped"}`, 7)
	expectScalar(t, base, `sum(mcpstress_requests_total)`, 48)
	// The latency histogram arrives as a native histogram (protobuf scrape).
	expectScalar(t, base, `histogram_count(mcpstress_request_duration_seconds{operation="tools/call"})`, 41)
	expectScalar(t, base, `mcpstress_sessions`, 150)
	expectScalar(t, base, `mcpstress_achieved_rate`, 4890.5)
	expectScalar(t, base, `mcpstress_server_rss_bytes`, 300<<20)
	expectScalar(t, base, `mcpstress_fault_events_total{kind="crash"}`, 1)
	expectScalar(t, base, `mcpstress_fault_active{kind="crash"}`, 1)

	// Later values arrive too: the exporter is live, not a snapshot.
	e.FaultEnded("crash")
	e.ObserveRequest("tools/call", "ok", time.Millisecond)
	expectScalar(t, base, `mcpstress_fault_active{kind="crash"}`, 0)
	expectScalar(t, base, `mcpstress_requests_total{outcome="ok"}`, 41)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, q, err := promQuery(ctx, base, `histogram_quantile(0.5, mcpstress_request_duration_seconds{operation="tools/call"})`)
	if err != nil {
		t.Fatal(err)
	}
	// 42 observations, median 21 ms; native buckets (factor ≤ 1.1) bound
	// the error to about 10 %.
	if len(q) != 1 || q[0] < 0.018 || q[0] > 0.024 {
		t.Errorf("median latency from Prometheus = %v s, want ≈ 0.021", q)
	}

	// Every dashboard query must be valid PromQL for a real server (the
	// query API rejects syntax and type errors).
	qctx, qcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer qcancel()
	withData, total := 0, 0
	for file, exprs := range dashboardExprs(t) {
		for _, e := range exprs {
			q := strings.NewReplacer("$suite", "baseline", "$__rate_interval", "5s").Replace(e)
			_, vals, err := promQuery(qctx, base, q)
			if err != nil {
				t.Errorf("%s: %v", file, err)
				continue
			}
			total++
			if len(vals) > 0 {
				withData++
			}
		}
	}
	t.Logf("%d dashboard queries valid, %d returned data after a few seconds of scraping", total, withData)
}
