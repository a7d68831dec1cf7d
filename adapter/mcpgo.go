package adapter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpstress/mcpstress/wire"
)

// MaxFrame is the inbound frame limit of the adapter's own TCP framing for
// mcp-go servers (the SDK adapter uses the SDK's framing and its 16 MiB
// limit). An oversized frame is answered with -32600 and discarded.
const MaxFrame = wire.DefaultMaxFrame

// maxInFlight bounds the requests one mcp-go TCP connection serves at once;
// the read loop waits (back-pressure) when it is reached.
const maxInFlight = 64

// ServeMCPGo serves srv (a github.com/mark3labs/mcp-go server) on loopback
// as opts says and returns its target string. The server is stopped in
// tb.Cleanup; any failure to start fails the test.
func ServeMCPGo(tb testing.TB, srv *server.MCPServer, opts Options) string {
	tb.Helper()
	return serveInTest(tb, "adapter.ServeMCPGo", func() (string, func() error, error) { return StartMCPGo(srv, opts) })
}

// StartMCPGo is ServeMCPGo for use outside tests.
//
// Over TCP each connection gets its own mcp-go in-process session (mcp-go's
// stdio server shares one session per process, so it cannot serve several
// connections): newline frames are read with a MaxFrame limit and passed to
// MCPServer.HandleMessage, requests concurrently (at most 64 per
// connection), notifications in order. Over HTTP the server is behind
// server.NewStreamableHTTPServer, in its default session mode or, with
// opts.Stateless, server.WithStateLess(true).
func StartMCPGo(srv *server.MCPServer, opts Options) (target string, stop func() error, err error) {
	if srv == nil {
		return "", nil, fmt.Errorf("adapter: nil *server.MCPServer")
	}
	opts, ln, err := listenFor(opts)
	if err != nil {
		return "", nil, err
	}
	if opts.Transport == TransportTCP {
		cs := serveConns(ln, func(ctx context.Context, conn net.Conn) { serveMCPGoConn(ctx, srv, conn) })
		return cs.target(), cs.stop, nil
	}
	httpOpts := []server.StreamableHTTPOption{
		server.WithStreamableHTTPLogger(slog.New(slog.DiscardHandler)),
	}
	if opts.Stateless {
		httpOpts = append(httpOpts, server.WithStateLess(true))
	}
	h := server.NewStreamableHTTPServer(srv, httpOpts...)
	hs := serveHTTP(ln, opts.Path, h, opts.ShutdownTimeout, func() { h.CloseSessions(context.Background()) })
	return hs.target(), hs.stop, nil
}

// serveMCPGoConn runs one mcp-go session on conn until the peer hangs up or
// ctx ends.
func serveMCPGoConn(ctx context.Context, srv *server.MCPServer, conn net.Conn) {
	sess := server.NewInProcessSession("adapter-tcp-"+conn.RemoteAddr().String(), nil)
	if err := srv.RegisterSession(ctx, sess); err != nil {
		return
	}
	defer srv.UnregisterSession(context.Background(), sess.SessionID())

	ctx, cancel := context.WithCancel(srv.WithContext(ctx, sess))
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	// Unblock the read loop below when ctx ends.
	stopRead := context.AfterFunc(ctx, func() { conn.Close() })
	defer stopRead()

	var writeMu sync.Mutex
	write := func(msg any) {
		b, err := json.Marshal(msg)
		if err != nil {
			return
		}
		writeMu.Lock()
		defer writeMu.Unlock()
		conn.Write(append(b, '\n'))
	}

	wg.Add(1)
	go func() { // server → client notifications
		defer wg.Done()
		for {
			select {
			case n := <-sess.ClientNotifications():
				write(n)
			case <-ctx.Done():
				return
			}
		}
	}()

	sem := make(chan struct{}, maxInFlight)
	fr := wire.NewFrameReader(conn, MaxFrame)
	for {
		line, err := fr.Next()
		if errors.Is(err, wire.ErrFrameTooLarge) {
			write(wire.Message{JSONRPC: "2.0", ID: json.RawMessage("null"), Error: &wire.Error{
				Code: wire.CodeInvalidRequest, Message: err.Error()}})
			continue
		}
		if err != nil { // EOF, closed by stop, or a broken connection
			cancel()
			return
		}
		msg := json.RawMessage(append([]byte(nil), line...))
		var head struct {
			ID any `json:"id"`
		}
		if json.Unmarshal(msg, &head) != nil || head.ID == nil {
			// Notifications and undecodable frames in arrival order.
			if resp := handleMCPGo(ctx, srv, msg); resp != nil {
				write(resp)
			}
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if resp := handleMCPGo(ctx, srv, msg); resp != nil {
				write(resp)
			}
		}()
	}
}

// handleMCPGo passes one frame to mcp-go, turning a handler panic into an
// internal error instead of a crashed test binary.
func handleMCPGo(ctx context.Context, srv *server.MCPServer, msg json.RawMessage) (resp any) {
	defer func() {
		if r := recover(); r != nil {
			var head struct {
				ID json.RawMessage `json:"id"`
			}
			json.Unmarshal(msg, &head)
			if len(head.ID) == 0 {
				resp = nil
				return
			}
			resp = wire.Message{JSONRPC: "2.0", ID: head.ID, Error: &wire.Error{
				Code: wire.CodeInternalError, Message: fmt.Sprintf("handler panic: %v", r)}}
		}
	}()
	if r := srv.HandleMessage(ctx, msg); r != nil {
		return r
	}
	return nil
}

var _ http.Handler = (*server.StreamableHTTPServer)(nil)
