//go:build !linux

package mcptest

import (
	"context"
	"errors"
	"net"
	"syscall"
)

func reusePort(_, _ string, _ syscall.RawConn) error {
	return errors.New("mcptest: ReusePort is only supported on Linux")
}

const reusePortSupported = false

// listenBacklog ignores backlog outside Linux: Go's net package does not
// expose the listen(2) backlog, and the server makes its own socket to set
// it only on Linux (listen_backlog_linux.go). Options.Backlog documents
// this; the listener gets Go's default backlog.
func listenBacklog(ctx context.Context, addr string, reuse bool, _ int) (net.Listener, error) {
	return listenDefault(ctx, addr, reuse)
}
