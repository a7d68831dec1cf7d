package mcptest

import (
	"context"
	"net"
)

// listen opens a TCP listener on addr. Go already sets SO_REUSEADDR, so a
// restarted server can bind its old port while old connections linger in
// TIME_WAIT; reuse adds SO_REUSEPORT.
func listen(ctx context.Context, addr string, reuse bool) (net.Listener, error) {
	var lc net.ListenConfig
	if reuse {
		lc.Control = reusePort
	}
	return lc.Listen(ctx, "tcp", addr)
}
