package mcptest

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/wire"
)

func TestStdioTarget(t *testing.T) {
	s := StartServer(t, Options{Transport: TransportStdio, MaxFrame: 4096})
	if s.PID() != 0 || !strings.HasPrefix(s.Target(), "stdio:") || !strings.Contains(s.Target(), ServeArg) {
		t.Fatalf("target %q pid %d", s.Target(), s.PID())
	}
	fields := strings.Fields(strings.TrimPrefix(s.Target(), "stdio:"))
	cmd := exec.Command(fields[0], fields[1:]...)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	br := bufio.NewReader(stdout)
	call := func(line string) map[string]any {
		t.Helper()
		if _, err := stdin.Write([]byte(line + "\n")); err != nil {
			t.Fatal(err)
		}
		b, err := br.ReadBytes('\n')
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%v: %q", err, b)
		}
		return m
	}
	cases := []struct {
		name, line string
		want       int
	}{
		{"before initialize", reqLine(1, "tools/list", "", false), wire.CodeInvalidRequest},
		{"malformed JSON keeps the stream", `{"id":`, wire.CodeParseError},
		{"oversized frame", `"` + strings.Repeat("z", 5000) + `"`, wire.CodeInvalidRequest},
		{"modern without initialize", reqLine(2, "tools/call", `"name":"echo","arguments":{"message":"m"}`, true), 0},
		{"initialize", initLine, 0},
		{"legacy after initialize", reqLine(3, "tools/call", `"name":"add","arguments":{"a":1,"b":1}`, false), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if r := call(c.line); errCode(r) != c.want {
				t.Fatalf("code %d, want %d: %v", errCode(r), c.want, r)
			}
		})
	}
	stdin.Close() // EOF ends the session and the process
	select {
	case err := <-done:
		done <- err
		if err != nil {
			t.Fatalf("exit: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stdio server did not exit on stdin EOF")
	}
}

func TestQuoteArg(t *testing.T) {
	cases := map[string]string{
		"/usr/bin/x":  "/usr/bin/x",
		"/tmp/a b/x":  "'/tmp/a b/x'",
		"it's":        `"it's"`,
		`a"b c'd\e`:   `"a\"b c'd\\e"`,
		"":            "''",
		"-addr=1.2:3": "-addr=1.2:3",
	}
	for in, want := range cases {
		if got := quoteArg(in); got != want {
			t.Errorf("quoteArg(%q) = %s, want %s", in, got, want)
		}
	}
}
