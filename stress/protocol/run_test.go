package protocol

import (
	"context"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/adapter"
	"github.com/mcpstress/mcpstress/framework/client"
)

// TestRunAgainstInProcessServers runs the whole table, under a small
// background load, against in-process Go servers. Whatever they answer is
// logged; the test fails only on a HANG or CRASH, on unaccounted load
// calls, and on a few answers pinned for MCP Go SDK v1.8.0 (from the
// captures in shared/reference/mcp-wire.md) that keep the classifier honest.
func TestRunAgainstInProcessServers(t *testing.T) {
	cases := []struct {
		name  string
		serve func(t *testing.T) string
		// pinned verdicts: case/generation → verdict
		pinned map[[2]string]string
	}{
		{"sdk over tcp", func(t *testing.T) string { return adapter.ServeSDK(t, adapter.NewSDKEchoServer(), adapter.Options{}) },
			map[[2]string]string{
				{"unknown tool", Legacy}:                 VerdictExpected,
				{"request before initialize", Legacy}:    VerdictExpected, // error code 0
				{"unsupported protocol version", Modern}: VerdictExpected,
			}},
		{"sdk over stateless http", func(t *testing.T) string {
			return adapter.ServeSDK(t, adapter.NewSDKEchoServer(), adapter.Options{Transport: adapter.TransportHTTP, Stateless: true})
		}, map[[2]string]string{
			{"Mcp-Name header mismatch", Modern}:  VerdictExpected,
			{"missing Mcp-Method header", Modern}: VerdictExpected,
			{"unknown method", Modern}:            VerdictExpected,
			{"unknown method", Legacy}:            VerdictMismatch, // 400 text/plain, no JSON-RPC error
			{"missing bearer token", Modern}:      VerdictSkipped,
		}},
		{"mcp-go over tcp", func(t *testing.T) string {
			return adapter.ServeMCPGo(t, adapter.NewMCPGoEchoServer(), adapter.Options{})
		}, nil},
		{"mcp-go over stateless http", func(t *testing.T) string {
			return adapter.ServeMCPGo(t, adapter.NewMCPGoEchoServer(), adapter.Options{Transport: adapter.TransportHTTP, Stateless: true})
		}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tgt, err := client.ParseTarget(tc.serve(t), client.Options{})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
			defer cancel()
			rep, err := Run(ctx, Config{Target: tgt, ReplyWait: 2 * time.Second, OversizeBytes: 5 << 20,
				Load: LoadConfig{Sessions: 1, Rate: 50}})
			if err != nil {
				t.Fatal(err)
			}
			t.Log("\n" + rep.Text())
			for _, f := range rep.Failures(false) {
				t.Errorf("%s/%s: %s (%s)", f.Case, f.Generation, f.Verdict, f.Got)
			}
			if rep.Load.Calls != rep.Load.Answered+rep.Load.Failed+rep.Load.Cancelled || rep.Load.Calls == 0 {
				t.Errorf("load accounting: %+v", rep.Load)
			}
			for _, row := range rep.Rows {
				if want, ok := tc.pinned[[2]string{row.Case, row.Generation}]; ok && row.Verdict != want {
					t.Errorf("%s/%s: verdict %s, want %s (got %s)", row.Case, row.Generation, row.Verdict, want, row.Got)
				}
			}
		})
	}
}
