// Command mcpstress-server runs the mcpstress reference MCP server on its
// own, for other machines and shards. Its flags mirror mcptest.Options:
//
//	mcpstress-server -transport=tcp -addr=127.0.0.1:7000 -control=127.0.0.1:7001
//	mcpstress-server -transport=http -addr=127.0.0.1:8080 -token=secret -http-response=sse
//	mcpstress-server -transport=stdio
//	mcpstress-server -transport=http -session-idle-timeout=2m -max-sessions=50000
//	mcpstress-server -transport=tcp -addr=127.0.0.1:7000 -backlog=16384
//	mcpstress-server -transport=tcp -slow-every=10 -slow-every-delay=50ms
//	mcpstress-server -transport=tcp -serial=2ms
//
// Legacy HTTP sessions expire after 10 minutes idle and at most 100,000 are
// alive at once by default (beyond that initialize gets HTTP 503); a
// negative -session-idle-timeout or -max-sessions lifts the limit.
//
// -backlog sets the listen(2) backlog of the MCP listener (Linux; the
// kernel caps it at net.core.somaxconn, which is also the default), for
// connection bursts larger than the default accept queue. -slow-every=k
// with -slow-every-delay=d holds every answer on connections 0, k, 2k, …
// (over HTTP: legacy sessions 0, k, 2k, …) for d longer: the negative
// control of a message-distribution check. Like every fault it can also be
// set at run time through the control endpoint (POST /faults with
// {"slowEvery":k,"slowEveryDelay":<ns>}). -serial=d makes the server a
// single-worker one (every tools/call holds the one worker for d, the rest
// queue in their connections): the negative control of graceful
// degradation, whose throughput collapses past its capacity of 1/d.
//
// Once serving, it prints "MCPTEST READY mcp=<target> control=<url> pid=<n>"
// (to stderr for stdio) and runs until SIGINT or SIGTERM.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/mcpstress/mcpstress/mcptest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := mcptest.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
