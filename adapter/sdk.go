package adapter

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// ServeSDK serves srv (an MCP Go SDK server) on loopback as opts says and
// returns its target string. The server is stopped in tb.Cleanup; any
// failure to start fails the test.
func ServeSDK(tb testing.TB, srv *mcp.Server, opts Options) string {
	tb.Helper()
	return serveInTest(tb, "adapter.ServeSDK", func() (string, func() error, error) { return StartSDK(srv, opts) })
}

// StartSDK is ServeSDK for use outside tests: it returns the target, a stop
// function (idempotent) that ends every session the adapter opened, and an
// error if opts is invalid or the listener cannot be opened.
//
// Over TCP each accepted connection is one SDK session (Server.Connect on an
// mcp.IOTransport of the connection). Over HTTP the server is behind
// mcp.NewStreamableHTTPHandler with opts' Stateless and JSONResponse.
func StartSDK(srv *mcp.Server, opts Options) (target string, stop func() error, err error) {
	if srv == nil {
		return "", nil, fmt.Errorf("adapter: nil *mcp.Server")
	}
	opts, ln, err := listenFor(opts)
	if err != nil {
		return "", nil, err
	}
	if opts.Transport == TransportTCP {
		cs := serveConns(ln, func(ctx context.Context, conn net.Conn) { serveSDKConn(ctx, srv, conn) })
		return cs.target(), cs.stop, nil
	}
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, &mcp.StreamableHTTPOptions{
		Stateless:    opts.Stateless,
		JSONResponse: opts.JSONResponse,
	})
	tracker := trackSessions(h)
	hs := serveHTTP(ln, opts.Path, tracker, opts.ShutdownTimeout, func() { tracker.closeAll(opts.Path) })
	return hs.target(), hs.stop, nil
}

// serveSDKConn runs one SDK session on conn until the peer hangs up or ctx
// ends.
func serveSDKConn(ctx context.Context, srv *mcp.Server, conn net.Conn) {
	ss, err := srv.Connect(ctx, &mcp.IOTransport{Reader: conn, Writer: conn}, nil)
	if err != nil {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		ss.Wait()
	}()
	select {
	case <-done:
	case <-ctx.Done():
		ss.Close()
		<-done
	}
}
