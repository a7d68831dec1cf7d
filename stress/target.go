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
		if processes > 1 {
			server.ReusePort = true
		}
		for i := range max(processes, 1) {
			srv := mcptest.StartServer(tb, server)
			if i == 0 {
				server.Addr = srv.Addr() // the others share its port
				r.Server, r.PID = srv, srv.PID()
				target = srv.Target()
			}
			r.Servers = append(r.Servers, srv)
			r.PIDs = append(r.PIDs, srv.PID())
		}
	}
	t, err := client.ParseTarget(target, copts)
	if err != nil {
		tb.Fatalf("stress: %v", err)
	}
	r.Target = t
	return r
}
