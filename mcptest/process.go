package mcptest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mcpstress/mcpstress/internal/tailbuf"
)

// ServeArg is the reserved first argument that turns any binary importing
// mcptest (a test binary included) into the reference server: package
// mcptest's init sees it, runs Main with the remaining arguments, and
// exits. StartServer re-executes the running binary this way, so no build
// or install step is needed.
const ServeArg = "__mcptest_serve__"

func init() {
	if len(os.Args) > 1 && os.Args[1] == ServeArg {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Main(ctx, os.Args[2:], os.Stdin, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
}

// process is one child server process.
type process struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	done   chan struct{} // closed once the process has been reaped
	stderr *tailbuf.Buffer
}

type readyInfo struct {
	target, control string
	pid             int
}

// startTimeout bounds how long a child may take to print READY.
const startTimeout = 15 * time.Second

// startProcess re-executes this binary as a server with opts and waits
// for its READY line.
func startProcess(ctx context.Context, opts Options) (*process, readyInfo, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, readyInfo{}, fmt.Errorf("mcptest: finding this executable: %w", err)
	}
	args := append([]string{ServeArg, "-exit-on-stdin-eof"}, opts.args()...)
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), opts.Env...)
	if opts.Token != "" {
		cmd.Env = append(cmd.Env, "MCPTEST_TOKEN="+opts.Token)
	}
	// The child watches its stdin (-exit-on-stdin-eof): if this process
	// dies without cleaning up, the pipe closes and the child exits too.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, readyInfo{}, err
	}
	ready := &readyWriter{ch: make(chan string, 1)}
	p := &process{cmd: cmd, stdin: stdin, done: make(chan struct{}), stderr: tailbuf.New(16 << 10)}
	cmd.Stdout = ready
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		return nil, readyInfo{}, fmt.Errorf("mcptest: starting %s: %w", exe, err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t := time.NewTimer(startTimeout)
	defer t.Stop()
	select {
	case line := <-ready.ch:
		info, err := parseReady(line)
		if err != nil {
			p.kill()
			return nil, readyInfo{}, err
		}
		return p, info, nil
	case <-p.done:
		return nil, readyInfo{}, fmt.Errorf("mcptest: server process exited before READY (%v); stderr:\n%s", cmd.ProcessState, p.stderr)
	case <-t.C:
		p.kill()
		return nil, readyInfo{}, fmt.Errorf("mcptest: server process not READY within %v; stderr:\n%s", startTimeout, p.stderr)
	case <-ctx.Done():
		p.kill()
		return nil, readyInfo{}, ctx.Err()
	}
}

func parseReady(line string) (readyInfo, error) {
	var info readyInfo
	rest, ok := strings.CutPrefix(line, "MCPTEST READY ")
	if !ok {
		return info, fmt.Errorf("mcptest: unexpected first line from server: %q", line)
	}
	for f := range strings.FieldsSeq(rest) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "mcp":
			info.target = v
		case "control":
			if v != "-" {
				info.control = v
			}
		case "pid":
			info.pid, _ = strconv.Atoi(v)
		}
	}
	if info.target == "" || info.pid == 0 {
		return info, fmt.Errorf("mcptest: malformed READY line %q", line)
	}
	return info, nil
}

// stop ends the child gracefully (its stdin closes, so it shuts down) and
// kills it if it has not exited within grace. It always reaps it.
func (p *process) stop(grace time.Duration) {
	_ = p.stdin.Close()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
		p.kill()
	}
}

// kill sends SIGKILL and reaps the child.
func (p *process) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
	_ = p.stdin.Close()
}

// readyWriter receives the child's stdout and hands over its first line.
type readyWriter struct {
	mu   sync.Mutex
	buf  []byte
	sent bool
	ch   chan string
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sent {
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	if i := bytes.IndexByte(w.buf, '\n'); i >= 0 {
		w.sent = true
		w.ch <- string(w.buf[:i])
		w.buf = nil
	} else if len(w.buf) > 4096 {
		w.sent = true
		w.ch <- string(w.buf)
		w.buf = nil
	}
	return len(p), nil
}

var errNoProcess = errors.New("mcptest: no server process")
