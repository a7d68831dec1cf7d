package client_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/mcptest"
	"github.com/mcpstress/mcpstress/wire"
)

// TestReferenceServerEndToEnd runs the lean client against the reference
// server in its own process, over each transport, in both generations.
func TestReferenceServerEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	for _, transport := range []string{mcptest.TransportTCP, mcptest.TransportHTTP, mcptest.TransportStdio} {
		srv := mcptest.StartServer(t, mcptest.Options{Transport: transport})
		for _, protocol := range []string{"", wire.Version20251125} {
			t.Run(transport+" "+protocol, func(t *testing.T) {
				tg, err := client.ParseTarget(srv.Target(), client.Options{Protocol: protocol})
				if err != nil {
					t.Fatal(err)
				}
				if c, ok := tg.(interface{ Close() error }); ok {
					defer c.Close()
				}
				s, err := tg.Connect(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				cs := s.(client.ClientSession)
				if protocol != "" && cs.Protocol() != protocol {
					t.Fatalf("protocol %q, want %q", cs.Protocol(), protocol)
				}
				tests := []struct {
					req  client.Request
					want client.Outcome
				}{
					{client.Request{Method: "tools/list", Params: json.RawMessage(`{}`)}, client.OK},
					{client.Request{Method: "tools/call", Name: "echo", Params: json.RawMessage(`{"name":"echo","arguments":{"message":"hi"}}`)}, client.OK},
					{client.Request{Method: "tools/call", Name: "fail", Params: json.RawMessage(`{"name":"fail","arguments":{}}`)}, client.ToolError},
					{client.Request{Method: "tools/call", Name: "error", Params: json.RawMessage(`{"name":"error","arguments":{"code":-32603}}`)}, client.RPCError},
				}
				for _, tt := range tests {
					if r := s.Call(context.Background(), tt.req); r.Outcome != tt.want {
						t.Errorf("%s %s: %v %v, want %v", tt.req.Method, tt.req.Name, r.Outcome, r.Err, tt.want)
					}
				}
			})
		}
	}
}
