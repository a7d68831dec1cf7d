package mcptest

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/mcpstress/mcpstress/wire"
)

// Transports the reference server can serve.
const (
	TransportTCP     = "tcp"     // newline-delimited JSON-RPC over TCP (erlmcp framing)
	TransportHTTP    = "http"    // Streamable HTTP on /mcp
	TransportStdio   = "stdio"   // newline-delimited JSON-RPC on stdin/stdout
	TransportRawEcho = "rawecho" // no JSON: every line is echoed back (benchmark ceiling)
)

// HTTP response modes.
const (
	HTTPResponseJSON = "json" // POST answered with Content-Type application/json
	HTTPResponseSSE  = "sse"  // POST answered with a one-event text/event-stream
)

// Options configure the reference server. The zero value is a TCP server on
// 127.0.0.1 with an ephemeral port, run in its own process by StartServer.
type Options struct {
	// Transport is one of "tcp" (default), "http", "stdio" or "rawecho".
	Transport string
	// Addr is the listen address; "" means 127.0.0.1:0. Ignored for stdio.
	Addr string
	// ReusePort sets SO_REUSEPORT on the listener (Linux) so that several
	// processes can share one port.
	ReusePort bool
	// Backlog is the listen(2) backlog of the MCP listener (tcp, http,
	// rawecho; with or without ReusePort): how many connections the kernel
	// completes and queues for the server to accept. A burst of connects
	// larger than it (a scale ramp) sees SYNs dropped and retried after a
	// second or more, so a suite can size it to its burst, or shrink it to
	// provoke exactly that. 0 keeps Go's default, the kernel's
	// net.core.somaxconn; the kernel also silently caps larger values at
	// somaxconn. Negative is an error. Linux only (Go does not
	// expose the backlog, so the server makes the socket itself there);
	// elsewhere it is ignored. The control endpoint always keeps the
	// default, so a tiny backlog cannot lock out the faults and stats.
	Backlog int
	// MaxFrame is the largest accepted frame (TCP/stdio line or HTTP body)
	// in bytes; 0 means wire.DefaultMaxFrame. Larger frames are answered
	// with -32600 (HTTP 413) and the connection stays usable.
	MaxFrame int
	// HTTPResponse is "json" (default) or "sse".
	HTTPResponse string
	// SessionIdleTimeout expires a legacy HTTP session after this long
	// without a request (later requests get 404); 0 means
	// DefaultSessionIdleTimeout, a negative value means never.
	SessionIdleTimeout time.Duration
	// MaxSessions caps the legacy HTTP sessions alive at once, so that
	// initialize churn cannot grow the server's memory without bound:
	// while the cap is reached, initialize is refused with HTTP 503 and a
	// JSON-RPC error (counted in Stats.SessionsRefused). 0 means
	// DefaultMaxSessions, a negative value means no cap.
	MaxSessions int
	// Token, when set, is the bearer token every HTTP request must carry;
	// a missing or wrong token gets 401 with WWW-Authenticate.
	Token string
	// Faults are the fault hooks in force at start (all off by default).
	Faults Faults
	// ControlAddr is the loopback address of the control endpoint
	// (POST /faults, GET /stats, /debug/pprof/). For StartServer's
	// subprocess "" means 127.0.0.1:0; for an in-process server and for
	// the command, "" means no control endpoint. It must be a loopback
	// address.
	ControlAddr string
	// InProcess makes StartServer serve from the calling process (for unit
	// tests) instead of a child process.
	InProcess bool
	// Env is extra environment ("KEY=value") for the child process.
	Env []string

	// clock, when set, replaces time.Now for session expiry (tests).
	clock func() time.Time
}

// Defaults of the zero Options values.
const (
	DefaultSessionIdleTimeout = 10 * time.Minute
	DefaultMaxSessions        = 100_000
)

// Validate reports every problem with o at once.
func (o Options) Validate() error {
	var errs []error
	switch o.Transport {
	case "", TransportTCP, TransportHTTP, TransportStdio, TransportRawEcho:
	default:
		errs = append(errs, fmt.Errorf("mcptest: unknown Transport %q (want tcp, http, stdio or rawecho)", o.Transport))
	}
	if o.Addr != "" {
		if _, _, err := net.SplitHostPort(o.Addr); err != nil {
			errs = append(errs, fmt.Errorf("mcptest: Addr %q: %w", o.Addr, err))
		}
	}
	if o.Backlog < 0 {
		errs = append(errs, fmt.Errorf("mcptest: Backlog %d is negative", o.Backlog))
	}
	if o.MaxFrame < 0 {
		errs = append(errs, fmt.Errorf("mcptest: MaxFrame %d is negative", o.MaxFrame))
	}
	switch o.HTTPResponse {
	case "", HTTPResponseJSON, HTTPResponseSSE:
	default:
		errs = append(errs, fmt.Errorf("mcptest: unknown HTTPResponse %q (want json or sse)", o.HTTPResponse))
	}
	if strings.ContainsAny(o.Token, " \t\r\n") {
		errs = append(errs, errors.New("mcptest: Token must not contain whitespace"))
	}
	if o.ControlAddr != "" {
		if err := checkLoopback(o.ControlAddr); err != nil {
			errs = append(errs, fmt.Errorf("mcptest: ControlAddr: %w", err))
		}
	}
	if err := o.Faults.Validate(); err != nil {
		errs = append(errs, err)
	}
	for _, kv := range o.Env {
		if !strings.Contains(kv, "=") {
			errs = append(errs, fmt.Errorf("mcptest: Env entry %q is not KEY=value", kv))
		}
	}
	return errors.Join(errs...)
}

// withDefaults fills the documented zero values.
func (o Options) withDefaults() Options {
	if o.Transport == "" {
		o.Transport = TransportTCP
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.MaxFrame == 0 {
		o.MaxFrame = wire.DefaultMaxFrame
	}
	if o.HTTPResponse == "" {
		o.HTTPResponse = HTTPResponseJSON
	}
	if o.SessionIdleTimeout == 0 {
		o.SessionIdleTimeout = DefaultSessionIdleTimeout
	}
	if o.MaxSessions == 0 {
		o.MaxSessions = DefaultMaxSessions
	}
	if o.clock == nil {
		o.clock = time.Now
	}
	return o
}

// checkLoopback accepts only host:port addresses whose host is a loopback
// IP or "localhost".
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback address (the control endpoint is never exposed beyond this machine)", addr)
	}
	return nil
}
