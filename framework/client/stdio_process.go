package client

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/mcpstress/mcpstress/internal/tailbuf"
)

// Process is one server process of a StdioTarget, started by StartProcess
// without a session on it: its stdin and stdout as a raw byte stream, for
// callers that must write bytes the lean client never would (the protocol
// suite's malformed frames). It is the same process a session runs on:
// same command, environment, directory, stderr tail and process cap.
type Process struct {
	proc    *process
	stderr  *tailbuf.Buffer
	release func()
	once    sync.Once
}

// StartProcess starts one server process of t, the way each of its sessions
// does, and performs no handshake. The process counts against
// Options.MaxStdioProcesses with t's sessions until Close; its stderr is
// kept (the last Options.StderrLimit bytes, see Stderr) and copied to
// Options.Stderr when set.
func (t *StdioTarget) StartProcess() (*Process, error) {
	opts := t.Options.withDefaults()
	release, err := t.acquireProcess(opts)
	if err != nil {
		return nil, err
	}
	ring, stderr := stderrSink(opts)
	p, err := t.start(stderr)
	if err != nil {
		release()
		return nil, fmt.Errorf("start %s: %w", t, err)
	}
	return &Process{proc: p, stderr: ring, release: release}, nil
}

// Read reads the process's stdout.
func (p *Process) Read(b []byte) (int, error) { return p.proc.Read(b) }

// Write writes to the process's stdin.
func (p *Process) Write(b []byte) (int, error) { return p.proc.Write(b) }

// SetReadDeadline sets the deadline of reads from stdout.
func (p *Process) SetReadDeadline(t time.Time) error { return p.proc.SetReadDeadline(t) }

// SetWriteDeadline sets the deadline of writes to stdin.
func (p *Process) SetWriteDeadline(t time.Time) error { return p.proc.SetWriteDeadline(t) }

// Exited is closed when the process has exited and been reaped.
func (p *Process) Exited() <-chan struct{} { return p.proc.done }

// ExitState is how the process ended: nil until Exited is closed.
func (p *Process) ExitState() *os.ProcessState {
	select {
	case <-p.proc.done:
		return p.proc.cmd.ProcessState
	default:
		return nil
	}
}

// Stderr returns the last bytes the process wrote to stderr.
func (p *Process) Stderr() []byte { return p.stderr.Bytes() }

// Close ends the process as a session's Close does (stdin EOF, then kill),
// reaps it and frees its slot under Options.MaxStdioProcesses. Safe to call
// more than once.
func (p *Process) Close() error {
	p.once.Do(func() {
		_ = p.proc.Close()
		p.release()
	})
	return nil
}

// acquireProcess takes one of t's Options.MaxStdioProcesses slots (a
// session holds one for its life, a Process until Close); release frees it
// and may be called more than once.
func (t *StdioTarget) acquireProcess(opts Options) (release func(), err error) {
	if n := t.live.Add(1); n > int64(opts.MaxStdioProcesses) {
		t.live.Add(-1)
		return nil, fmt.Errorf("stdio target %s: %d processes (one per session) are already running; Options.MaxStdioProcesses caps them at %d", t, n-1, opts.MaxStdioProcesses)
	}
	var once sync.Once
	return func() { once.Do(func() { t.live.Add(-1) }) }, nil
}

// stderrSink is where a stdio server's stderr goes: a ring keeping the
// last Options.StderrLimit bytes, and Options.Stderr when set.
func stderrSink(opts Options) (*tailbuf.Buffer, io.Writer) {
	ring := tailbuf.New(opts.StderrLimit)
	if opts.Stderr != nil {
		return ring, io.MultiWriter(ring, opts.Stderr)
	}
	return ring, ring
}

// start spawns t's command: the one place a stdio server process is
// started.
func (t *StdioTarget) start(stderr io.Writer) (*process, error) {
	return startProcess(t.Command, t.Args, t.Env, t.Dir, stderr)
}
