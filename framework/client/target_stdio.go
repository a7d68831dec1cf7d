package client

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// StdioTarget is an MCP server spawned as a process per session, speaking
// newline-delimited JSON-RPC on its stdin and stdout. Its stderr is kept in a
// bounded buffer per session (StreamSession.Stderr) and copied to
// Options.Stderr when set.
type StdioTarget struct {
	Command string
	Args    []string
	Env     []string // extra "KEY=value" entries on top of the parent's environment
	Dir     string
	Options Options

	sessions atomic.Uint64
	live     atomic.Int64 // sessions and StartProcess processes not yet closed: each holds one process
}

var _ Target = (*StdioTarget)(nil)

// String implements Target.
func (t *StdioTarget) String() string {
	return "stdio:" + strings.Join(append([]string{t.Command}, t.Args...), " ")
}

// Connect implements Target: it starts the process and performs the handshake.
func (t *StdioTarget) Connect(ctx context.Context) (Session, error) {
	return t.ConnectSession(ctx)
}

// ConnectSession is Connect returning the concrete session.
func (t *StdioTarget) ConnectSession(ctx context.Context) (*StreamSession, error) {
	opts := t.Options.withDefaults()
	release, err := t.acquireProcess(opts) // stdio_process.go, shared with StartProcess
	if err != nil {
		return nil, err
	}
	ring, stderr := stderrSink(opts)
	s := newStreamSession(t.String(), opts, t.sessions.Add(1), func(ctx context.Context) (streamIO, error) {
		return t.start(stderr)
	})
	s.stderr = ring
	s.onClose = release
	st, err := s.connect(ctx)
	if err != nil {
		s.Close()
		if tail := ring.Bytes(); len(tail) > 0 {
			err = fmt.Errorf("%w; server stderr: %s", err, lastLines(tail, 5))
		}
		return nil, fmt.Errorf("connect %s: %w", t, err)
	}
	s.cur.Store(st)
	return s, nil
}

// process is a running stdio server: our ends of its stdin and stdout
// pipes, which support deadlines.
type process struct {
	cmd    *exec.Cmd
	stdin  *os.File
	stdout *os.File
	done   chan struct{}
	once   sync.Once
}

func startProcess(name string, args, env []string, dir string, stderr io.Writer) (*process, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	cmd := exec.Command(name, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, stderr
	cmd.Dir = dir
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.WaitDelay = time.Second // bounds the stderr copy after exit
	if err := cmd.Start(); err != nil {
		for _, f := range []*os.File{inR, inW, outR, outW} {
			f.Close()
		}
		return nil, err
	}
	inR.Close()
	outW.Close()
	p := &process{cmd: cmd, stdin: inW, stdout: outR, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *process) Read(b []byte) (int, error)  { return p.stdout.Read(b) }
func (p *process) Write(b []byte) (int, error) { return p.stdin.Write(b) }

func (p *process) SetReadDeadline(t time.Time) error  { return p.stdout.SetReadDeadline(t) }
func (p *process) SetWriteDeadline(t time.Time) error { return p.stdin.SetWriteDeadline(t) }

// Close ends the server the polite way first (stdin EOF), then kills it,
// and always reaps it.
func (p *process) Close() error {
	p.once.Do(func() {
		_ = p.stdin.Close()
		t := time.NewTimer(500 * time.Millisecond)
		select {
		case <-p.done:
		case <-t.C:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		t.Stop()
		_ = p.stdout.Close()
	})
	return nil
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
