package client

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/mcpstress/mcpstress/wire"
)

// Options configure the lean MCP client of every target. The zero value
// is usable: newest protocol the server accepts, 5s per request, 10s to
// connect, one request in flight per session, reconnect with the default
// Backoff.
type Options struct {
	// Protocol is the generation to speak: "" negotiates the newest the
	// server accepts (server/discover first, initialize as the fallback);
	// wire.Version20250618, wire.Version20251125 or wire.Version20260728
	// insist on that one and fail Connect if the server does not agree.
	Protocol string
	// Timeout bounds each request (the seeds' message_timeout); default 5s.
	Timeout time.Duration
	// ConnectTimeout bounds connect plus handshake; default 10s.
	ConnectTimeout time.Duration
	// MaxFrame is the largest accepted inbound message (line, JSON body or
	// SSE event) in bytes; default wire.DefaultMaxFrame.
	MaxFrame int
	// Pipeline is the most requests one session has in flight at once;
	// more concurrent Calls wait for a slot. Default 1.
	Pipeline int
	// Token is sent as "Authorization: Bearer <Token>" on every HTTP request.
	Token string
	// Reconnect is the backoff of a session whose connection broke.
	Reconnect Backoff
	// Seed seeds the jitter of the reconnect backoff (per session it is
	// mixed with the session's ordinal), so runs replay.
	Seed uint64
	// ClientName and ClientVersion are the clientInfo sent to the server;
	// default "mcpstress" and "0.1.0".
	ClientName    string
	ClientVersion string
	// Headers are extra HTTP headers sent on every request.
	Headers http.Header
	// Stderr, when set, also receives the stderr of stdio servers (each
	// session keeps the last StderrLimit bytes itself, see Stderr()). It is
	// not serialised (a shard process gets its own).
	Stderr io.Writer `json:"-"`
	// StderrLimit is how many bytes of stderr a stdio session keeps; default
	// 8 KiB.
	StderrLimit int
	// MaxStdioProcesses caps the live sessions of one stdio target: each is
	// its own server process (3 pipes of the 20,000 open files a process
	// may hold here, and the server's own memory, ~25 MB for a Node server).
	// Zero means DefaultMaxStdioProcesses; a Connect past the cap fails with
	// an error naming this field.
	MaxStdioProcesses int
	// OnNotification, when set, is called (on the goroutine reading the
	// connection; keep it short) with every notification the server sends.
	// The params slice is only valid during the call.
	OnNotification func(method string, params []byte) `json:"-"`
	// SourceAddrs are local IP addresses TCP sessions dial from, one per
	// session in turn (e.g. 127.0.0.2 … 127.0.0.9 on loopback), so that
	// many sessions to one server address are not limited to the ~28K
	// ephemeral ports of a single source address. Empty: the system's
	// choice.
	SourceAddrs []string `json:",omitempty"`
}

// Defaults of Options.
const (
	DefaultTimeout        = 5 * time.Second
	DefaultConnectTimeout = 10 * time.Second
	DefaultStderrLimit    = 8 << 10
	// DefaultMaxStdioProcesses is the default cap on one stdio target's live
	// sessions (processes).
	DefaultMaxStdioProcesses = 256
	DefaultClientName        = "mcpstress"
	DefaultClientVersion     = "0.1.0"
)

// Validate reports every problem with o at once, each naming its field.
func (o Options) Validate() error {
	var errs []error
	switch o.Protocol {
	case "", wire.Version20250618, wire.Version20251125, wire.Version20260728:
	default:
		errs = append(errs, fmt.Errorf("Options.Protocol %q is not one of %q, %q, %q or empty (newest the server accepts)",
			o.Protocol, wire.Version20260728, wire.Version20251125, wire.Version20250618))
	}
	if o.Timeout < 0 {
		errs = append(errs, fmt.Errorf("Options.Timeout %v is negative", o.Timeout))
	}
	if o.ConnectTimeout < 0 {
		errs = append(errs, fmt.Errorf("Options.ConnectTimeout %v is negative", o.ConnectTimeout))
	}
	if o.MaxFrame < 0 || o.MaxFrame > 1<<30 {
		errs = append(errs, fmt.Errorf("Options.MaxFrame %d must be in [0, 1 GiB]", o.MaxFrame))
	}
	if o.Pipeline < 0 || o.Pipeline > 1<<16 {
		errs = append(errs, fmt.Errorf("Options.Pipeline %d must be in [0, 65536]", o.Pipeline))
	}
	if strings.ContainsAny(o.Token, "\r\n\x00") {
		errs = append(errs, errors.New("Options.Token contains a line break or NUL"))
	}
	if err := o.Reconnect.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("Options.Reconnect: %w", err))
	}
	for _, a := range o.SourceAddrs {
		if net.ParseIP(a) == nil {
			errs = append(errs, fmt.Errorf("Options.SourceAddrs: %q is not an IP address", a))
		}
	}
	if strings.ContainsAny(o.ClientName+o.ClientVersion, "\r\n\x00") {
		errs = append(errs, errors.New("Options.ClientName/ClientVersion contain a line break or NUL"))
	}
	for k, vs := range o.Headers {
		if !validHeaderName(k) {
			errs = append(errs, fmt.Errorf("Options.Headers: %q is not a valid header name", k))
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n\x00") {
				errs = append(errs, fmt.Errorf("Options.Headers[%q] contains a line break or NUL", k))
			}
		}
	}
	if o.MaxStdioProcesses < 0 {
		errs = append(errs, fmt.Errorf("Options.MaxStdioProcesses %d is negative", o.MaxStdioProcesses))
	}
	if o.StderrLimit < 0 {
		errs = append(errs, fmt.Errorf("Options.StderrLimit %d is negative", o.StderrLimit))
	}
	return errors.Join(errs...)
}

func (o Options) withDefaults() Options {
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.MaxFrame == 0 {
		o.MaxFrame = wire.DefaultMaxFrame
	}
	if o.Pipeline == 0 {
		o.Pipeline = 1
	}
	if o.ClientName == "" {
		o.ClientName = DefaultClientName
	}
	if o.ClientVersion == "" {
		o.ClientVersion = DefaultClientVersion
	}
	if o.StderrLimit == 0 {
		o.StderrLimit = DefaultStderrLimit
	}
	if o.MaxStdioProcesses == 0 {
		o.MaxStdioProcesses = DefaultMaxStdioProcesses
	}
	o.Reconnect = o.Reconnect.withDefaults()
	return o
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}
