package mcptest

import (
	"bytes"
	"encoding/json"

	"github.com/mcpstress/mcpstress/wire"
)

// request is one inbound JSON-RPC message after envelope decoding. Only
// the envelope and the few params fields the server routes on are decoded;
// tool arguments stay raw until the tool decodes them into a small struct.
type request struct {
	ID       json.RawMessage // nil for a notification
	Method   string
	Params   json.RawMessage
	P        params
	Response bool // a response from the client (ignored)
	// Modern is set when params._meta carries a 2026-07-28-or-later
	// protocol version; Version is that version.
	Modern  bool
	Version string
	// paramsErr is a -32602 found while decoding params, reported after
	// routing so notifications stay silent.
	paramsErr *rpcError
	// emit, when set by the transport, sends a notification related to
	// this request ahead of its response (nil: such notifications are
	// dropped, as in HTTP JSON mode).
	emit func(msg []byte)
}

// params holds the params fields any method routes on.
type params struct {
	Name            string
	URI             string
	Cursor          *string
	Arguments       json.RawMessage
	ProtocolVersion *string
	RequestID       json.RawMessage
	Meta            *meta // "_meta"
}

// meta holds the reserved 2026-07-28 _meta keys.
type meta struct {
	ProtocolVersion    json.RawMessage
	ClientCapabilities json.RawMessage
	ProgressToken      json.RawMessage
}

type envelope struct {
	JSONRPC, ID, Method, Params, Result, Error json.RawMessage
}

// IsNotification reports whether r expects no answer.
func (r *request) IsNotification() bool { return r.ID == nil }

// keyIs reports whether key, a member key's raw contents as
// wire.EachMember passes it (no quotes, escapes not decoded), names name.
// A key spelled with escapes is decoded first, so "na\u006de" is "name".
func keyIs(key []byte, name string) bool {
	if string(key) == name {
		return true
	}
	if bytes.IndexByte(key, '\\') < 0 {
		return false
	}
	// Rare: put the quotes back and decode as a JSON string.
	quoted := make([]byte, 0, len(key)+2)
	quoted = append(append(append(quoted, '"'), key...), '"')
	k, ok := jsonString(quoted)
	return ok && k == name
}

// parseRequest decodes one frame in a single validating scan. The raw
// values in the returned request (ID, Params, arguments) are sub-slices of
// frame: a caller that keeps the request past frame's lifetime parses a
// copy. On failure it returns the error to send and the id it could read
// (nil → null).
func parseRequest(frame []byte) (request, json.RawMessage, *rpcError) {
	var r request
	b := bytes.Trim(frame, " \t\r\n")
	if len(b) == 0 {
		return r, nil, errorf(wire.CodeInvalidRequest, "empty message")
	}
	if b[0] != '{' {
		switch {
		case !wire.Valid(b):
			return r, nil, errorf(wire.CodeParseError, "parse error: invalid JSON")
		case b[0] == '[':
			return r, nil, errorf(wire.CodeInvalidRequest, "JSON-RPC batches are not supported")
		}
		return r, nil, errorf(wire.CodeInvalidRequest, "a JSON-RPC message must be a JSON object")
	}
	var env envelope
	if wire.EachMember(b, func(key, val []byte) {
		switch {
		case keyIs(key, "jsonrpc"):
			env.JSONRPC = val
		case keyIs(key, "id"):
			env.ID = val
		case keyIs(key, "method"):
			env.Method = val
		case keyIs(key, "params"):
			env.Params = val
		case keyIs(key, "result"):
			env.Result = val
		case keyIs(key, "error"):
			env.Error = val
		}
	}) != nil {
		return r, nil, errorf(wire.CodeParseError, "parse error: invalid JSON")
	}
	id, idOK := checkID(env.ID)
	if string(env.JSONRPC) != `"2.0"` {
		return r, id, errorf(wire.CodeInvalidRequest, `"jsonrpc" must be "2.0"`)
	}
	if !idOK {
		return r, nil, errorf(wire.CodeInvalidRequest, "id must be a string or an integer")
	}
	r.ID = id
	if env.Method == nil {
		if env.Result != nil || env.Error != nil {
			r.Response = true
			return r, id, nil
		}
		return r, id, errorf(wire.CodeInvalidRequest, `missing "method"`)
	}
	m, ok := internString(env.Method)
	if !ok || m == "" {
		return r, id, errorf(wire.CodeInvalidRequest, `"method" must be a non-empty string`)
	}
	r.Method = m
	if len(env.Params) > 0 && string(env.Params) != "null" {
		if env.Params[0] != '{' {
			r.paramsErr = errorf(wire.CodeInvalidParams, "params must be an object")
			return r, id, nil
		}
		r.Params = env.Params
		if e := r.P.decode(env.Params); e != nil {
			r.paramsErr = e
			return r, id, nil
		}
		if r.P.Meta != nil {
			if v, ok := jsonString(r.P.Meta.ProtocolVersion); ok && wire.IsModern(v) {
				r.Modern, r.Version = true, v
			}
		}
	}
	return r, id, nil
}

// decode fills p from a params object wire.EachMember has validated.
func (p *params) decode(raw []byte) *rpcError {
	var bad string
	str := func(field string, val []byte) (string, bool) {
		if string(val) == "null" {
			return "", false
		}
		v, ok := internString(val)
		if !ok && bad == "" {
			bad = field + " must be a string"
		}
		return v, ok
	}
	_ = wire.EachMember(raw, func(key, val []byte) { // raw is already validated
		switch {
		case keyIs(key, "name"):
			p.Name, _ = str("name", val)
		case keyIs(key, "uri"):
			p.URI, _ = str("uri", val)
		case keyIs(key, "cursor"):
			if v, ok := str("cursor", val); ok {
				p.Cursor = &v
			}
		case keyIs(key, "protocolVersion"):
			if v, ok := str("protocolVersion", val); ok {
				p.ProtocolVersion = &v
			}
		case keyIs(key, "arguments"):
			p.Arguments = val
		case keyIs(key, "requestId"):
			p.RequestID = val
		case keyIs(key, "_meta"):
			if string(val) == "null" {
				return
			}
			m := &meta{}
			if wire.EachMember(val, func(k, v []byte) {
				switch {
				case keyIs(k, wire.MetaProtocolVersion):
					m.ProtocolVersion = v
				case keyIs(k, wire.MetaClientCapabilities):
					m.ClientCapabilities = v
				case keyIs(k, "progressToken"):
					m.ProgressToken = v
				}
			}) != nil && bad == "" {
				bad = "_meta must be an object"
			}
			p.Meta = m
		}
	})
	if bad != "" {
		return errorf(wire.CodeInvalidParams, "invalid params: "+bad)
	}
	return nil
}

// internString is jsonString that returns the shared copy of the
// method and tool names the server knows, so the hot path does not
// allocate them.
func internString(raw []byte) (string, bool) {
	if len(raw) >= 2 && raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 {
		switch v := raw[1 : len(raw)-1]; string(v) {
		case "tools/call":
			return "tools/call", true
		case "tools/list":
			return "tools/list", true
		case "initialize":
			return "initialize", true
		case "ping":
			return "ping", true
		case "server/discover":
			return "server/discover", true
		default:
			if name, ok := internToolName(v); ok {
				return name, true
			}
		}
	}
	return jsonString(raw)
}

// checkID validates a raw id: absent is fine (notification); otherwise a
// string or an integer. It returns the id to echo (nil when absent or
// unusable).
func checkID(raw json.RawMessage) (json.RawMessage, bool) {
	if raw == nil {
		return nil, true
	}
	switch c := raw[0]; {
	case c == '"':
		return raw, true
	case c == '-' || (c >= '0' && c <= '9'):
		if bytes.ContainsAny(raw, ".eE") {
			return nil, false
		}
		return raw, true
	}
	return nil, false
}

// jsonString returns the value of a raw JSON string.
func jsonString(raw json.RawMessage) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}
