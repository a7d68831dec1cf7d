package mcptest

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpstress/mcpstress/wire"
)

func progressCall(id int, tool, args string, modern bool) string {
	meta := `"_meta":{"progressToken":"p` + tool + `"}`
	if modern {
		meta = `"_meta":{"progressToken":"p` + tool + `","io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}`
	}
	return `{"jsonrpc":"2.0","id":` + strconv.Itoa(id) + `,"method":"tools/call","params":{"name":"` + tool + `","arguments":` + args + `,` + meta + `}}`
}

func TestProgressNotificationsPrecedeTheResultOnTCP(t *testing.T) {
	s := startInProcess(t, Options{})
	l := initialized(t, s.Addr())
	for _, c := range []struct{ tool, args string }{{"echo", `{"message":"x"}`}, {"sleep", `{"ms":1}`}} {
		for _, modern := range []bool{false, true} {
			l.send(progressCall(1, c.tool, c.args, modern))
			for want := range 2 {
				n := l.recv()
				p, _ := n["params"].(map[string]any)
				if n["method"] != "notifications/progress" || p["progressToken"] != "p"+c.tool || p["progress"] != float64(want) {
					t.Fatalf("%s: message %d = %v, want progress %d", c.tool, want, n, want)
				}
			}
			if r := l.recv(); r["id"] != float64(1) || errCode(r) != 0 {
				t.Fatalf("%s: result %v", c.tool, r)
			}
		}
	}
	st, _ := s.Stats(context.Background())
	if st.NotificationsSent != 8 {
		t.Errorf("server counted %d notifications sent, want 8", st.NotificationsSent)
	}
}

func TestProgressOverHTTP(t *testing.T) {
	for _, mode := range []string{HTTPResponseSSE, HTTPResponseJSON} {
		t.Run(mode, func(t *testing.T) {
			s := startInProcess(t, Options{Transport: TransportHTTP, HTTPResponse: mode})
			c := newHTTPClient(t)
			r := postMCP(t, c, s.Target(), progressCall(1, "echo", `{"message":"x"}`, true), modernHeaders("tools/call", "echo"))
			events := strings.Count(r.body, "event: message\n")
			want := map[string]int{HTTPResponseSSE: 3, HTTPResponseJSON: 0}[mode]
			if r.status != 200 || events != want || firstText(r.msg) != "x" {
				t.Fatalf("%d, %d events (want %d), body %s", r.status, events, want, r.body)
			}
		})
	}
}

// The SDK client, as oracle, receives our progress notifications.
func TestSDKClientReceivesProgress(t *testing.T) {
	for name, mk := range sdkTransports() {
		if name == "http-json" || name == "http-child-with-token" {
			continue // JSON replies carry no notifications; the child adds nothing here
		}
		for _, version := range []string{wire.Version20260728, wire.Version20251125} {
			t.Run(name+"/"+version, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				var got atomic.Int64
				client := mcp.NewClient(&mcp.Implementation{Name: "oracle", Version: "1"}, &mcp.ClientOptions{
					ProgressNotificationHandler: func(context.Context, *mcp.ProgressNotificationClientRequest) { got.Add(1) },
				})
				tr, _ := mk(t)
				cs, err := client.Connect(ctx, tr, &mcp.ClientSessionOptions{ProtocolVersion: version})
				if err != nil {
					t.Fatal(err)
				}
				defer cs.Close()
				p := &mcp.CallToolParams{Name: "sleep", Arguments: map[string]any{"ms": 10}}
				p.SetProgressToken("tok")
				if _, err := cs.CallTool(ctx, p); err != nil {
					t.Fatal(err)
				}
				// Notifications are handled asynchronously by the SDK: wait
				// for them (bounded) rather than race them.
				for deadline := time.Now().Add(5 * time.Second); got.Load() < 2 && time.Now().Before(deadline); {
					time.Sleep(5 * time.Millisecond) // polling interval
				}
				if n := got.Load(); n != 2 {
					t.Fatalf("SDK client saw %d progress notifications, want 2", n)
				}
			})
		}
	}
}
