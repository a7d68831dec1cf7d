package mcptest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// instance is one running server in this process: the MCP listener, the
// optional control endpoint, and every goroutine they started.
type instance struct {
	opts    Options
	h       *handler
	ln      net.Listener
	ctlLn   net.Listener
	httpSrv *http.Server
	ctlSrv  *http.Server
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	pid     int
	faults  *faultState
}

// startRuntime starts serving opts (Transport tcp, http or rawecho) in
// this process, with h (nil: a new one). For stdio only the control
// endpoint is started; the caller serves the stream. pid is reported in
// /stats (0 in-process).
func startRuntime(ctx context.Context, opts Options, pid int, h *handler) (*instance, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	if h == nil {
		h = newHandler(opts.Faults)
	}
	rt := &instance{opts: opts, h: h, pid: pid, faults: h.faults}
	rt.ctx, rt.cancel = context.WithCancel(context.Background())
	if opts.Transport != TransportStdio {
		ln, err := listen(ctx, opts.Addr, opts.ReusePort, opts.Backlog)
		if err != nil {
			rt.cancel()
			return nil, fmt.Errorf("mcptest: listen %s: %w", opts.Addr, err)
		}
		rt.ln = ln
	}
	if opts.ControlAddr != "" {
		var err error
		if rt.ctlLn, err = listen(ctx, opts.ControlAddr, false, 0); err != nil {
			if rt.ln != nil {
				rt.ln.Close()
			}
			rt.cancel()
			return nil, fmt.Errorf("mcptest: control listen %s: %w", opts.ControlAddr, err)
		}
		rt.ctlSrv = &http.Server{Handler: rt.controlMux(), ReadHeaderTimeout: 10 * time.Second}
		rt.wg.Go(func() { _ = rt.ctlSrv.Serve(rt.ctlLn) })
	}
	ln := rt.ln
	switch opts.Transport {
	case TransportStdio:
	case TransportHTTP:
		rt.httpSrv = &http.Server{
			Handler:           newHTTPHandler(h, opts),
			ReadHeaderTimeout: 30 * time.Second,
			BaseContext:       func(net.Listener) context.Context { return rt.ctx },
			// Called once per accepted connection, in accept order.
			ConnContext: func(ctx context.Context, _ net.Conn) context.Context {
				return withConnIndex(ctx, h.newConn())
			},
		}
		rt.wg.Go(func() { _ = rt.httpSrv.Serve(ln) })
	default:
		rt.wg.Go(func() { rt.acceptLoop(opts.Transport == TransportRawEcho) })
	}
	return rt, nil
}

// acceptLoop serves TCP connections, one goroutine each.
func (rt *instance) acceptLoop(raw bool) {
	backoff := 5 * time.Millisecond
	for {
		c, err := rt.ln.Accept()
		if err != nil {
			if rt.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait and retry, as
			// net/http does, rather than spin or give up.
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-rt.ctx.Done():
				t.Stop()
				return
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		index := rt.h.newConn() // here, not in the goroutine: accept order
		rt.wg.Go(func() {
			stop := context.AfterFunc(rt.ctx, func() { c.Close() })
			defer stop()
			defer c.Close()
			if raw {
				serveRawEcho(c, c)
				return
			}
			rt.h.serveStream(rt.ctx, c, c, rt.opts.MaxFrame, index)
		})
	}
}

// target is the target string of the MCP listener.
func (rt *instance) target() string { return targetFor(rt.opts.Transport, rt.ln.Addr().String()) }

func targetFor(transport, addr string) string {
	switch transport {
	case TransportHTTP:
		return "http://" + addr + "/mcp"
	case TransportRawEcho:
		return "rawecho://" + addr
	default:
		return "tcp://" + addr
	}
}

func (rt *instance) controlURL() string {
	if rt.ctlLn == nil {
		return ""
	}
	return "http://" + rt.ctlLn.Addr().String()
}

// close stops everything and waits for every goroutine: listeners first,
// then every connection and in-flight request through the context.
func (rt *instance) close() {
	rt.cancel()
	if rt.ln != nil {
		rt.ln.Close()
	}
	if rt.httpSrv != nil {
		_ = rt.httpSrv.Close()
	}
	if rt.ctlSrv != nil {
		_ = rt.ctlSrv.Close()
	}
	rt.wg.Wait()
}
