package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// ErrNotJSON is returned (wrapped) by Scan for bytes that are not one valid
// JSON object.
var ErrNotJSON = errors.New("wire: not a JSON object")

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
// It is encoding/json's bound: the outermost object or array is level 1,
// and a value nested deeper than maxDepth levels is rejected, so Valid
// agrees with json.Valid on deep input too.
const maxDepth = 10000

// Envelope is what a single validating pass over one JSON-RPC message finds:
// the raw bytes of its top-level members, nothing decoded. It is how the lean
// client reads responses without reflection. The slices alias the input.
type Envelope struct {
	JSONRPC []byte // raw value of "jsonrpc", quotes included (nil if absent)
	ID      []byte // raw value of "id": a number, a quoted string or null
	Method  []byte // raw value of "method", quotes included
	Params  []byte // raw value of "params"
	Result  []byte // raw value of "result"
	Error   []byte // raw value of "error"
}

// Scan checks that msg is exactly one valid JSON object (trailing white space
// allowed) and returns the raw values of its JSON-RPC members. Keys are
// matched byte-for-byte, so a key spelled with escapes is treated as unknown;
// for duplicate keys the last one wins, as in encoding/json.
func Scan(msg []byte) (Envelope, error) {
	var env Envelope
	i := skipWS(msg, 0)
	if i >= len(msg) || msg[i] != '{' {
		return env, fmt.Errorf("%w: does not start with '{'", ErrNotJSON)
	}
	end, err := eachMember(msg, i, 1, func(key, val []byte) {
		switch string(key) {
		case "jsonrpc":
			env.JSONRPC = val
		case "id":
			env.ID = val
		case "method":
			env.Method = val
		case "params":
			env.Params = val
		case "result":
			env.Result = val
		case "error":
			env.Error = val
		}
	})
	if err != nil {
		return env, err
	}
	if skipWS(msg, end) != len(msg) {
		return env, fmt.Errorf("%w: trailing bytes after the object", ErrNotJSON)
	}
	return env, nil
}

// VersionOK reports whether the "jsonrpc" member is exactly "2.0".
func (e *Envelope) VersionOK() bool { return string(e.JSONRPC) == `"2.0"` }

// HasID reports whether the message carries a non-null id.
func (e *Envelope) HasID() bool { return len(e.ID) > 0 && string(e.ID) != "null" }

// IntID returns the id as an integer when it is a JSON integer.
func (e *Envelope) IntID() (int64, bool) {
	if len(e.ID) == 0 || (e.ID[0] != '-' && (e.ID[0] < '0' || e.ID[0] > '9')) {
		return 0, false
	}
	var n int64
	neg := false
	b := e.ID
	if b[0] == '-' {
		neg = true
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		v, err := strconv.ParseInt(string(e.ID), 10, 64)
		return v, err == nil
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// MethodName returns the method as a Go string (decoding escapes if any).
func (e *Envelope) MethodName() string { return unquote(e.Method) }

// ErrorFields reads code and message from a raw JSON-RPC error object. ok is
// false when err is not an object with an integer code.
func ErrorFields(errObj []byte) (code int, message string, ok bool) {
	var codeRaw, msgRaw []byte
	if len(errObj) == 0 || errObj[0] != '{' {
		return 0, "", false
	}
	if _, err := eachMember(errObj, 0, 1, func(key, val []byte) {
		switch string(key) {
		case "code":
			codeRaw = val
		case "message":
			msgRaw = val
		}
	}); err != nil {
		return 0, "", false
	}
	c, err := strconv.Atoi(string(codeRaw))
	if err != nil {
		return 0, "", false
	}
	return c, unquote(msgRaw), true
}

// ResultFlags reads the two members of a result that classify it: whether
// "isError" is true (a tool execution error), and the raw "resultType" value
// (2026-07-28; nil when absent, which means "complete").
func ResultFlags(result []byte) (isError bool, resultType []byte, ok bool) {
	if len(result) == 0 || result[0] != '{' {
		return false, nil, false
	}
	_, err := eachMember(result, 0, 1, func(key, val []byte) {
		switch string(key) {
		case "isError":
			isError = string(val) == "true"
		case "resultType":
			resultType = val
		}
	})
	return isError, resultType, err == nil
}

// Member returns the raw value of key in the JSON object obj (nil if absent
// or obj is not an object).
func Member(obj []byte, key string) []byte {
	var out []byte
	i := skipWS(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return nil
	}
	if _, err := eachMember(obj, i, 1, func(k, v []byte) {
		if string(k) == key {
			out = v
		}
	}); err != nil {
		return nil
	}
	return out
}

// Valid reports whether b is exactly one JSON value, white space allowed
// around it. It agrees with encoding/json.Valid on every input, nesting
// bound included, and does not allocate.
func Valid(b []byte) bool {
	i := skipWS(b, 0)
	end, err := skipValue(b, i, 1)
	return err == nil && skipWS(b, end) == len(b)
}

// EachMember checks that obj is exactly one JSON object (white space
// allowed around it), validating every value, and calls fn for each
// member in order with the key's raw contents (no quotes, escapes not
// decoded) and the raw value; both alias obj. Duplicate keys are all
// passed. fn may have been called for earlier members when the object
// turns out to be malformed; the error then wraps ErrNotJSON.
func EachMember(obj []byte, fn func(key, val []byte)) error {
	i := skipWS(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return fmt.Errorf("%w: does not start with '{'", ErrNotJSON)
	}
	end, err := eachMember(obj, i, 1, fn)
	if err != nil {
		return err
	}
	if skipWS(obj, end) != len(obj) {
		return fmt.Errorf("%w: trailing bytes after the object", ErrNotJSON)
	}
	return nil
}

func unquote(raw []byte) string {
	if len(raw) < 2 || raw[0] != '"' {
		return ""
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner)
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// eachMember walks the object starting at msg[i] == '{' (nesting level
// depth), validating every value, and calls fn with each key's raw
// contents (no quotes) and raw value.
func eachMember(msg []byte, i, depth int, fn func(key, val []byte)) (int, error) {
	if depth > maxDepth {
		return 0, fmt.Errorf("%w: nesting deeper than %d", ErrNotJSON, maxDepth)
	}
	i = skipWS(msg, i+1)
	if i < len(msg) && msg[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(msg) || msg[i] != '"' {
			return 0, syntaxErr(msg, i, "expected a key")
		}
		kEnd, err := skipString(msg, i)
		if err != nil {
			return 0, err
		}
		key := msg[i+1 : kEnd-1]
		i = skipWS(msg, kEnd)
		if i >= len(msg) || msg[i] != ':' {
			return 0, syntaxErr(msg, i, "expected ':'")
		}
		i = skipWS(msg, i+1)
		vEnd, err := skipValue(msg, i, depth+1)
		if err != nil {
			return 0, err
		}
		if fn != nil {
			fn(key, msg[i:vEnd])
		}
		i = skipWS(msg, vEnd)
		if i >= len(msg) {
			return 0, syntaxErr(msg, i, "unterminated object")
		}
		switch msg[i] {
		case ',':
			i = skipWS(msg, i+1)
		case '}':
			return i + 1, nil
		default:
			return 0, syntaxErr(msg, i, "expected ',' or '}'")
		}
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func syntaxErr(b []byte, i int, what string) error {
	if i >= len(b) {
		return fmt.Errorf("%w: %s at end of input", ErrNotJSON, what)
	}
	return fmt.Errorf("%w: %s at offset %d", ErrNotJSON, what, i)
}

// skipValue validates the JSON value at b[i], a container there being at
// nesting level depth, and returns the index after it.
func skipValue(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return 0, syntaxErr(b, i, "expected a value")
	}
	switch c := b[i]; {
	case c == '"':
		return skipString(b, i)
	case c == '{':
		return eachMember(b, i, depth, nil)
	case c == '[':
		if depth > maxDepth {
			return 0, fmt.Errorf("%w: nesting deeper than %d", ErrNotJSON, maxDepth)
		}
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == ']' {
			return i + 1, nil
		}
		for {
			end, err := skipValue(b, i, depth+1)
			if err != nil {
				return 0, err
			}
			i = skipWS(b, end)
			if i >= len(b) {
				return 0, syntaxErr(b, i, "unterminated array")
			}
			switch b[i] {
			case ',':
				i = skipWS(b, i+1)
			case ']':
				return i + 1, nil
			default:
				return 0, syntaxErr(b, i, "expected ',' or ']'")
			}
		}
	case c == 't':
		return skipLiteral(b, i, "true")
	case c == 'f':
		return skipLiteral(b, i, "false")
	case c == 'n':
		return skipLiteral(b, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return skipNumber(b, i)
	default:
		return 0, syntaxErr(b, i, "unexpected character")
	}
}

func skipLiteral(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return 0, syntaxErr(b, i, "bad literal")
	}
	return i + len(lit), nil
}

// plain marks the bytes a JSON string may hold without any further check.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func skipString(b []byte, i int) (int, error) {
	i++ // opening quote
	for i < len(b) {
		for i < len(b) && plain[b[i]] {
			i++
		}
		if i >= len(b) {
			break
		}
		c := b[i]
		switch {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			if i+1 >= len(b) {
				return 0, syntaxErr(b, i, "unterminated escape")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return 0, syntaxErr(b, i, "short \\u escape")
				}
				for _, h := range b[i+2 : i+6] {
					if !isHex(h) {
						return 0, syntaxErr(b, i, "bad \\u escape")
					}
				}
				i += 6
			default:
				return 0, syntaxErr(b, i, "bad escape")
			}
		case c < 0x20:
			return 0, syntaxErr(b, i, "control character in string")
		default:
			i++
		}
	}
	return 0, syntaxErr(b, i, "unterminated string")
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func skipNumber(b []byte, i int) (int, error) {
	start := i
	if b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return 0, syntaxErr(b, start, "bad number")
	}
	switch {
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return 0, syntaxErr(b, start, "bad number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return 0, syntaxErr(b, start, "bad number")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return 0, syntaxErr(b, start, "bad number")
		}
	}
	return i, nil
}
