package mcptest

import (
	"bytes"
	"encoding/json"
	"errors"

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
}

// params holds the params fields any method routes on.
type params struct {
	Name            string          `json:"name"`
	URI             string          `json:"uri"`
	Cursor          *string         `json:"cursor"`
	Arguments       json.RawMessage `json:"arguments"`
	ProtocolVersion *string         `json:"protocolVersion"`
	RequestID       json.RawMessage `json:"requestId"`
	Meta            *meta           `json:"_meta"`
}

// meta holds the reserved 2026-07-28 _meta keys.
type meta struct {
	ProtocolVersion    json.RawMessage `json:"io.modelcontextprotocol/protocolVersion"`
	ClientCapabilities json.RawMessage `json:"io.modelcontextprotocol/clientCapabilities"`
}

type envelope struct {
	JSONRPC json.RawMessage `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  json.RawMessage `json:"method"`
	Params  json.RawMessage `json:"params"`
	Result  json.RawMessage `json:"result"`
	Error   json.RawMessage `json:"error"`
}

// IsNotification reports whether r expects no answer.
func (r *request) IsNotification() bool { return r.ID == nil }

// parseRequest decodes one frame. On failure it returns the error to send
// and the id it could read (nil → null).
func parseRequest(frame []byte) (request, json.RawMessage, *rpcError) {
	var r request
	trimmed := bytes.TrimLeft(frame, " \t\r\n")
	if len(trimmed) == 0 {
		return r, nil, errorf(wire.CodeInvalidRequest, "empty message")
	}
	var env envelope
	if err := json.Unmarshal(trimmed, &env); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) || !json.Valid(trimmed) {
			return r, nil, errorf(wire.CodeParseError, "parse error: "+err.Error())
		}
		if trimmed[0] == '[' {
			return r, nil, errorf(wire.CodeInvalidRequest, "JSON-RPC batches are not supported")
		}
		return r, nil, errorf(wire.CodeInvalidRequest, "a JSON-RPC message must be a JSON object")
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
	m, ok := jsonString(env.Method)
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
		if err := json.Unmarshal(env.Params, &r.P); err != nil {
			r.paramsErr = errorf(wire.CodeInvalidParams, "invalid params: "+err.Error())
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
