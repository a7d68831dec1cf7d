package client

import (
	"bufio"
	"context"
	"net"
	"testing"
	"time"
)

// FuzzStreamConnAnswers feeds arbitrary server output to a connection after
// one request: the call must end in exactly one valid outcome, promptly, and
// never panic.
func FuzzStreamConnAnswers(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"result":{}}` + "\n",
		`{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"x"}}` + "\n",
		`{"jsonrpc":"2.0","method":"notifications/progress"}` + "\n" + `{"jsonrpc":"2.0","id":1,"result":{"isError":true}}` + "\n",
		`{"jsonrpc":"2.0","id":"srv","method":"ping"}` + "\n",
		"garbage\n",
		`{"jsonrpc":"2.0","id":1,"res`,
		`{"jsonrpc":"2.0","error":{"code":-32700,"message":"parse"},"id":null}` + "\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		cli, srv := net.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer srv.Close()
			r := bufio.NewReader(srv)
			if _, err := r.ReadSlice('\n'); err != nil {
				return
			}
			go func() { _, _ = r.WriteTo(discard{}) }() // keep reading (answers to pings, cancels)
			_ = srv.SetWriteDeadline(time.Now().Add(time.Second))
			_, _ = srv.Write(out)
		}()
		var stats connStats
		c := newStreamConn(cli, 256, &stats, nil, 100*time.Millisecond)
		start := time.Now()
		r := c.roundTrip(context.Background(), time.Time{}, time.Now().Add(200*time.Millisecond), 0, 1, "tools/call", []byte(`{"name":"echo"}`), nil, false)
		if r.Outcome >= numOutcomes || r.Outcome == Dropped || r.Outcome == Cancelled {
			t.Fatalf("outcome %v", r.Outcome)
		}
		if r.Outcome != OK && r.Outcome != ToolError && r.Err == nil {
			t.Fatalf("%v without an error", r.Outcome)
		}
		if time.Since(start) > 2*time.Second {
			t.Fatalf("took %v", time.Since(start))
		}
		c.fail(ErrClosed)
		<-done
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
