package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/internal/tailbuf"
	"github.com/mcpstress/mcpstress/mcptest"
)

// Each stdio session is a process: a target refuses sessions past its cap
// with an error naming the option, and a closed session frees its slot.
func TestStdioTargetCapsItsProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	srv := mcptest.StartServer(t, mcptest.Options{Transport: mcptest.TransportStdio})
	tg, err := client.ParseTarget(srv.Target(), client.Options{MaxStdioProcesses: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := tg.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tg.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tg.Connect(ctx); err == nil || !strings.Contains(err.Error(), "MaxStdioProcesses") {
		t.Fatalf("third session: err = %v, want the cap named", err)
	}
	a.Close()
	a.Close() // a second Close must not free a second slot
	c, err := tg.Connect(ctx)
	if err != nil {
		t.Fatalf("after closing one: %v", err)
	}
	if _, err := tg.Connect(ctx); err == nil {
		t.Fatal("a double Close freed two slots")
	}
	resp := c.Call(ctx, client.Request{Method: "tools/list", Params: json.RawMessage(`{}`)})
	if resp.Outcome != client.OK {
		t.Fatalf("tools/list on the reopened slot: %v %v", resp.Outcome, resp.Err)
	}
	b.Close()
	c.Close()
}

// Options.Stderr receives what every stdio server process writes to
// stderr (the suites keep it for the report).
func TestStdioTargetCopiesStderr(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	// A shell stdio "server" that writes to stderr and then answers nothing.
	tail := tailbuf.New(1 << 10)
	tg, err := client.ParseTarget(`stdio:sh -c "echo boom-from-the-server >&2; exec cat >/dev/null"`,
		client.Options{Stderr: tail, ConnectTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tg.Connect(context.Background()); err == nil {
		t.Fatal("a server that never answers completed a handshake")
	}
	if !bytes.Contains(tail.Bytes(), []byte("boom-from-the-server")) {
		t.Fatalf("stderr copy %q lacks the server's line", tail.Bytes())
	}
}
