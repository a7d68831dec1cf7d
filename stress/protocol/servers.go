package protocol

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	mcpgoserver "github.com/mark3labs/mcp-go/server"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The third-party servers the suite runs against besides the reference
// server: in-process Go servers (served by package adapter) and the Node
// reference server @modelcontextprotocol/server-everything.

type echoArgs struct {
	Message string `json:"message"`
}

type echoResult struct {
	Echo string `json:"echo"`
}

type sleepArgs struct {
	MS int `json:"ms"`
}

// NewSDKServer returns an MCP Go SDK server with the tools the cases use:
// echo {message} and sleep {ms} (at most 5 s; it ends early when the
// request is cancelled).
func NewSDKServer() *mcp.Server {
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

// NewMCPGoServer returns a github.com/mark3labs/mcp-go server with an echo
// tool.
func NewMCPGoServer() *mcpgoserver.MCPServer {
	s := mcpgoserver.NewMCPServer("mcp-go-fixture", "1.2.1", mcpgoserver.WithToolCapabilities(false))
	s.AddTool(mcpgo.NewTool("echo", mcpgo.WithString("message", mcpgo.Required())),
		func(_ context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
			return mcpgo.NewToolResultText(req.GetString("message", "")), nil
		})
	return s
}

// EverythingEntry finds server-everything's entry script as installed by
// .ci/install-node-deps.sh under root (the repository root; the directory
// is $MCP_NODE_DIR if set, else root/.cache/node) and checks that node is on
// PATH. The error says why the Node server cannot run.
func EverythingEntry(root string) (string, error) {
	if _, err := exec.LookPath("node"); err != nil {
		return "", errors.New("node is not on PATH")
	}
	dir := os.Getenv("MCP_NODE_DIR")
	if dir == "" {
		dir = filepath.Join(root, ".cache", "node")
	} else if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	entry := filepath.Join(dir, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js")
	if _, err := os.Stat(entry); err != nil {
		return "", fmt.Errorf("server-everything not installed (%v); run .ci/install-node-deps.sh", err)
	}
	return entry, nil
}

// StartEverythingHTTP runs server-everything's Streamable HTTP mode on a
// free loopback port and returns its target; the process is killed in
// tb.Cleanup. (The Node app listens on every interface of the port it is
// given; the suite only ever connects to 127.0.0.1.)
func StartEverythingHTTP(tb testing.TB, entry string) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("pick a port: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command("node", entry, "streamableHttp")
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port))
	stderr := newTailBuffer(16 << 10)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start server-everything: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	tb.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(3 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			tb.Fatalf("server-everything exited at start: %s", stderr.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return "http://" + addr + "/mcp"
		}
		// Poll the port at a fixed, bounded interval while node starts.
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("server-everything did not listen on %s within 20s: %s", addr, stderr.String())
	return ""
}
