package adapter

import (
	"context"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	mcpgoserver "github.com/mark3labs/mcp-go/server"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Small servers built with each supported library, for examples and for the
// suites that run "against a server built with X" (they are what a user's
// own server looks like to the adapter).

type echoArgs struct {
	Message string `json:"message"`
}

type echoResult struct {
	Echo string `json:"echo"`
}

type sleepArgs struct {
	MS int `json:"ms"`
}

// NewSDKEchoServer returns an MCP Go SDK server with the tools the cases use:
// echo {message} and sleep {ms} (at most 5 s; it ends early when the
// request is cancelled).
func NewSDKEchoServer() *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "go-sdk-fixture", Version: "1.8.0"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "echo", Description: "Returns the message it is given."},
		func(_ context.Context, _ *mcp.CallToolRequest, in echoArgs) (*mcp.CallToolResult, echoResult, error) {
			return nil, echoResult{Echo: in.Message}, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "sleep", Description: "Waits ms milliseconds (at most 5000)."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in sleepArgs) (*mcp.CallToolResult, echoResult, error) {
			d := time.Duration(min(max(in.MS, 0), 5000)) * time.Millisecond
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
				return nil, echoResult{}, ctx.Err()
			}
			return nil, echoResult{Echo: "slept"}, nil
		})
	return s
}

// NewMCPGoEchoServer returns a github.com/mark3labs/mcp-go server with an echo
// tool.
func NewMCPGoEchoServer() *mcpgoserver.MCPServer {
	s := mcpgoserver.NewMCPServer("mcp-go-fixture", "1.2.1", mcpgoserver.WithToolCapabilities(false))
	s.AddTool(mcpgo.NewTool("echo", mcpgo.WithString("message", mcpgo.Required())),
		func(_ context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
			return mcpgo.NewToolResultText(req.GetString("message", "")), nil
		})
	return s
}
