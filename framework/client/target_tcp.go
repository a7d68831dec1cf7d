package client

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
)

// TCPTarget is an MCP server speaking newline-delimited JSON-RPC over TCP.
type TCPTarget struct {
	Addr    string // host:port
	Options Options

	sessions atomic.Uint64
}

var _ Target = (*TCPTarget)(nil)

// NewTCPTarget returns a target for addr with opts (validated).
func NewTCPTarget(addr string, opts Options) (*TCPTarget, error) {
	t, err := ParseTarget("tcp://"+addr, opts)
	if err != nil {
		return nil, err
	}
	return t.(*TCPTarget), nil
}

// String implements Target.
func (t *TCPTarget) String() string { return "tcp://" + t.Addr }

// Connect implements Target: it dials and performs the handshake.
func (t *TCPTarget) Connect(ctx context.Context) (Session, error) {
	return t.ConnectSession(ctx)
}

// ConnectSession is Connect returning the concrete session.
func (t *TCPTarget) ConnectSession(ctx context.Context) (*StreamSession, error) {
	opts := t.Options.withDefaults()
	n := t.sessions.Add(1)
	var d net.Dialer
	if k := len(opts.SourceAddrs); k > 0 {
		// Session n dials from source address n mod k (validated).
		dialFrom(&d, opts.SourceAddrs[int((n-1)%uint64(k))])
	}
	s := newStreamSession(t.String(), opts, n, func(ctx context.Context) (streamIO, error) {
		c, err := d.DialContext(ctx, "tcp", t.Addr)
		if err != nil {
			return nil, err
		}
		return c.(*net.TCPConn), nil
	})
	st, err := s.connect(ctx)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("connect %s: %w", t, err)
	}
	s.cur.Store(st)
	return s, nil
}
