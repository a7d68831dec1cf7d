package client

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpstress/mcpstress/wire"
)

// The MCP Go SDK server is the oracle: our client must talk to it over TCP,
// stdio and HTTP, in both generations, the way the SDK's own client does.

type echoIn struct {
	Message string `json:"message"`
}
type echoOut struct {
	Echo string `json:"echo"`
}

func newSDKServer() *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "sdk-oracle", Version: "1.0.0"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "echo", Description: "echoes"}, func(ctx context.Context, req *mcp.CallToolRequest, in echoIn) (*mcp.CallToolResult, echoOut, error) {
		return nil, echoOut{Echo: in.Message}, nil
	})
	mcp.AddTool(s, &mcp.Tool{Name: "upper", Description: "upper-cases"}, func(ctx context.Context, req *mcp.CallToolRequest, in echoIn) (*mcp.CallToolResult, echoOut, error) {
		return nil, echoOut{Echo: strings.ToUpper(in.Message)}, nil
	})
	s.AddResource(&mcp.Resource{URI: "mem://hello", Name: "hello", MIMEType: "text/plain"}, func(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: req.Params.URI, MIMEType: "text/plain", Text: "hello"}}}, nil
	})
	s.AddPrompt(&mcp.Prompt{Name: "greet", Arguments: []*mcp.PromptArgument{{Name: "who", Required: true}}}, func(ctx context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		return &mcp.GetPromptResult{Messages: []*mcp.PromptMessage{{Role: "user", Content: &mcp.TextContent{Text: "hi " + req.Params.Arguments["who"]}}}}, nil
	})
	return s
}

// startSDKTCP serves the SDK server over newline-delimited TCP.
func startSDKTCP(t testing.TB) string {
	t.Helper()
	srv := newSDKServer()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	var sessions []*mcp.ServerSession
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			ss, err := srv.Connect(ctx, &mcp.IOTransport{Reader: c, Writer: c}, nil)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			sessions = append(sessions, ss)
			mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); _ = ss.Wait() }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, ss := range sessions {
			ss.Close()
		}
		mu.Unlock()
		cancel()
		wg.Wait()
	})
	return ln.Addr().String()
}

func startSDKHTTP(t testing.TB, opts mcp.StreamableHTTPOptions) string {
	t.Helper()
	srv := newSDKServer()
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, &opts)
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL + "/mcp"
}

// TestHelperSDKStdioServer is not a test: re-executed as a child process it
// is the SDK server on stdio (a separate program for the end-to-end test).
func TestHelperSDKStdioServer(t *testing.T) {
	if os.Getenv("MCPSTRESS_SDK_STDIO_SERVER") != "1" {
		t.Skip("helper process only")
	}
	os.Stderr.WriteString("sdk stdio server starting\n")
	srv := newSDKServer()
	if os.Getenv("MCPSTRESS_SDK_STDIO_EXIT_TOOL") == "1" {
		mcp.AddTool(srv, &mcp.Tool{Name: "exit"}, func(ctx context.Context, req *mcp.CallToolRequest, in echoIn) (*mcp.CallToolResult, echoOut, error) {
			os.Stderr.WriteString("exiting on request\n")
			os.Exit(3)
			return nil, echoOut{}, nil
		})
	}
	_ = srv.Run(context.Background(), &mcp.StdioTransport{})
	os.Exit(0)
}

func sdkStdioTarget(t testing.TB, opts Options) *StdioTarget {
	t.Helper()
	return &StdioTarget{
		Command: os.Args[0],
		Args:    []string{"-test.run=^TestHelperSDKStdioServer$"},
		Env:     []string{"MCPSTRESS_SDK_STDIO_SERVER=1"},
		Options: opts,
	}
}

// conformance runs the scenario of the issue on one session: list tools,
// call each, read a resource, get a prompt, and the two error classes.
func conformance(t *testing.T, s ClientSession) {
	t.Helper()
	ctx := context.Background()
	r := s.Call(ctx, Request{Method: "tools/list", Params: json.RawMessage(`{}`)})
	if r.Outcome != OK {
		t.Fatalf("tools/list: %v %v", r.Outcome, r.Err)
	}
	var list struct {
		Tools []struct{ Name string } `json:"tools"`
	}
	if err := json.Unmarshal(r.Result, &list); err != nil || len(list.Tools) != 2 {
		t.Fatalf("tools/list result %s (%v)", r.Result, err)
	}
	for _, tool := range list.Tools {
		r := s.Call(ctx, Request{Method: "tools/call", Name: tool.Name, Params: json.RawMessage(`{"name":"` + tool.Name + `","arguments":{"message":"hi"}}`)})
		if r.Outcome != OK || !strings.Contains(strings.ToLower(string(r.Result)), `"echo":"hi"`) {
			t.Fatalf("tools/call %s: %v %s %v", tool.Name, r.Outcome, r.Result, r.Err)
		}
	}
	r = s.Call(ctx, Request{Method: "resources/read", Name: "mem://hello", Params: json.RawMessage(`{"uri":"mem://hello"}`)})
	if r.Outcome != OK || !strings.Contains(string(r.Result), `"text":"hello"`) {
		t.Fatalf("resources/read: %v %s %v", r.Outcome, r.Result, r.Err)
	}
	r = s.Call(ctx, Request{Method: "prompts/get", Name: "greet", Params: json.RawMessage(`{"name":"greet","arguments":{"who":"bob"}}`)})
	if r.Outcome != OK || !strings.Contains(string(r.Result), "hi bob") {
		t.Fatalf("prompts/get: %v %s %v", r.Outcome, r.Result, r.Err)
	}
	r = s.Call(ctx, Request{Method: "tools/call", Name: "nope", Params: json.RawMessage(`{"name":"nope","arguments":{}}`)})
	if r.Outcome != RPCError || r.Code != wire.CodeInvalidParams {
		t.Fatalf("unknown tool: %v code %d %v", r.Outcome, r.Code, r.Err)
	}
	r = s.Call(ctx, Request{Method: "tools/call", Name: "echo", Params: json.RawMessage(`{"name":"echo","arguments":{"message":7}}`)})
	if r.Outcome != ToolError {
		t.Fatalf("bad arguments: %v %s %v", r.Outcome, r.Result, r.Err)
	}
	if !strings.Contains(string(s.ServerInfo()), "sdk-oracle") {
		t.Fatalf("server info %s", s.ServerInfo())
	}
}

func TestConformanceWithSDKServer(t *testing.T) {
	tcpAddr := startSDKTCP(t)
	stateless := startSDKHTTP(t, mcp.StreamableHTTPOptions{Stateless: true})
	stateful := startSDKHTTP(t, mcp.StreamableHTTPOptions{})
	jsonMode := startSDKHTTP(t, mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true})
	tests := []struct {
		name, target, protocol, want string
	}{
		{"tcp newest", "tcp://" + tcpAddr, "", wire.Version20260728},
		{"tcp 2025-11-25", "tcp://" + tcpAddr, wire.Version20251125, wire.Version20251125},
		{"tcp 2025-06-18", "tcp://" + tcpAddr, wire.Version20250618, wire.Version20250618},
		{"stdio newest", "stdio", "", wire.Version20260728},
		{"stdio 2025-11-25", "stdio", wire.Version20251125, wire.Version20251125},
		{"http stateless newest", stateless, "", wire.Version20260728},
		{"http stateless 2025-11-25", stateless, wire.Version20251125, wire.Version20251125},
		{"http stateful falls back to legacy", stateful, "", wire.Version20251125},
		{"http stateful 2025-06-18", stateful, wire.Version20250618, wire.Version20250618},
		{"http JSON responses 2026", jsonMode, wire.Version20260728, wire.Version20260728},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{Protocol: tt.protocol}
			var tg Target
			if tt.target == "stdio" {
				tg = sdkStdioTarget(t, opts)
			} else {
				var err error
				if tg, err = ParseTarget(tt.target, opts); err != nil {
					t.Fatal(err)
				}
			}
			if c, ok := tg.(interface{ Close() error }); ok {
				t.Cleanup(func() { c.Close() })
			}
			sess, err := tg.Connect(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close()
			cs := sess.(ClientSession)
			if cs.Protocol() != tt.want {
				t.Fatalf("protocol %q, want %q", cs.Protocol(), tt.want)
			}
			if hs, ok := sess.(*HTTPSession); ok && tt.target == stateful && hs.SessionID() == "" {
				t.Fatal("no Mcp-Session-Id on a stateful legacy session")
			}
			conformance(t, cs)
		})
	}
}
