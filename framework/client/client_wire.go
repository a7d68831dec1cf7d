package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/mcpstress/mcpstress/wire"
)

// Errors a Response.Err may wrap, so callers can tell bad input apart.
var (
	// ErrInvalidResponse: the server sent bytes that are not a valid
	// JSON-RPC answer (garbage, wrong "jsonrpc" version, a result that is
	// not an object, an unknown resultType, an oversized frame).
	ErrInvalidResponse = errors.New("mcpstress: invalid response")
	// ErrConnectionLost: the connection broke while the request was in flight.
	ErrConnectionLost = errors.New("mcpstress: connection lost")
	// ErrTimeout: no answer within Options.Timeout.
	ErrTimeout = errors.New("mcpstress: request timed out")
	// ErrClosed: the session was closed.
	ErrClosed = errors.New("mcpstress: session closed")
	// ErrHTTPStatus: an HTTP reply whose status carries no JSON-RPC answer.
	ErrHTTPStatus = errors.New("mcpstress: unexpected HTTP status")
)

// appendRequest appends one compact JSON-RPC request (or, with id < 0, a
// notification) and a newline. params must be a JSON object or nil; meta, if
// not nil, is the 2026 _meta prefix `{"_meta":{...}` spliced into params.
func appendRequest(dst []byte, id int64, method string, params []byte, meta []byte) []byte {
	dst = append(dst, `{"jsonrpc":"2.0",`...)
	if id >= 0 {
		dst = append(dst, `"id":`...)
		dst = strconv.AppendInt(dst, id, 10)
		dst = append(dst, ',')
	}
	dst = append(dst, `"method":`...)
	dst = appendString(dst, method)
	switch {
	case meta != nil:
		dst = append(dst, `,"params":`...)
		dst = appendWithMeta(dst, params, meta)
	case len(params) > 0:
		dst = append(dst, `,"params":`...)
		dst = append(dst, params...)
	}
	return append(dst, '}', '\n')
}

// appendWithMeta writes params with the _meta object first. A params object
// that already has its own _meta (say, a progressToken) is merged the slow
// way.
func appendWithMeta(dst, params, meta []byte) []byte {
	p := bytes.TrimSpace(params)
	if len(p) == 0 || string(p) == "null" {
		p = []byte("{}")
	}
	if bytes.Contains(p, []byte(`"_meta"`)) {
		if own := wire.Member(p, "_meta"); own != nil {
			return appendMerged(dst, p, own, meta)
		}
	}
	dst = append(dst, meta...)
	rest := bytes.TrimSpace(p[1:])
	if len(rest) > 0 && rest[0] != '}' {
		dst = append(dst, ',')
	}
	return append(dst, rest...)
}

func appendMerged(dst, params, own, meta []byte) []byte {
	var fields map[string]json.RawMessage
	var ours, theirs map[string]json.RawMessage
	metaObj := append(append([]byte(nil), meta...), '}')
	if json.Unmarshal(params, &fields) != nil || json.Unmarshal(own, &theirs) != nil ||
		json.Unmarshal(metaObj, &ours) != nil || json.Unmarshal(ours["_meta"], &ours) != nil {
		return append(dst, params...) // not objects: leave it to the server to reject
	}
	for k, v := range theirs {
		ours[k] = v
	}
	m, _ := json.Marshal(ours)
	fields["_meta"] = m
	out, _ := json.Marshal(fields)
	return append(dst, out...)
}

// appendString appends s as a JSON string.
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			b, _ := json.Marshal(s)
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// modernMeta builds the 2026 _meta prefix `{"_meta":{...}` (no closing
// brace of the params object).
func modernMeta(version, name, ver string) []byte {
	b := []byte(`{"_meta":{"` + wire.MetaProtocolVersion + `":`)
	b = appendString(b, version)
	b = append(b, `,"`+wire.MetaClientCapabilities+`":{},"`+wire.MetaClientInfo+`":{"name":`...)
	b = appendString(b, name)
	b = append(b, `,"version":`...)
	b = appendString(b, ver)
	return append(b, `}}`...)
}

// classify turns one response envelope into a Response (without Sent).
func classify(env *wire.Envelope) Response { return classifyAnswer(env, true) }

// classifyAnswer is classify; keep=false leaves Result nil (no copy).
func classifyAnswer(env *wire.Envelope, keep bool) Response {
	if !env.VersionOK() {
		return Response{Outcome: TransportError, Err: fmt.Errorf("%w: jsonrpc version %s, want \"2.0\"", ErrInvalidResponse, orMissing(env.JSONRPC))}
	}
	if len(env.Error) > 0 && string(env.Error) != "null" {
		code, msg, ok := wire.ErrorFields(env.Error)
		if !ok {
			return Response{Outcome: TransportError, Err: fmt.Errorf("%w: malformed error object %.80s", ErrInvalidResponse, env.Error)}
		}
		return Response{Outcome: RPCError, Code: code, Err: &wire.Error{Code: code, Message: msg, Data: json.RawMessage(copyBytes(wire.Member(env.Error, "data")))}}
	}
	if len(env.Result) == 0 {
		return Response{Outcome: TransportError, Err: fmt.Errorf("%w: response has neither result nor error", ErrInvalidResponse)}
	}
	isErr, rt, ok := wire.ResultFlags(env.Result)
	if !ok {
		return Response{Outcome: TransportError, Err: fmt.Errorf("%w: result is not an object", ErrInvalidResponse)}
	}
	switch string(rt) {
	case "", `"complete"`, `"input_required"`, `"task"`:
	default:
		return Response{Outcome: TransportError, Err: fmt.Errorf("%w: unknown resultType %.40s", ErrInvalidResponse, rt)}
	}
	out := Response{Outcome: OK}
	if keep {
		out.Result = copyBytes(env.Result)
	}
	if isErr {
		out.Outcome = ToolError
		out.Err = errors.New("tool returned isError: true")
	}
	return out
}

func orMissing(b []byte) string {
	if b == nil {
		return "missing"
	}
	return string(b)
}

func copyBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

// knownVersion reports whether the lean client speaks protocol version v.
func knownVersion(v string) bool {
	switch v {
	case wire.Version20260728, wire.Version20251125, wire.Version20250618, "2025-03-26", "2024-11-05":
		return true
	}
	return false
}

// supportedFrom reads data.supported of a -32022 error and picks the newest
// version the client also speaks ("" if none).
func supportedFrom(err error) string {
	var we *wire.Error
	if !errors.As(err, &we) {
		return ""
	}
	var d struct {
		Supported []string `json:"supported"`
	}
	if json.Unmarshal(we.Data, &d) != nil {
		return ""
	}
	best := ""
	for _, v := range d.Supported {
		if knownVersion(v) && v > best {
			best = v
		}
	}
	return best
}
