package stress

import (
	"context"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/mcptest"
)

// Ceiling is how a suite measures the machine's own ceiling at a session
// count: the reference server's raw newline echo (no JSON, no MCP) as
// Servers processes sharing a port, driven closed loop by Sessions sessions
// through Clients local shard processes (the same layout the MCP run
// uses), for Duration. Its achieved rate is the most this machine and this
// generator carry at that session count; suites offer a fraction of it
// where a seed's rate is beyond it, and report MCP throughput as a
// fraction of it, measured in the same run.
type Ceiling struct {
	Name     string
	Sessions int
	Clients  int
	Servers  int
	Duration time.Duration
	Interval time.Duration
	Context  context.Context
}

// Measure runs the ceiling and returns its summary (never failing the test
// by itself: the caller judges it, see judge).
func (c Ceiling) Measure(tb testing.TB) *framework.Summary {
	tb.Helper()
	opts := mcptest.Options{Transport: mcptest.TransportRawEcho, ReusePort: c.Servers > 1}
	var target string
	for i := range max(c.Servers, 1) {
		srv := mcptest.StartServer(tb, opts)
		if i == 0 {
			opts.Addr, target = srv.Addr(), srv.Target()
		}
	}
	sc := framework.Scenario{
		Name: c.Name, Model: framework.ClosedModel, Sessions: c.Sessions, Duration: c.Duration,
		Workload: framework.Workload{Ops: []framework.Operation{framework.Ping()}},
		Config:   framework.Config{CollectionInterval: c.Interval},
	}
	return RunWith(tb, target, sc, Options{Context: c.Context, NoFail: true, Shards: c.Clients})
}

// Layout is how many processes a run of sessions needs: client shards and
// server processes, each under its per-process session budget (one process
// holds at most 20,000 open files here, and a loopback run holds both ends).
func Layout(sessions, perClient, perServer int) (clients, servers int) {
	return ceilDiv(sessions, perClient), ceilDiv(sessions, perServer)
}

func ceilDiv(a, b int) int {
	if b <= 0 {
		return 1
	}
	return max(1, (a+b-1)/b)
}
