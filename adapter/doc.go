// Package adapter serves an in-process MCP server written with another Go
// library on a loopback address and returns a target string, so the suites
// can stress a server a user built without a network hop of the user's own
// making.
//
// Two libraries are supported: the official MCP Go SDK (*mcp.Server, see
// ServeSDK) and github.com/mark3labs/mcp-go (*server.MCPServer, see
// ServeMCPGo). Each is served over newline-delimited TCP (target
// "tcp://127.0.0.1:PORT", one MCP session per connection) or Streamable HTTP
// (target "http://127.0.0.1:PORT/mcp", in the library's stateful mode or,
// with Options.Stateless, its stateless 2026-07-28 mode).
//
// The Serve* helpers are for tests: they fail the test on error and stop the
// server in t.Cleanup. The Start* functions return (target, stop, error) for
// use outside tests. Only loopback addresses are ever bound.
package adapter
