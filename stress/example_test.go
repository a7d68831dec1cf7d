package stress_test

import (
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/stress"
)

// A user's own test: 150 sessions sending 5,000 echo calls per second for
// 10 s to the server at $MCP_TARGET (or the embedded reference server
// when it is unset), with the seed's baseline pass criteria.
func ExampleRun() {
	testMyServer := func(t *testing.T) {
		sum := stress.Run(t, "", framework.Scenario{
			Name:     "baseline",
			Sessions: 150,
			Rate:     5000,
			Duration: 10 * time.Second,
			Workload: framework.Workload{Ops: []framework.Operation{
				framework.CallTool("echo", map[string]any{"message": "hello"}).WithWeight(9),
				framework.ListTools(),
			}},
			Thresholds: []string{"throughput >= 4500/s", "p95 <= 102ms over 10s", "error_rate < 0.1%"},
		})
		t.Logf("p99 from the intended send time: %v", sum.Latency.Corrected.P99)
	}
	_ = testMyServer
}
