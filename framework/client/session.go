package client

import (
	"context"
	"encoding/json"
	"time"
)

// Request is one MCP request as the engine describes it. Params is the
// pre-encoded params object without _meta (the session adds what its
// protocol generation needs); nil means no params. Name is the tool, prompt
// or resource URI the request addresses, used for the 2026 Mcp-Name header
// and for per-operation metrics.
type Request struct {
	Method string
	Name   string
	Params json.RawMessage
	// Discard leaves Response.Result nil: a caller that only counts
	// outcomes (the engine) saves a copy of every answer.
	Discard bool
}

// Response is how one Call ended.
type Response struct {
	Outcome Outcome
	// Code is the JSON-RPC error code when Outcome is RPCError, or the HTTP
	// status when a transport error came with one; zero otherwise.
	Code int
	// Result is the raw result object on OK and ToolError.
	Result json.RawMessage
	// Err describes every outcome but OK and ToolError.
	Err error
	// Sent is when the request's first byte was handed to the transport
	// (zero if it was never sent).
	Sent time.Time
}

// Session is one MCP session on one connection (or one stdio process, or one
// HTTP session), already through its handshake. Calls may be made from
// several goroutines at once when the session allows pipelining.
type Session interface {
	// Call sends req and waits for its answer, the context's end, or the
	// session's per-request timeout, whichever comes first. It never
	// returns without classifying the outcome.
	Call(ctx context.Context, req Request) Response
	// Close ends the session and releases its connection. It is safe to
	// call more than once.
	Close() error
}

// TimeoutCaller is a Session that takes a request's timeout as a value
// instead of in a context: the engine's hot path, which would otherwise make
// a context and a timer per request, and read the clock more often. The
// timeout counts from the call (0: the session's own only; the shorter of
// the two applies); a call that finds a free pipeline slot at once counts it
// from the send, the same instant within a microsecond. The call ends as
// Timeout when it passes, and as Cancelled when ctx ends. Every session of
// this package implements it.
type TimeoutCaller interface {
	CallTimeout(ctx context.Context, req Request, timeout time.Duration) Response
}

// Target makes sessions on one MCP server. Like the MCP Go SDK's single-use
// transports, each Connect opens a fresh connection and performs the
// handshake of the target's protocol generation.
type Target interface {
	Connect(ctx context.Context) (Session, error)
	String() string
}
