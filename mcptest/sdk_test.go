package mcptest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpstress/mcpstress/wire"
)

// The MCP Go SDK v1.8.0 client is the oracle: it must complete a session
// with our server over every transport in both generations. With
// ProtocolVersion 2026-07-28 (its default) the SDK client sends
// server/discover and stays stateless; with 2025-11-25 it sends
// initialize (mcp-wire.md §5.1).

// sdkTransports make an SDK transport to a fresh server, and return the
// server (nil for stdio, whose per-session process has no control port).
func sdkTransports() map[string]func(t *testing.T) (mcp.Transport, *Server) {
	return map[string]func(t *testing.T) (mcp.Transport, *Server){
		"tcp": func(t *testing.T) (mcp.Transport, *Server) {
			s := startInProcess(t, Options{})
			c, err := net.Dial("tcp", s.Addr())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			return &mcp.IOTransport{Reader: c, Writer: c}, s
		},
		"stdio": func(t *testing.T) (mcp.Transport, *Server) {
			s := StartServer(t, Options{Transport: TransportStdio})
			fields := strings.Fields(strings.TrimPrefix(s.Target(), "stdio:"))
			return &mcp.CommandTransport{Command: exec.Command(fields[0], fields[1:]...)}, nil
		},
		"http-json": func(t *testing.T) (mcp.Transport, *Server) {
			s := startInProcess(t, Options{Transport: TransportHTTP})
			return &mcp.StreamableClientTransport{Endpoint: s.Target(), HTTPClient: newHTTPClient(t)}, s
		},
		"http-sse": func(t *testing.T) (mcp.Transport, *Server) {
			s := startInProcess(t, Options{Transport: TransportHTTP, HTTPResponse: HTTPResponseSSE})
			return &mcp.StreamableClientTransport{Endpoint: s.Target(), HTTPClient: newHTTPClient(t)}, s
		},
		"http-child-with-token": func(t *testing.T) (mcp.Transport, *Server) {
			s := StartServer(t, Options{Transport: TransportHTTP, Token: "tok"})
			c := newHTTPClient(t)
			c.Transport = bearer{token: "tok", next: c.Transport}
			return &mcp.StreamableClientTransport{Endpoint: s.Target(), HTTPClient: c}, s
		},
	}
}

type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

func TestSDKClientConformance(t *testing.T) {
	for name, mk := range sdkTransports() {
		for _, version := range []string{wire.Version20260728, wire.Version20251125, wire.Version20250618} {
			t.Run(name+"/"+version, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				client := mcp.NewClient(&mcp.Implementation{Name: "oracle", Version: "1"}, nil)
				tr, srv := mk(t)
				cs, err := client.Connect(ctx, tr, &mcp.ClientSessionOptions{ProtocolVersion: version})
				if err != nil {
					t.Fatalf("connect: %v", err)
				}
				defer cs.Close()
				if got := cs.InitializeResult().ProtocolVersion; got != version {
					t.Fatalf("negotiated %s, want %s", got, version)
				}
				sdkExercise(ctx, t, cs)
				if srv == nil {
					return
				}
				// The server saw the generation the client negotiated.
				st, err := srv.Stats(ctx)
				if err != nil {
					t.Fatal(err)
				}
				inits, discovers := st.Total("initialize", OutcomeOK), st.Total("server/discover", OutcomeOK)
				if modern := wire.IsModern(version); (modern && (inits != 0 || discovers != 1)) || (!modern && inits != 1) {
					t.Errorf("%s: server counted %d initialize and %d discover", version, inits, discovers)
				}
				if got := st.Total("tools/call", ""); got != 7 {
					t.Errorf("server counted %d tools/call, the client made 7", got)
				}
			})
		}
	}
}

func sdkExercise(ctx context.Context, t *testing.T, cs *mcp.ClientSession) {
	t.Helper()
	lt, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	if len(lt.Tools) != len(newToolset().list) {
		t.Fatalf("%d tools, want %d", len(lt.Tools), len(newToolset().list))
	}
	text := func(r *mcp.CallToolResult) string {
		if len(r.Content) == 0 {
			return ""
		}
		if tc, ok := r.Content[0].(*mcp.TextContent); ok {
			return tc.Text
		}
		return ""
	}
	calls := []struct {
		name     string
		args     map[string]any
		wantText string
		isError  bool
		rpcCode  int64
	}{
		{"echo", map[string]any{"message": "oracle"}, "oracle", false, 0},
		{"add", map[string]any{"a": 1, "b": 2}, "3", false, 0},
		{"sleep", map[string]any{"ms": 5}, "slept 5 ms", false, 0},
		{"cpu", map[string]any{"us": 50}, "", false, 0},
		{"large", map[string]any{"bytes": 100000}, "", false, 0},
		{"fail", nil, "", true, 0},
		{"error", map[string]any{"code": -32603}, "", false, -32603},
	}
	for _, c := range calls {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: c.name, Arguments: c.args})
		if c.rpcCode != 0 {
			var we *jsonrpc.Error
			if !errors.As(err, &we) || we.Code != c.rpcCode {
				t.Errorf("%s: err %v, want JSON-RPC %d", c.name, err, c.rpcCode)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if res.IsError != c.isError {
			t.Errorf("%s: isError %v", c.name, res.IsError)
		}
		if c.wantText != "" && text(res) != c.wantText {
			t.Errorf("%s: text %q, want %q", c.name, text(res), c.wantText)
		}
		if c.name == "large" && len(text(res)) != 100000 {
			t.Errorf("large: %d bytes", len(text(res)))
		}
	}
	rr, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: resourceHello})
	if err != nil || len(rr.Contents) != 1 || rr.Contents[0].Text != helloText {
		t.Errorf("resources/read: %v %+v", err, rr)
	}
	gp, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "greet", Arguments: map[string]string{"name": "SDK"}})
	if err != nil || len(gp.Messages) != 1 {
		t.Fatalf("prompts/get: %v %+v", err, gp)
	}
	if tc, ok := gp.Messages[0].Content.(*mcp.TextContent); !ok || tc.Text != "Hello, SDK!" {
		t.Errorf("prompt text %+v", gp.Messages[0].Content)
	}
}
