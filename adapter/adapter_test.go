package adapter

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// sdkClientTransport makes an SDK client transport for a target the adapter
// returned, plus a cleanup for what it opened.
func sdkClientTransport(t *testing.T, target string) mcp.Transport {
	t.Helper()
	switch {
	case strings.HasPrefix(target, "tcp://"):
		conn, err := net.Dial("tcp", strings.TrimPrefix(target, "tcp://"))
		if err != nil {
			t.Fatalf("dial %s: %v", target, err)
		}
		t.Cleanup(func() { conn.Close() })
		return &mcp.IOTransport{Reader: conn, Writer: conn}
	case strings.HasPrefix(target, "http://"):
		hc := &http.Client{Transport: &http.Transport{}}
		t.Cleanup(hc.CloseIdleConnections)
		return &mcp.StreamableClientTransport{Endpoint: target, HTTPClient: hc, MaxRetries: -1}
	}
	t.Fatalf("unexpected target %q", target)
	return nil
}

func TestAdapterServesToSDKClient(t *testing.T) {
	cases := []struct {
		name  string
		serve func(t *testing.T) string
		want  string // substring of the echo tool's text content
	}{
		{"sdk over tcp", func(t *testing.T) string { return ServeSDK(t, NewSDKEchoServer(), Options{}) }, `"echo":"hi`},
		{"sdk over stateful http", func(t *testing.T) string {
			return ServeSDK(t, NewSDKEchoServer(), Options{Transport: TransportHTTP})
		}, `"echo":"hi`},
		{"sdk over stateless http", func(t *testing.T) string {
			return ServeSDK(t, NewSDKEchoServer(), Options{Transport: TransportHTTP, Stateless: true})
		}, `"echo":"hi`},
		{"sdk over stateless http with json replies", func(t *testing.T) string {
			return ServeSDK(t, NewSDKEchoServer(), Options{Transport: TransportHTTP, Stateless: true, JSONResponse: true})
		}, `"echo":"hi`},
		{"mcp-go over tcp", func(t *testing.T) string { return ServeMCPGo(t, NewMCPGoEchoServer(), Options{}) }, "hi"},
		{"mcp-go over http", func(t *testing.T) string {
			return ServeMCPGo(t, NewMCPGoEchoServer(), Options{Transport: TransportHTTP})
		}, "hi"},
		{"mcp-go over stateless http", func(t *testing.T) string {
			return ServeMCPGo(t, NewMCPGoEchoServer(), Options{Transport: TransportHTTP, Stateless: true})
		}, "hi"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			target := tc.serve(t)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			// Two sessions at once: a server must hold more than one.
			for i := range 2 {
				client := mcp.NewClient(&mcp.Implementation{Name: "adapter-test", Version: "0"}, nil)
				cs, err := client.Connect(ctx, sdkClientTransport(t, target), nil)
				if err != nil {
					t.Fatalf("session %d: connect %s: %v", i, target, err)
				}
				t.Cleanup(func() { cs.Close() })
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"message": fmt.Sprintf("hi%d", i)}})
				if err != nil {
					t.Fatalf("session %d: call echo: %v", i, err)
				}
				if res.IsError || len(res.Content) == 0 {
					t.Fatalf("session %d: echo result %+v", i, res)
				}
				text, ok := res.Content[0].(*mcp.TextContent)
				if !ok || !strings.Contains(text.Text, tc.want) {
					t.Fatalf("session %d: echo text = %#v, want it to contain %q", i, res.Content[0], tc.want)
				}
			}
		})
	}
}

func TestStopEndsOpenSessions(t *testing.T) {
	for _, tr := range []string{TransportTCP, TransportHTTP} {
		t.Run(tr, func(t *testing.T) {
			target, stop, err := StartSDK(NewSDKEchoServer(), Options{Transport: tr})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			client := mcp.NewClient(&mcp.Implementation{Name: "adapter-test", Version: "0"}, nil)
			cs, err := client.Connect(ctx, sdkClientTransport(t, target), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer cs.Close()
			// Stop while the session is still open: it must return, and
			// goleak (TestMain) checks that nothing of the session is left.
			done := make(chan error, 1)
			go func() { done <- stop() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("stop: %v", err)
				}
			case <-ctx.Done():
				t.Fatal("stop did not return with a session open")
			}
			if err := stop(); err != nil {
				t.Fatalf("second stop: %v", err)
			}
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	cases := []struct {
		name    string
		opts    Options
		wantErr []string
	}{
		{"zero value is tcp", Options{}, nil},
		{"http with path", Options{Transport: TransportHTTP, Path: "/x", Stateless: true, JSONResponse: true}, nil},
		{"unknown transport", Options{Transport: "udp"}, []string{`unknown Transport "udp"`}},
		{"http-only fields on tcp, all reported", Options{Stateless: true, JSONResponse: true, Path: "/mcp"},
			[]string{"Stateless", "JSONResponse", "Path"}},
		{"relative path", Options{Transport: TransportHTTP, Path: "mcp"}, []string{"must start with /"}},
		{"non-loopback address", Options{Addr: "0.0.0.0:0"}, []string{"not a loopback"}},
		{"host name address", Options{Addr: "localhost:0"}, []string{"not a loopback"}},
		{"negative timeout", Options{ShutdownTimeout: -time.Second}, []string{"negative ShutdownTimeout"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.Validate()
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors %q", tc.wantErr)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v, missing %q", err, w)
				}
			}
		})
	}
}

func TestStartRejectsBadInput(t *testing.T) {
	if _, _, err := StartSDK(nil, Options{}); err == nil {
		t.Error("StartSDK(nil) succeeded")
	}
	if _, _, err := StartMCPGo(nil, Options{}); err == nil {
		t.Error("StartMCPGo(nil) succeeded")
	}
	if _, _, err := StartSDK(NewSDKEchoServer(), Options{Transport: "udp"}); err == nil {
		t.Error("StartSDK with an invalid transport succeeded")
	}
}

func TestNodeEverythingOverHTTP(t *testing.T) {
	entry, err := EverythingEntry("..")
	if err != nil {
		t.Skipf("Node server-everything unavailable: %v", err)
	}
	if testing.Short() {
		t.Skip("starts node processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client := mcp.NewClient(&mcp.Implementation{Name: "adapter-test", Version: "0"}, nil)
	cs, err := client.Connect(ctx, sdkClientTransport(t, ServeEverythingHTTP(t, entry)), nil)
	if err != nil {
		t.Fatalf("connect over http: %v", err)
	}
	defer cs.Close()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"message": "hi"}})
	if err != nil || res.IsError {
		t.Fatalf("echo over http: %v %+v", err, res)
	}
	if got := EverythingStdioTarget(entry); !strings.HasPrefix(got, "stdio:node ") || !strings.HasSuffix(got, " stdio") {
		t.Errorf("EverythingStdioTarget = %q", got)
	}
}

// A connection that never sends a request (an HTTP client's spare dial,
// put in its idle pool unused) must not hold stop for the 5 s net/http
// waits before it treats such a connection as idle.
func TestStopClosesConnectionsThatSentNothing(t *testing.T) {
	target, stop, err := StartSDK(NewSDKEchoServer(), Options{Transport: TransportHTTP, ShutdownTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimSuffix(strings.TrimPrefix(target, "http://"), "/mcp")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	time.Sleep(50 * time.Millisecond) // the server accepts it (state new)
	start := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("stop took %v with an unused connection open", d)
	}
}
