package mcptest

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// This file appends JSON-RPC responses straight into byte slices: the hot
// path never builds a map or calls json.Marshal.

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, replacing invalid UTF-8 with
// U+FFFD as encoding/json does.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// rpcError is a JSON-RPC error to send; Data is raw JSON or nil.
type rpcError struct {
	Code    int
	Message string
	Data    json.RawMessage
}

func errorf(code int, msg string) *rpcError { return &rpcError{Code: code, Message: msg} }

// appendErrorResponse appends a complete error response (no newline). id
// nil or empty means the id could not be read and null is sent.
func appendErrorResponse(dst []byte, id json.RawMessage, e *rpcError) []byte {
	dst = append(dst, `{"jsonrpc":"2.0","id":`...)
	if len(id) == 0 {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, id...)
	}
	dst = append(dst, `,"error":{"code":`...)
	dst = strconv.AppendInt(dst, int64(e.Code), 10)
	dst = append(dst, `,"message":`...)
	dst = appendString(dst, e.Message)
	if len(e.Data) > 0 {
		dst = append(dst, `,"data":`...)
		dst = append(dst, e.Data...)
	}
	return append(dst, "}}"...)
}

// appendResultHeader starts a success response; the caller appends the result's
// fields and then calls appendResultTrailer.
func appendResultHeader(dst []byte, id json.RawMessage) []byte {
	dst = append(dst, `{"jsonrpc":"2.0","id":`...)
	dst = append(dst, id...)
	return append(dst, `,"result":{`...)
}

// serverInfoJSON is the server's Implementation object.
const serverInfoJSON = `{"name":"mcptest","title":"mcpstress reference server","version":"0.1.0"}`

// appendResultTrailer closes a result started by appendResultHeader. A
// modern (2026-07-28) result gets resultType and _meta.serverInfo; empty
// reports whether no field was appended since the header.
func appendResultTrailer(dst []byte, modern, empty bool) []byte {
	if modern {
		if !empty {
			dst = append(dst, ',')
		}
		dst = append(dst, `"resultType":"complete","_meta":{"io.modelcontextprotocol/serverInfo":`+serverInfoJSON+`}`...)
	}
	return append(dst, "}}"...)
}
