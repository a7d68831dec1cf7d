package protocol

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/wire"
)

// maxReply bounds one inbound frame or HTTP body the probes accept: room
// for the echo of the oversized-frame case, and no more.
const maxReply = 40 << 20

// rawStream is a connection the probes write raw bytes to: a TCP socket,
// or the stdin and stdout of a stdio server (client.Process).
type rawStream interface {
	io.ReadWriteCloser
	SetWriteDeadline(time.Time) error
}

// streamConn is one newline-framed connection: a TCP socket or the
// stdin/stdout of a spawned stdio server. A reader goroutine turns frames
// into messages; it ends when the connection closes.
type streamConn struct {
	rw      rawStream
	wmu     sync.Mutex
	frames  chan frame
	done    chan struct{} // closed when the reader stops (peer closed)
	readErr error         // valid after done

	// stdio only
	proc   *client.Process
	closed sync.Once
}

type frame struct {
	msg wire.Message
	raw []byte
	bad bool // not a JSON-RPC message
}

func newStreamConn(rw rawStream) *streamConn {
	c := &streamConn{rw: rw, frames: make(chan frame, 256), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		fr := wire.NewFrameReader(rw, maxReply)
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

// dialTCP opens a TCP stream connection to a client.TCPTarget's address.
func dialTCP(ctx context.Context, addr string) (*streamConn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return newStreamConn(conn), nil
}

// startStdio starts a stdio server process the way the lean client's
// sessions do (client.StdioTarget.StartProcess: same command, environment,
// stderr tail and process cap) and frames its stdin and stdout. Closing the
// connection closes stdin, then kills and reaps the process.
func startStdio(t *client.StdioTarget) (*streamConn, error) {
	proc, err := t.StartProcess()
	if err != nil {
		return nil, err
	}
	c := newStreamConn(proc)
	c.proc = proc
	return c, nil
}

// exitedEarly reports whether a stdio process has died (and how).
func (c *streamConn) exitedEarly() (string, bool) {
	if c.proc == nil {
		return "", false
	}
	select {
	case <-c.proc.Exited():
		desc := "exited"
		if st := c.proc.ExitState(); st != nil {
			desc = st.String()
		}
		if tail := c.proc.Stderr(); len(tail) > 0 {
			desc += "; stderr tail: " + excerpt(string(tail), 300)
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
	case <-c.proc.Exited():
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
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.rw.SetWriteDeadline(dl)
	_, err := c.rw.Write(b)
	return err
}

func (c *streamConn) close() error {
	var err error
	c.closed.Do(func() {
		err = c.rw.Close()
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
