package client_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/internal/loopbacktest"
	"github.com/mcpstress/mcpstress/wire"
)

// garbageServer accepts connections on loopback and answers every line a
// client sends with the same fuzzed bytes (plus a newline), at most
// maxReplies times per connection, then closes it.
func garbageServer(t testing.TB, reply []byte) string {
	const maxReplies = 8
	return loopbacktest.Serve(t, func(c net.Conn) {
		r := bufio.NewReaderSize(c, 64<<10)
		for range maxReplies {
			c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := r.ReadSlice('\n'); err != nil && err != bufio.ErrBufferFull {
				return
			}
			if _, err := c.Write(append(append([]byte(nil), reply...), '\n')); err != nil {
				return
			}
		}
	})
}

// FuzzClientAgainstGarbage: whatever bytes a server answers with, the lean
// client neither panics nor hangs: Connect fails or succeeds within its
// timeout, and a Call ends in exactly one classified outcome within the
// per-request timeout. Memory is bounded by Options.MaxFrame.
func FuzzClientAgainstGarbage(f *testing.F) {
	seeds := []string{
		``,
		`{}`,
		`null`,
		`[]`,
		`not json at all`,
		"\x00\xff\xfe",
		`{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-11-25","capabilities":{},"serverInfo":{"name":"g","version":"1"}}}`,
		`{"jsonrpc":"2.0","id":1,"result":{"resultType":"complete","supportedVersions":["2026-07-28"],"capabilities":{}}}`,
		`{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}`,
		`{"jsonrpc":"2.0","id":1,"error":{"code":"x","message":7}}`,
		`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}`,
		`{"jsonrpc":"2.0","id":"1","result":null}`,
		`{"jsonrpc":"2.0","id":1e400,"result":{}}`,
		`{"jsonrpc":"2.0","id":1,"result":{"isError":"yes"}}`,
		`{"jsonrpc":"2.0","method":"notifications/progress","params":{}}`,
		`{"jsonrpc":"2.0","id":9,"method":"roots/list"}`,
		`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[`,
		`{"jsonrpc":"2.0","id":1,"result":{"a":"` + strings.Repeat("a", 70000) + `"}}`, // over MaxFrame
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, reply []byte) {
		if len(reply) > 256<<10 {
			t.Skip("bounded input")
		}
		addr := garbageServer(t, reply)
		for _, protocol := range []string{wire.Version20251125, wire.Version20260728} {
			target, err := client.ParseTarget("tcp://"+addr, client.Options{
				Protocol:       protocol,
				Timeout:        200 * time.Millisecond,
				ConnectTimeout: 500 * time.Millisecond,
				MaxFrame:       64 << 10,
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			start := time.Now()
			sess, err := target.Connect(ctx)
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("%s: Connect took %v against %q", protocol, elapsed, reply)
			}
			if err != nil {
				cancel()
				continue // refusing garbage is the right answer
			}
			start = time.Now()
			resp := sess.Call(ctx, client.Request{Method: "tools/list", Params: json.RawMessage(`{}`)})
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("%s: Call took %v against %q", protocol, elapsed, reply)
			}
			if int(resp.Outcome) >= client.NumOutcomes {
				t.Errorf("%s: unclassified outcome %d", protocol, resp.Outcome)
			}
			if resp.Outcome != client.OK && resp.Outcome != client.ToolError && resp.Err == nil {
				t.Errorf("%s: outcome %v without an error", protocol, resp.Outcome)
			}
			sess.Close()
			cancel()
		}
	})
}
