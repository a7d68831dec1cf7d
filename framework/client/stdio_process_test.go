package client_test

import (
	"bufio"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework/client"
)

// StartProcess spawns the server a session would (command, Env, stderr
// tail) without a handshake, and its process counts against the same cap as
// the target's sessions until Close frees it, once.
func TestStdioTargetStartProcessSharesTheSessionsSpawner(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	tg, err := client.ParseTarget(`stdio:sh -c "echo started >&2; echo \"$GREETING\"; exec cat"`,
		client.Options{MaxStdioProcesses: 1})
	if err != nil {
		t.Fatal(err)
	}
	st := tg.(*client.StdioTarget)
	st.Env = []string{"GREETING=hello from env"}

	p, err := st.StartProcess()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	out := bufio.NewReader(p)
	if err := p.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if line, err := out.ReadString('\n'); err != nil || line != "hello from env\n" {
		t.Fatalf("first stdout line %q, %v: want the Env entry", line, err)
	}
	if _, err := p.Write([]byte("raw bytes, no JSON\n")); err != nil {
		t.Fatal(err)
	}
	if line, err := out.ReadString('\n'); err != nil || line != "raw bytes, no JSON\n" {
		t.Fatalf("echo %q, %v", line, err)
	}

	if _, err := st.StartProcess(); err == nil || !strings.Contains(err.Error(), "MaxStdioProcesses") {
		t.Fatalf("a second process past the cap: err = %v, want the cap named", err)
	}
	if _, err := st.Connect(context.Background()); err == nil || !strings.Contains(err.Error(), "MaxStdioProcesses") {
		t.Fatalf("a session past the cap: err = %v, want the cap named", err)
	}
	if p.ExitState() != nil {
		t.Fatal("ExitState of a running process is not nil")
	}

	p.Close()
	p.Close() // a second Close must not free a second slot
	select {
	case <-p.Exited():
	default:
		t.Fatal("Exited not closed after Close")
	}
	if p.ExitState() == nil {
		t.Fatal("no ExitState after exit")
	}
	if got := string(p.Stderr()); !strings.Contains(got, "started") {
		t.Fatalf("stderr tail %q lacks the process's line", got)
	}
	q, err := st.StartProcess()
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	defer q.Close()
	if _, err := st.StartProcess(); err == nil {
		t.Fatal("a double Close freed two slots")
	}
}
