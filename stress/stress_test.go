package stress_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/stress"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func mixScenario(d time.Duration) framework.Scenario {
	return framework.Scenario{
		Name:     "mix",
		Sessions: 20,
		Rate:     500,
		Duration: d,
		Workload: framework.Workload{Ops: []framework.Operation{
			framework.CallTool("echo", map[string]any{"message": "hi"}).WithWeight(5),
			framework.CallTool("fail", nil),
			framework.CallTool("error", nil),
			framework.ListTools(),
			framework.ReadResource("mcptest://static/hello").WithWeight(1),
		}},
		Thresholds: []string{"p99 < 1s", "drop_rate < 5%"},
	}
}

func TestRunAgainstTheEmbeddedServerClassifiesEveryOutcome(t *testing.T) {
	sum := stress.RunWith(t, "", mixScenario(2*time.Second), stress.Options{NoFail: true})
	if !sum.Conservation.Holds {
		t.Fatalf("conservation: %v", sum.Conservation.Error())
	}
	if sum.Ramp.Opened != 20 {
		t.Fatalf("opened %d sessions of 20: %v", sum.Ramp.Opened, sum.Ramp.Errors)
	}
	// The reference server's fail tool always answers isError and its error
	// tool always a JSON-RPC error: every answered one must be classified so.
	fail, errTool := sum.ByOp["tools/call/fail"], sum.ByOp["tools/call/error"]
	if fail.ToolError == 0 || fail.ToolError != fail.Answered() {
		t.Errorf("fail tool: %+v; want every answer a tool error", fail)
	}
	if errTool.RPCError == 0 || errTool.RPCError != errTool.Answered() || sum.RPCCodes[-32603] != errTool.RPCError {
		t.Errorf("error tool: %+v, codes %v; want every answer a -32603", errTool, sum.RPCCodes)
	}
	for _, op := range []string{"tools/call/echo", "tools/list", "resources/read/mcptest://static/hello"} {
		if c := sum.ByOp[op]; c.OK != c.Answered() || c.OK == 0 {
			t.Errorf("%s: %+v; want every answer ok", op, c)
		}
	}
	if sum.ResourcesEnd == nil || sum.ResourcesEnd.Server == nil || sum.ResourcesEnd.Server.RSSBytes == 0 {
		t.Errorf("server resources not sampled: %+v", sum.ResourcesEnd)
	}
	if sum.Scheduled != 1000 {
		t.Errorf("scheduled %d, want 1000 (500/s for 2 s)", sum.Scheduled)
	}
}

func TestRunStopsCleanlyWhenItsContextEnds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	start := time.Now()
	sum := stress.RunWith(t, "", mixScenario(time.Minute), stress.Options{Context: ctx, NoFail: true})
	if el := time.Since(start); el > 20*time.Second {
		t.Errorf("run took %v after its context ended", el)
	}
	if !sum.Conservation.Holds || !strings.HasPrefix(sum.Aborted, "stopped") {
		t.Errorf("conservation %+v, aborted %q", sum.Conservation, sum.Aborted)
	}
	if sum.Scheduled == 0 || sum.Scheduled >= 30000 {
		t.Errorf("scheduled %d", sum.Scheduled)
	}
}

func TestRunStopsCleanlyOnSIGINT(t *testing.T) {
	var once sync.Once
	sum := stress.RunWith(t, "", mixScenario(time.Minute), stress.Options{NoFail: true,
		Progress: func(framework.Progress) {
			// Sent during the run, while the run's handler is installed.
			once.Do(func() { _ = syscall.Kill(os.Getpid(), syscall.SIGINT) })
		}})
	if !sum.Conservation.Holds {
		t.Fatal(sum.Conservation.Error())
	}
	if !strings.Contains(sum.Aborted, "interrupt") || sum.Duration() > 30*time.Second {
		t.Errorf("aborted %q after %v; want stopped by the interrupt", sum.Aborted, sum.Duration())
	}
}

// Config.Prometheus serves the run's metrics on Config.PrometheusPort while
// stress.Run runs it: a scrape during the run sees the requests counted.
func TestConfigPrometheusServesTheRunsMetrics(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	sc := framework.Scenario{Name: "prom", Sessions: 4, Rate: 200, Duration: 2 * time.Second,
		Workload: framework.Workload{Ops: []framework.Operation{framework.CallTool("echo", map[string]any{"message": "hi"})}},
		Config:   framework.Config{Prometheus: true, PrometheusPort: port, CollectionInterval: 250 * time.Millisecond}}
	var mu sync.Mutex
	var scraped string
	stress.RunWith(t, "", sc, stress.Options{Progress: func(p framework.Progress) {
		if p.Elapsed < time.Second {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if scraped != "" {
			return
		}
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
		if err != nil {
			scraped = "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		scraped = string(b)
	}})
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(scraped, `mcpstress_requests_total{`) || !strings.Contains(scraped, `suite="prom"`) {
		t.Fatalf("the run's metrics were not served on port %d:\n%.2000s", port, scraped)
	}
	// Off by default: the same port serves nothing after the run.
	if _, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port)); err == nil {
		t.Error("the metrics endpoint outlived the run")
	}
}
