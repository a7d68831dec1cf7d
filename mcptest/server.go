package mcptest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a running reference server: in a child process (the default)
// or in this process (Options.InProcess). Its target string is what the
// framework connects to:
//
//	tcp://127.0.0.1:PORT             newline-delimited JSON-RPC over TCP
//	http://127.0.0.1:PORT/mcp        Streamable HTTP
//	rawecho://127.0.0.1:PORT         raw newline echo (no MCP; benchmarks)
//	stdio:<binary> __mcptest_serve__ -transport=stdio …
//	                                 a command that serves one stdio session;
//	                                 every session runs its own process
type Server struct {
	opts Options // as given, with the bound address filled in after start

	mu      sync.Mutex
	target  string
	addr    string
	control string
	pid     int
	rt      *instance // in-process
	proc    *process  // child process
	closed  bool
}

// StartServer starts a reference server for a test and returns it ready;
// it is stopped (the child killed and reaped) in tb.Cleanup. A start
// failure fails the test.
func StartServer(tb testing.TB, opts Options) *Server {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout+5*time.Second)
	defer cancel()
	s, err := Start(ctx, opts)
	if err != nil {
		tb.Fatalf("mcptest.StartServer: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// Start starts a reference server; the caller must Close it. Outside
// tests, a child process is the running binary re-executed with ServeArg.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	s := &Server{opts: opts}
	if opts.Transport == TransportStdio {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("mcptest: finding this executable: %w", err)
		}
		o := opts
		o.ControlAddr = ""
		args := append([]string{exe, ServeArg}, o.args()...)
		for i, a := range args {
			args[i] = quoteArg(a)
		}
		s.target = "stdio:" + strings.Join(args, " ")
		return s, nil
	}
	if err := s.start(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// quoteArg quotes a for a shell-like command line (the stdio: target
// syntax): single quotes, or double quotes with backslash escapes when a
// contains a single quote.
func quoteArg(a string) string {
	if a != "" && !strings.ContainsAny(a, " \t\n\"'\\") {
		return a
	}
	if !strings.Contains(a, "'") {
		return "'" + a + "'"
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(a) + `"`
}

// start starts the server on s.opts (used by Start and Restart).
func (s *Server) start(ctx context.Context) error {
	if s.opts.InProcess {
		rt, err := startRuntime(ctx, s.opts, 0, nil)
		if err != nil {
			return err
		}
		s.mu.Lock()
		s.rt, s.target, s.addr, s.control, s.pid = rt, rt.target(), rt.ln.Addr().String(), rt.controlURL(), 0
		s.mu.Unlock()
		s.pin(rt.ln.Addr().String(), rt.ctlLn)
		return nil
	}
	o := s.opts
	if o.ControlAddr == "" {
		o.ControlAddr = "127.0.0.1:0"
	}
	p, info, err := startProcess(ctx, o)
	if err != nil {
		return err
	}
	addr := info.target
	for _, pre := range []string{"tcp://", "http://", "rawecho://"} {
		addr = strings.TrimPrefix(addr, pre)
	}
	addr = strings.TrimSuffix(addr, "/mcp")
	s.mu.Lock()
	s.proc, s.target, s.addr, s.control, s.pid = p, info.target, addr, info.control, info.pid
	s.mu.Unlock()
	if s.opts.ControlAddr == "" && info.control != "" {
		s.opts.ControlAddr = strings.TrimPrefix(info.control, "http://")
	}
	s.opts.Addr = addr
	return nil
}

// pin records the bound addresses so Restart binds the same ports.
func (s *Server) pin(addr string, ctl net.Listener) {
	s.opts.Addr = addr
	if ctl != nil {
		s.opts.ControlAddr = ctl.Addr().String()
	}
}

// Target returns the target string (see Server).
func (s *Server) Target() string { s.mu.Lock(); defer s.mu.Unlock(); return s.target }

// Addr returns the MCP listener's host:port ("" for stdio).
func (s *Server) Addr() string { s.mu.Lock(); defer s.mu.Unlock(); return s.addr }

// PID returns the child's process id (0 in-process and for stdio).
func (s *Server) PID() int { s.mu.Lock(); defer s.mu.Unlock(); return s.pid }

// ControlURL returns the base URL of the loopback control endpoint ("" if
// there is none).
func (s *Server) ControlURL() string { s.mu.Lock(); defer s.mu.Unlock(); return s.control }

// SetFaults replaces the faults in force.
func (s *Server) SetFaults(ctx context.Context, f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	rt, ctl := s.rt, s.control
	s.mu.Unlock()
	if rt != nil {
		rt.faults.set(f)
		return nil
	}
	if ctl == "" {
		return errors.New("mcptest: this server has no control endpoint")
	}
	body, _ := json.Marshal(f)
	return s.controlDo(ctx, http.MethodPost, ctl+"/faults", body, nil)
}

// Stats returns the server's exact counters.
func (s *Server) Stats(ctx context.Context) (Stats, error) {
	s.mu.Lock()
	rt, ctl := s.rt, s.control
	s.mu.Unlock()
	if rt != nil {
		return rt.h.snapshot(0), nil
	}
	if ctl == "" {
		return Stats{}, errors.New("mcptest: this server has no control endpoint")
	}
	var st Stats
	err := s.controlDo(ctx, http.MethodGet, ctl+"/stats", nil, &st)
	return st, err
}

func (s *Server) controlDo(ctx context.Context, method, url string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("mcptest: control %s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("mcptest: control %s %s: %s: %s", method, url, resp.Status, bytes.TrimSpace(data))
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// Kill stops the server abruptly: SIGKILL for a child (reaped before Kill
// returns); for an in-process server every listener and connection is
// closed at once. Restart brings it back.
func (s *Server) Kill() error {
	s.mu.Lock()
	rt, p := s.rt, s.proc
	s.rt, s.proc = nil, nil
	s.mu.Unlock()
	switch {
	case rt != nil:
		rt.close()
	case p != nil:
		p.kill()
	default:
		return errNoProcess
	}
	return nil
}

// Restart starts the server again on the same port (and control port),
// first killing it if it is running. Faults set at run time are not
// carried over: the new server starts with Options.Faults.
func (s *Server) Restart(ctx context.Context) error {
	if s.opts.Transport == TransportStdio {
		return errors.New("mcptest: a stdio server has no process to restart")
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return errors.New("mcptest: Restart after Close")
	}
	_ = s.Kill()
	var err error
	for range 50 { // the old socket may take a moment to be released
		if err = s.start(ctx); err == nil || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(20 * time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	return err
}

// Close stops the server: a child is asked to exit (its stdin closes),
// killed if it has not within 5 s, and reaped. It is safe to call twice.
func (s *Server) Close() error {
	s.mu.Lock()
	rt, p := s.rt, s.proc
	s.rt, s.proc, s.closed = nil, nil, true
	s.mu.Unlock()
	if rt != nil {
		rt.close()
	}
	if p != nil {
		p.stop(5 * time.Second)
	}
	return nil
}
