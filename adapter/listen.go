package adapter

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// checkLoopback rejects any listen address that is not a loopback IP
// literal: the adapter never exposes a server beyond the machine.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("adapter: Addr %q: %w", addr, err)
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("adapter: Addr %q is not a loopback IP literal", addr)
	}
	return nil
}

// connServer runs an accept loop that hands each connection to serve, and
// stops by closing the listener, cancelling serve's context, closing every
// open connection and waiting for every serve call to return.
type connServer struct {
	ln     net.Listener
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// serveConns starts the accept loop on ln. serve must return once ctx is
// done or conn is closed.
func serveConns(ln net.Listener, serve func(ctx context.Context, conn net.Conn)) *connServer {
	ctx, cancel := context.WithCancel(context.Background())
	s := &connServer{ln: ln, ctx: ctx, cancel: cancel, conns: make(map[net.Conn]struct{})}
	s.wg.Add(1)
	go s.accept(serve)
	return s
}

func (s *connServer) accept(serve func(context.Context, net.Conn)) {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return // listener closed (stop) or broken: either way no more sessions
		}
		s.mu.Lock()
		if s.ctx.Err() != nil {
			s.mu.Unlock()
			conn.Close()
			return
		}
		s.conns[conn] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, conn)
				s.mu.Unlock()
				conn.Close()
			}()
			serve(s.ctx, conn)
		}()
	}
}

func (s *connServer) target() string { return "tcp://" + s.ln.Addr().String() }

// stop closes the listener and every connection and waits for all serve
// calls. It is safe to call more than once.
func (s *connServer) stop() error {
	s.mu.Lock()
	s.cancel()
	err := s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// httpServer is an http.Server on a loopback listener.
type httpServer struct {
	srv     *http.Server
	ln      net.Listener
	done    chan error
	path    string
	timeout time.Duration
	// beforeShutdown ends long-lived streams (stateful sessions) so that
	// Shutdown can drain.
	beforeShutdown func()
	once           sync.Once
	stopErr        error

	mu sync.Mutex
	// fresh are the connections that have not sent a request yet.
	fresh map[net.Conn]struct{}
}

func serveHTTP(ln net.Listener, path string, h http.Handler, timeout time.Duration, beforeShutdown func()) *httpServer {
	mux := http.NewServeMux()
	mux.Handle(path, h)
	s := &httpServer{
		srv:            &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		ln:             ln,
		done:           make(chan error, 1),
		path:           path,
		timeout:        timeout,
		beforeShutdown: beforeShutdown,
		fresh:          make(map[net.Conn]struct{}),
	}
	s.srv.ConnState = s.track
	go func() { s.done <- s.srv.Serve(ln) }()
	return s
}

// track keeps the connections that have not sent a request yet.
func (s *httpServer) track(c net.Conn, st http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st == http.StateNew {
		s.fresh[c] = struct{}{}
	} else {
		delete(s.fresh, c)
	}
}

// closeFresh closes the connections that have sent nothing: they hold no
// work, and net/http's Shutdown would wait 5 s before it counts them idle
// (an HTTP client's spare dial sits in its pool unused like this).
func (s *httpServer) closeFresh() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.fresh {
		_ = c.Close()
		delete(s.fresh, c)
	}
}

func (s *httpServer) target() string { return "http://" + s.ln.Addr().String() + s.path }

// stop ends sessions, shuts the server down gracefully within the timeout,
// then forcibly. It is safe to call more than once.
func (s *httpServer) stop() error {
	s.once.Do(func() {
		if s.beforeShutdown != nil {
			s.beforeShutdown()
		}
		ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
		defer cancel()
		shut := make(chan error, 1)
		go func() { shut <- s.srv.Shutdown(ctx) }()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		var err error
	wait:
		for {
			select {
			case err = <-shut:
				break wait
			case <-tick.C:
				s.closeFresh()
			}
		}
		if err != nil {
			err = errors.Join(err, s.srv.Close())
		}
		if serveErr := <-s.done; !errors.Is(serveErr, http.ErrServerClosed) {
			err = errors.Join(err, serveErr)
		}
		s.stopErr = err
	})
	return s.stopErr
}

// serveInTest starts a server with start and stops it in tb.Cleanup; name
// prefixes the failures (a start failure fails the test at once).
func serveInTest(tb testing.TB, name string, start func() (string, func() error, error)) string {
	tb.Helper()
	target, stop, err := start()
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	tb.Cleanup(func() {
		if err := stop(); err != nil {
			tb.Errorf("%s stop: %v", name, err)
		}
	})
	return target
}

// listenFor validates opts, fills its defaults and opens its listener.
func listenFor(opts Options) (Options, net.Listener, error) {
	if err := opts.Validate(); err != nil {
		return opts, nil, err
	}
	opts = opts.withDefaults()
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return opts, nil, fmt.Errorf("adapter: listen %s: %w", opts.Addr, err)
	}
	return opts, ln, nil
}
