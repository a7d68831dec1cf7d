package stress

import (
	"os"
	"strings"
	"testing"

	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/mcptest"
)

// TargetEnv names the environment variable that points every suite at
// another server when the test passes an empty target (and no -target flag
// is given).
const TargetEnv = "MCP_TARGET"

// Resolved is a target ready for the engine. Server is the embedded
// reference server when this package started it (its PID is sampled), nil
// otherwise; Servers are all its processes when it runs as several
// (SO_REUSEPORT on one port), PIDs theirs.
type Resolved struct {
	Target  client.Target
	Server  *mcptest.Server
	Servers []*mcptest.Server
	PID     int
	PIDs    []int
}

// ResolveTarget turns a target string into a client.Target: "" means
// $MCP_TARGET, and if that is empty too, the embedded reference server
// started with server in its own process (stopped in tb.Cleanup). A bad
// target fails the test at once.
func ResolveTarget(tb testing.TB, target string, copts client.Options, server mcptest.Options) Resolved {
	tb.Helper()
	return resolveTarget(tb, target, copts, server, 1)
}

// resolveTarget is ResolveTarget with the embedded server as processes
// processes sharing one port (SO_REUSEPORT): one process cannot hold more
// than ~20,000 open files here, so 15K and more sessions need several.
func resolveTarget(tb testing.TB, target string, copts client.Options, server mcptest.Options, processes int) Resolved {
	tb.Helper()
	if strings.TrimSpace(target) == "" {
		target = strings.TrimSpace(os.Getenv(TargetEnv))
	}
	var r Resolved
	if target == "" {
		r = resolvedServers(StartServers(tb, server, processes))
		target = r.Server.Target()
	}
	t, err := client.ParseTarget(target, copts)
	if err != nil {
		tb.Fatalf("stress: %v", err)
	}
	r.Target = t
	return r
}

// StartServers starts the embedded reference server as n processes sharing
// one port (SO_REUSEPORT when n > 1), each stopped in tb.Cleanup: one
// process holds at most ~20,000 open files here, so 15K and more sessions
// need several. A test that wants the servers' /stats or faults starts them
// here and hands them to RunWith (Options.Servers).
func StartServers(tb testing.TB, opts mcptest.Options, n int) []*mcptest.Server {
	tb.Helper()
	if n > 1 {
		opts.ReusePort = true
	}
	var out []*mcptest.Server
	for i := range max(n, 1) {
		srv := mcptest.StartServer(tb, opts)
		if i == 0 {
			opts.Addr = srv.Addr() // the others share its port
		}
		out = append(out, srv)
	}
	return out
}

func resolvedServers(srvs []*mcptest.Server) Resolved {
	r := Resolved{Server: srvs[0], PID: srvs[0].PID(), Servers: srvs}
	for _, s := range srvs {
		r.PIDs = append(r.PIDs, s.PID())
	}
	return r
}
