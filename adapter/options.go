package adapter

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Transport names accepted by Options.Transport.
const (
	TransportTCP  = "tcp"
	TransportHTTP = "http"
)

// Options says how an in-process server is exposed. The zero value serves
// newline-delimited TCP on 127.0.0.1 with an ephemeral port.
type Options struct {
	// Transport is "tcp" (default when empty) or "http".
	Transport string
	// Stateless serves HTTP in the library's stateless mode (for the MCP Go
	// SDK, the mode that answers 2026-07-28 requests). HTTP only.
	Stateless bool
	// JSONResponse makes HTTP replies application/json instead of SSE
	// (the SDK then drops request-scoped notifications). HTTP only; the
	// mcp-go adapter ignores it (mcp-go picks per request).
	JSONResponse bool
	// Path is the HTTP endpoint path; "/mcp" when empty.
	Path string
	// Addr is the loopback address to listen on; "127.0.0.1:0" when empty.
	// It must be a loopback IP literal.
	Addr string
	// ShutdownTimeout bounds how long stop waits for in-flight work before
	// closing connections forcibly; 5 s when zero.
	ShutdownTimeout time.Duration
}

// Validate reports every problem with o at once.
func (o Options) Validate() error {
	var errs []error
	switch o.Transport {
	case "", TransportTCP:
		if o.Stateless {
			errs = append(errs, errors.New("adapter: Stateless applies to the http transport only"))
		}
		if o.JSONResponse {
			errs = append(errs, errors.New("adapter: JSONResponse applies to the http transport only"))
		}
		if o.Path != "" {
			errs = append(errs, errors.New("adapter: Path applies to the http transport only"))
		}
	case TransportHTTP:
		if o.Path != "" && !strings.HasPrefix(o.Path, "/") {
			errs = append(errs, fmt.Errorf("adapter: Path %q must start with /", o.Path))
		}
	default:
		errs = append(errs, fmt.Errorf("adapter: unknown Transport %q (want %q or %q)", o.Transport, TransportTCP, TransportHTTP))
	}
	if o.Addr != "" {
		if err := checkLoopback(o.Addr); err != nil {
			errs = append(errs, err)
		}
	}
	if o.ShutdownTimeout < 0 {
		errs = append(errs, fmt.Errorf("adapter: negative ShutdownTimeout %v", o.ShutdownTimeout))
	}
	return errors.Join(errs...)
}

func (o Options) withDefaults() Options {
	if o.Transport == "" {
		o.Transport = TransportTCP
	}
	if o.Transport == TransportHTTP && o.Path == "" {
		o.Path = "/mcp"
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = 5 * time.Second
	}
	return o
}
