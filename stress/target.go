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
// otherwise.
type Resolved struct {
	Target client.Target
	Server *mcptest.Server
	PID    int
}

// ResolveTarget turns a target string into a client.Target: "" means
// $MCP_TARGET, and if that is empty too, the embedded reference server
// started with server in its own process (stopped in tb.Cleanup). A bad
// target fails the test at once.
func ResolveTarget(tb testing.TB, target string, copts client.Options, server mcptest.Options) Resolved {
	tb.Helper()
	if strings.TrimSpace(target) == "" {
		target = strings.TrimSpace(os.Getenv(TargetEnv))
	}
	var r Resolved
	if target == "" {
		r.Server = mcptest.StartServer(tb, server)
		r.PID = r.Server.PID()
		target = r.Server.Target()
	}
	t, err := client.ParseTarget(target, copts)
	if err != nil {
		tb.Fatalf("stress: %v", err)
	}
	r.Target = t
	return r
}
