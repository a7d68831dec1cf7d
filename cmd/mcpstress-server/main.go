// Command mcpstress-server runs the mcpstress reference MCP server on its
// own, for other machines and shards. Its flags mirror mcptest.Options:
//
//	mcpstress-server -transport=tcp -addr=127.0.0.1:7000 -control=127.0.0.1:7001
//	mcpstress-server -transport=http -addr=127.0.0.1:8080 -token=secret -http-response=sse
//	mcpstress-server -transport=stdio
//	mcpstress-server -transport=http -session-idle-timeout=2m -max-sessions=50000
//
// Legacy HTTP sessions expire after 10 minutes idle and at most 100,000 are
// alive at once by default (beyond that initialize gets HTTP 503); a
// negative -session-idle-timeout or -max-sessions lifts the limit.
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
