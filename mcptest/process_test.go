package mcptest

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// reaped reports whether pid no longer exists (killed and waited for: a
// zombie would still answer signal 0).
func reaped(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

func TestStartServerRunsAChildProcess(t *testing.T) {
	var pid int
	t.Run("serve", func(t *testing.T) {
		s := StartServer(t, Options{})
		pid = s.PID()
		if pid == 0 || pid == os.Getpid() {
			t.Fatalf("PID %d: not a child process", pid)
		}
		if !strings.HasPrefix(s.Target(), "tcp://127.0.0.1:") || s.ControlURL() == "" {
			t.Fatalf("target %q control %q", s.Target(), s.ControlURL())
		}
		l := initialized(t, s.Addr())
		if r := l.call(reqLine(1, "tools/call", `"name":"echo","arguments":{"message":"child"}`, false)); firstText(r) != "child" {
			t.Fatalf("reply %v", r)
		}
		ctx := context.Background()
		st, err := s.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.PID != pid || st.Total("tools/call", OutcomeOK) != 1 {
			t.Fatalf("stats %+v", st)
		}
		if err := s.SetFaults(ctx, Faults{FailFraction: 1}); err != nil {
			t.Fatal(err)
		}
		if r := l.call(reqLine(2, "tools/call", `"name":"echo","arguments":{"message":"x"}`, false)); errCode(r) != -32603 {
			t.Fatalf("fault not applied in child: %v", r)
		}
	})
	// The subtest's Cleanup has run: the child must be gone, not a zombie.
	if !reaped(pid) {
		t.Fatalf("child %d still exists after Cleanup", pid)
	}
}

func TestKillAndRestart(t *testing.T) {
	for _, inProcess := range []bool{false, true} {
		name := "child"
		if inProcess {
			name = "in-process"
		}
		t.Run(name, func(t *testing.T) {
			s := StartServer(t, Options{InProcess: inProcess})
			addr, pid := s.Addr(), s.PID()
			l := initialized(t, addr)
			if err := s.Kill(); err != nil {
				t.Fatal(err)
			}
			if !inProcess && !reaped(pid) {
				t.Fatalf("killed child %d not reaped", pid)
			}
			_ = l.c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := l.c.Write([]byte(reqLine(1, "ping", "", false) + "\n")); err == nil {
				if _, err := l.br.ReadByte(); err == nil {
					t.Fatal("a killed server answered")
				}
			}
			if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				c.Close()
				t.Fatal("a killed server accepted a connection")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := s.Restart(ctx); err != nil {
				t.Fatal(err)
			}
			if s.Addr() != addr {
				t.Fatalf("restarted on %s, want %s", s.Addr(), addr)
			}
			if !inProcess && s.PID() == pid {
				t.Fatal("restart kept the old pid")
			}
			l2 := initialized(t, addr)
			if r := l2.call(reqLine(1, "ping", "", false)); errCode(r) != 0 {
				t.Fatalf("after restart: %v", r)
			}
		})
	}
}

func TestStartRejectsBadOptions(t *testing.T) {
	err := Options{Transport: "carrier-pigeon", MaxFrame: -1, HTTPResponse: "xml", ControlAddr: "0.0.0.0:1", Backlog: -1}.Validate()
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"Transport", "MaxFrame", "HTTPResponse", "ControlAddr", "Backlog"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if _, err := Start(context.Background(), Options{Transport: "x"}); err == nil {
		t.Error("Start accepted invalid options")
	}
}

func TestChildExitsWhenItsParentGoesAway(t *testing.T) {
	p, _, err := startProcess(context.Background(), Options{ControlAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	// Closing the child's stdin is what the kernel does when this process
	// dies: the child must exit by itself, cleanly (not by a signal).
	_ = p.stdin.Close()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.kill()
		t.Fatal("child still running 10s after its stdin closed")
	}
	if st := p.cmd.ProcessState; !st.Exited() || st.ExitCode() != 0 {
		t.Fatalf("child ended with %v, want a clean exit", st)
	}
}
