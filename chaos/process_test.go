package chaos

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childEnv makes the test binary a line echo server on the address it
// holds; it prints "ADDR host:port" and serves until its stdin closes.
const childEnv = "CHAOS_TEST_CHILD_ADDR"

func serveChild(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	fmt.Println("ADDR", ln.Addr())
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(c, c); c.Close() }()
		}
	}()
	_, _ = io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// child is a server this test started: a Process.
type child struct {
	addr  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{}
}

var _ Process = (*child)(nil)

func startChild(t *testing.T) *child {
	t.Helper()
	c := &child{addr: "127.0.0.1:0"}
	if err := c.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.stop() })
	return c
}

func (c *child) start() error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+c.addr)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	line, _ := bufio.NewReader(out).ReadString('\n')
	go func() { _, _ = io.Copy(io.Discard, out); _ = cmd.Wait(); close(done) }()
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "ADDR ")
	if !ok {
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("child said %q", line)
	}
	c.addr, c.cmd, c.stdin, c.done = addr, cmd, stdin, done
	return nil
}

func (c *child) PID() int { return c.cmd.Process.Pid }

func (c *child) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGCONT) // a frozen child cannot exit
	_ = c.stdin.Close()
	select {
	case <-c.done:
	case <-time.After(2 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// Restart reaps the killed server and starts it again on its address.
func (c *child) Restart(ctx context.Context) error {
	_ = c.cmd.Process.Kill()
	<-c.done
	_ = c.stdin.Close()
	var err error
	for range 50 {
		if err = c.start(); err == nil || !wait(ctx, 20*time.Millisecond) {
			return err
		}
	}
	return err
}

func TestFreezeStallsAndThawResumes(t *testing.T) {
	srv := startChild(t)
	c, r := dialLines(t, srv.addr)
	if got, err := roundTrip(c, r, "before"); err != nil || got != "before" {
		t.Fatalf("before the freeze: %q, %v", got, err)
	}
	inj, err := Freeze{Process: srv}.Inject(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, "during\n"); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if line, err := r.ReadString('\n'); err == nil {
		t.Fatalf("a stopped server answered: %q", line)
	}
	thawAt := time.Now()
	if err := inj.Heal(context.Background()); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if line, err := r.ReadString('\n'); err != nil || line != "during\n" {
		t.Fatalf("after SIGCONT: %q, %v", line, err)
	}
	if d := time.Since(thawAt); d > 500*time.Millisecond {
		t.Fatalf("the held line came %v after SIGCONT", d)
	}
}

func TestCrashKillsAndTheRestartAnswersAgain(t *testing.T) {
	srv := startChild(t)
	c, r := dialLines(t, srv.addr)
	if _, err := roundTrip(c, r, "before"); err != nil {
		t.Fatal(err)
	}
	pid := srv.PID()
	ev, err := Apply(context.Background(), Crash{Process: srv}, nil, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	// The old connection died with the process.
	if _, err := roundTrip(c, r, "after"); err == nil {
		t.Fatal("a connection to the killed server still answers")
	}
	if srv.PID() == pid {
		t.Fatal("the restarted server has the old pid")
	}
	c2, r2 := dialLines(t, srv.addr)
	if got, err := roundTrip(c2, r2, "again"); err != nil || got != "again" {
		t.Fatalf("the restarted server: %q, %v", got, err)
	}
	if ev.Kind != KindCrash || ev.Duration() < 200*time.Millisecond || !strings.Contains(ev.Detail, fmt.Sprint(pid)) {
		t.Fatalf("event %+v", ev)
	}
}

// fixedPID is a Process that is not ours.
type fixedPID int

func (p fixedPID) PID() int                    { return int(p) }
func (fixedPID) Restart(context.Context) error { return errors.New("no") }

func TestProcessFaultsRefuseProcessesTheRunDidNotStart(t *testing.T) {
	for _, pid := range []int{0, 1, os.Getpid(), os.Getppid(), 1 << 30} {
		for _, f := range []Fault{Crash{Process: fixedPID(pid)}, Freeze{Process: fixedPID(pid)}} {
			if _, err := f.Inject(context.Background(), nil); err == nil {
				t.Fatalf("%T signalled pid %d", f, pid)
			}
		}
	}
}
