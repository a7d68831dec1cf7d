package adapter

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework/client"
)

// TestAdapterServesToLeanClient connects the project's own client (the one
// the load path uses) through the adapter, in every generation it
// negotiates with each server.
func TestAdapterServesToLeanClient(t *testing.T) {
	cases := []struct {
		name  string
		serve func(t *testing.T) string
		want  string
	}{
		{"sdk over tcp", func(t *testing.T) string { return ServeSDK(t, NewSDKEchoServer(), Options{}) }, `"echo":"hi"`},
		{"sdk over stateless http", func(t *testing.T) string {
			return ServeSDK(t, NewSDKEchoServer(), Options{Transport: TransportHTTP, Stateless: true})
		}, `"echo":"hi"`},
		{"sdk over stateful http", func(t *testing.T) string {
			return ServeSDK(t, NewSDKEchoServer(), Options{Transport: TransportHTTP})
		}, `"echo":"hi"`},
		{"mcp-go over tcp", func(t *testing.T) string { return ServeMCPGo(t, NewMCPGoEchoServer(), Options{}) }, `"text":"hi"`},
		{"mcp-go over stateless http", func(t *testing.T) string {
			return ServeMCPGo(t, NewMCPGoEchoServer(), Options{Transport: TransportHTTP, Stateless: true})
		}, `"text":"hi"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			target, err := client.ParseTarget(tc.serve(t), client.Options{Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if c, ok := target.(io.Closer); ok {
				t.Cleanup(func() { c.Close() })
			}
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			sess, err := target.Connect(ctx)
			if err != nil {
				t.Fatalf("connect %s: %v", target, err)
			}
			defer sess.Close()
			params, _ := json.Marshal(map[string]any{"name": "echo", "arguments": map[string]any{"message": "hi"}})
			resp := sess.Call(ctx, client.Request{Method: "tools/call", Name: "echo", Params: params})
			if resp.Outcome != client.OK {
				t.Fatalf("echo: outcome %v code %d err %v", resp.Outcome, resp.Code, resp.Err)
			}
			if !strings.Contains(string(resp.Result), tc.want) {
				t.Fatalf("echo result %s, want it to contain %s", resp.Result, tc.want)
			}
		})
	}
}
