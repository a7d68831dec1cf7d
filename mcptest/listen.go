package mcptest

import (
	"context"
	"net"
)

// listen opens a TCP listener on addr. Go already sets SO_REUSEADDR, so a
// restarted server can bind its old port while old connections linger in
// TIME_WAIT; reuse adds SO_REUSEPORT. backlog > 0 sets the listen(2)
// backlog (Options.Backlog), which Go's net package does not expose, so
// listenBacklog makes the socket itself; 0 keeps Go's default (somaxconn).
func listen(ctx context.Context, addr string, reuse bool, backlog int) (net.Listener, error) {
	if backlog > 0 {
		return listenBacklog(ctx, addr, reuse, backlog)
	}
	return listenDefault(ctx, addr, reuse)
}

// listenDefault is listen with Go's default backlog.
func listenDefault(ctx context.Context, addr string, reuse bool) (net.Listener, error) {
	var lc net.ListenConfig
	if reuse {
		lc.Control = reusePort
	}
	return lc.Listen(ctx, "tcp", addr)
}
