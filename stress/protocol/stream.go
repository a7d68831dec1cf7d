package protocol

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/mcpstress/mcpstress/internal/tailbuf"
	"github.com/mcpstress/mcpstress/wire"
)

// maxReply bounds one inbound frame or HTTP body the probes accept: room
// for the echo of the oversized-frame case, and no more.
const maxReply = 40 << 20

// streamConn is one newline-framed connection: a TCP socket or the
// stdin/stdout of a spawned stdio server. A reader goroutine turns frames
// into messages; it ends when the connection closes.
type streamConn struct {
	write   func([]byte, time.Time) error // bytes, write deadline
	closeFn func() error
	frames  chan frame
	done    chan struct{} // closed when the reader stops (peer closed)
	readErr error         // valid after done

	// stdio only
	proc   *stdioProc
	closed sync.Once
}

type frame struct {
	msg wire.Message
	raw []byte
	bad bool // not a JSON-RPC message
}

func newStreamConn(r interface{ Read([]byte) (int, error) }, write func([]byte, time.Time) error, closeFn func() error) *streamConn {
	c := &streamConn{write: write, closeFn: closeFn, frames: make(chan frame, 256), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		fr := wire.NewFrameReader(r, maxReply)
		for {
			line, err := fr.Next()
			if errors.Is(err, wire.ErrFrameTooLarge) {
				continue
			}
			if err != nil {
				c.readErr = err
				return
			}
			f := frame{raw: append([]byte(nil), line...)}
			if json.Unmarshal(f.raw, &f.msg) != nil {
				f.bad = true
			}
			c.frames <- f
		}
	}()
	return c
}

// dialTCP opens a TCP stream connection.
func dialTCP(ctx context.Context, addr string) (*streamConn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	var wmu sync.Mutex
	write := func(b []byte, deadline time.Time) error {
		wmu.Lock()
		defer wmu.Unlock()
		conn.SetWriteDeadline(deadline)
		_, err := conn.Write(b)
		return err
	}
	return newStreamConn(conn, write, conn.Close), nil
}

// stdioProc is a spawned stdio server.
type stdioProc struct {
	cmd    *exec.Cmd
	stderr *tailbuf.Buffer
	exited chan struct{}
	state  *os.ProcessState
	werr   error
}

// spawnStdio starts a stdio server process. stdin and stdout are plain
// pipes (so Wait never races the reader); stderr is kept (the last 16 KiB)
// for the report.
func spawnStdio(command []string, env []string) (*streamConn, error) {
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
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Stdin, cmd.Stdout = inR, outW
	p := &stdioProc{cmd: cmd, stderr: tailbuf.New(16 << 10), exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	if err := cmd.Start(); err != nil {
		inR.Close()
		inW.Close()
		outR.Close()
		outW.Close()
		return nil, fmt.Errorf("start %q: %w", command[0], err)
	}
	inR.Close()
	outW.Close()
	go func() {
		p.werr = cmd.Wait()
		p.state = cmd.ProcessState
		close(p.exited)
	}()
	var wmu sync.Mutex
	write := func(b []byte, deadline time.Time) error {
		wmu.Lock()
		defer wmu.Unlock()
		inW.SetWriteDeadline(deadline)
		_, err := inW.Write(b)
		return err
	}
	closeFn := func() error {
		inW.Close() // EOF on stdin: a well-behaved server exits
		select {
		case <-p.exited:
		case <-time.After(3 * time.Second):
			cmd.Process.Kill()
			<-p.exited
		}
		return outR.Close()
	}
	c := newStreamConn(outR, write, closeFn)
	c.proc = p
	return c, nil
}

// exitedEarly reports whether a stdio process has died (and how).
func (c *streamConn) exitedEarly() (string, bool) {
	if c.proc == nil {
		return "", false
	}
	select {
	case <-c.proc.exited:
		desc := "exited"
		if c.proc.state != nil {
			desc = c.proc.state.String()
		}
		if tail := c.proc.stderr.String(); tail != "" {
			desc += "; stderr tail: " + excerpt(tail, 300)
		}
		return desc, true
	default:
		return "", false
	}
}

// waitExit waits up to d for a stdio process to exit (no-op for TCP).
func (c *streamConn) waitExit(d time.Duration) {
	if c.proc == nil {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.proc.exited:
	case <-t.C:
	}
}

// writeCtx writes b with ctx's deadline (10 s without one): a server that
// stops reading cannot block a probe.
func (c *streamConn) writeCtx(ctx context.Context, b []byte) error {
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(10 * time.Second)
	}
	return c.write(b, dl)
}

func (c *streamConn) close() error {
	var err error
	c.closed.Do(func() {
		err = c.closeFn()
		// Let the reader finish: drain what it still delivers.
		for {
			select {
			case <-c.frames:
				continue
			case <-c.done:
				return
			case <-time.After(3 * time.Second):
				return
			}
		}
	})
	return err
}

// await returns the first response (no method) that match accepts, skipping
// notifications and server requests, until ctx ends (ok=false) or the peer
// closes (closed=true).
func (c *streamConn) await(ctx context.Context, match func(wire.Message) bool) (f frame, ok, closed bool) {
	for {
		select {
		case f := <-c.frames:
			if f.bad {
				return f, true, false // garbage from the server is an answer too
			}
			if f.msg.Method != "" {
				continue
			}
			if match == nil || match(f.msg) {
				return f, true, false
			}
		case <-c.done:
			// Deliver frames that arrived before the close.
			select {
			case f := <-c.frames:
				if !f.bad && f.msg.Method == "" && (match == nil || match(f.msg)) {
					return f, true, false
				}
				continue
			default:
			}
			return frame{}, false, true
		case <-ctx.Done():
			return frame{}, false, false
		}
	}
}

// excerpt shortens s for a table cell.
func excerpt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("…(%d bytes)", len(s))
}
