package mcptest

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/mcpstress/mcpstress/wire"
)

// Limits on tool arguments, so a request cannot make the server allocate
// or hold without bound.
const (
	maxSleep = 10 * time.Minute
	maxCPU   = 10 * time.Second
	maxLarge = 64 << 20
)

// tool is one tool of the reference server. run appends the fields of a
// CallToolResult (without braces) to dst; isError marks an execution error.
type tool struct {
	name, description, schema string
	slow                      bool // may take long: run off the connection's read loop
	run                       func(ctx context.Context, args json.RawMessage, dst []byte) (out []byte, isError bool, e *rpcError)
}

// toolset is the tool table of one server, built once by newToolset and
// read-only afterwards: the list in tools/list order, an index by name and
// the pre-encoded "tools":[...] fields of the tools/list result.
type toolset struct {
	list       []tool
	index      map[string]*tool
	listFields string
}

// toolDefs returns a fresh copy of the reference server's tools.
func toolDefs() []tool {
	return []tool{
		{"echo", "Returns the message it is given.",
			`{"type":"object","properties":{"message":{"type":"string"}},"required":["message"]}`, false, runEcho},
		{"add", "Returns a+b.",
			`{"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}},"required":["a","b"]}`, false, runAdd},
		{"sleep", "Waits ms milliseconds, then answers.",
			`{"type":"object","properties":{"ms":{"type":"integer","minimum":0,"maximum":` + strconv.FormatInt(maxSleep.Milliseconds(), 10) + `}},"required":["ms"]}`, true, runSleep},
		{"cpu", "Spins the CPU for us microseconds, then answers.",
			`{"type":"object","properties":{"us":{"type":"integer","minimum":0,"maximum":` + strconv.FormatInt(maxCPU.Microseconds(), 10) + `}},"required":["us"]}`, true, runCPU},
		{"large", "Returns a text block of exactly bytes bytes.",
			`{"type":"object","properties":{"bytes":{"type":"integer","minimum":0}},"required":["bytes"]}`, false, runLarge},
		{"fail", "Always fails with an execution error (isError:true).",
			`{"type":"object","properties":{"message":{"type":"string"}}}`, false, runFail},
		{"error", "Always answers with a JSON-RPC error (code defaults to -32603).",
			`{"type":"object","properties":{"code":{"type":"integer"},"message":{"type":"string"}}}`, false, runError},
	}
}

// newToolset builds the tool table of one server.
func newToolset() *toolset {
	ts := &toolset{list: toolDefs()}
	ts.index = make(map[string]*tool, len(ts.list))
	b := []byte(`"tools":[`)
	for i := range ts.list {
		t := &ts.list[i]
		ts.index[t.name] = t
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = appendString(b, t.name)
		b = append(b, `,"description":`...)
		b = appendString(b, t.description)
		b = append(b, `,"inputSchema":`...)
		b = append(b, t.schema...)
		b = append(b, '}')
	}
	ts.listFields = string(append(b, ']'))
	return ts
}

// lookup returns the tool called name, or nil.
func (ts *toolset) lookup(name string) *tool { return ts.index[name] }

// internToolName returns the constant copy of a known tool's name, so the
// request parser does not allocate it; ok is false for other names.
func internToolName(v []byte) (string, bool) {
	switch string(v) {
	case "echo":
		return "echo", true
	case "add":
		return "add", true
	case "sleep":
		return "sleep", true
	case "cpu":
		return "cpu", true
	case "large":
		return "large", true
	case "fail":
		return "fail", true
	case "error":
		return "error", true
	}
	return "", false
}

func badArgs(toolName string, err error) *rpcError {
	return errorf(wire.CodeInvalidParams, "invalid arguments for tool "+strconv.Quote(toolName)+": "+err.Error())
}

func missingArg(toolName, arg string) *rpcError {
	return errorf(wire.CodeInvalidParams, "tool "+strconv.Quote(toolName)+": missing required argument "+strconv.Quote(arg))
}

// outOfRange is the -32602 for an integer argument outside [0, max].
func outOfRange(toolName, arg string, v, max int64) *rpcError {
	return errorf(wire.CodeInvalidParams, "tool "+strconv.Quote(toolName)+": argument "+strconv.Quote(arg)+" = "+
		strconv.FormatInt(v, 10)+" is out of range: must be in [0, "+strconv.FormatInt(max, 10)+"]")
}

func appendText(dst []byte, text string) []byte {
	dst = append(dst, `"content":[{"type":"text","text":`...)
	dst = appendString(dst, text)
	return append(dst, "}]"...)
}

func toolError(dst []byte, text string) ([]byte, bool, *rpcError) {
	dst = appendText(dst, text)
	return append(dst, `,"isError":true`...), true, nil
}

func decodeArgs(name string, raw json.RawMessage, v any) *rpcError {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return badArgs(name, err)
	}
	return nil
}

func runEcho(_ context.Context, raw json.RawMessage, dst []byte) ([]byte, bool, *rpcError) {
	var msg []byte
	if len(raw) > 0 && string(raw) != "null" {
		if wire.EachMember(raw, func(k, v []byte) {
			if keyIs(k, "message") {
				msg = v
			}
		}) != nil {
			return dst, false, errorf(wire.CodeInvalidParams, `invalid arguments for tool "echo": not an object`)
		}
	}
	if msg == nil || string(msg) == "null" {
		return dst, false, missingArg("echo", "message")
	}
	if msg[0] != '"' {
		return dst, false, errorf(wire.CodeInvalidParams, `invalid arguments for tool "echo": message must be a string`)
	}
	dst = append(dst, `"content":[{"type":"text","text":`...)
	if bytes.IndexByte(msg, '\\') < 0 && utf8.Valid(msg) {
		dst = append(dst, msg...) // already a valid JSON string: copy it as is
	} else {
		s, _ := jsonString(msg)
		dst = appendString(dst, s)
	}
	return append(dst, "}]"...), false, nil
}

func runAdd(_ context.Context, raw json.RawMessage, dst []byte) ([]byte, bool, *rpcError) {
	var a struct {
		A *float64 `json:"a"`
		B *float64 `json:"b"`
	}
	if e := decodeArgs("add", raw, &a); e != nil {
		return dst, false, e
	}
	if a.A == nil {
		return dst, false, missingArg("add", "a")
	}
	if a.B == nil {
		return dst, false, missingArg("add", "b")
	}
	v := *a.A + *a.B
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return toolError(dst, "add: the sum is not a finite number")
	}
	sum := strconv.AppendFloat(nil, v, 'g', -1, 64)
	dst = appendText(dst, string(sum))
	dst = append(dst, `,"structuredContent":{"sum":`...)
	dst = append(dst, sum...)
	return append(dst, '}'), false, nil
}

// intArg decodes a required integer argument.
func intArg(name, arg string, raw json.RawMessage) (int64, *rpcError) {
	var a map[string]*int64
	if e := decodeArgs(name, raw, &a); e != nil {
		return 0, e
	}
	v, ok := a[arg]
	if !ok || v == nil {
		return 0, missingArg(name, arg)
	}
	return *v, nil
}

func runSleep(ctx context.Context, raw json.RawMessage, dst []byte) ([]byte, bool, *rpcError) {
	ms, e := intArg("sleep", "ms", raw)
	if e != nil {
		return dst, false, e
	}
	// Compare before converting: time.Duration(ms)*time.Millisecond
	// overflows (and wraps past the bound) for huge ms.
	if ms < 0 || ms > maxSleep.Milliseconds() {
		return dst, false, outOfRange("sleep", "ms", ms, maxSleep.Milliseconds())
	}
	t := time.NewTimer(time.Duration(ms) * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		// The dispatcher sees ctx done and sends nothing (abandoned).
		return toolError(dst, "sleep: cancelled")
	}
	return appendText(dst, "slept "+strconv.FormatInt(ms, 10)+" ms"), false, nil
}

func runCPU(ctx context.Context, raw json.RawMessage, dst []byte) ([]byte, bool, *rpcError) {
	us, e := intArg("cpu", "us", raw)
	if e != nil {
		return dst, false, e
	}
	if us < 0 || us > maxCPU.Microseconds() { // before converting, as in runSleep
		return dst, false, outOfRange("cpu", "us", us, maxCPU.Microseconds())
	}
	d := time.Duration(us) * time.Microsecond
	start := time.Now()
	var x uint64 = 88172645463325252
	for i := 0; time.Since(start) < d; i++ {
		for j := 0; j < 256; j++ { // xorshift: real work the compiler keeps
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
		}
		if i&63 == 0 && ctx.Err() != nil {
			return toolError(dst, "cpu: cancelled")
		}
	}
	return appendText(dst, "spun "+strconv.FormatInt(us, 10)+" us ("+strconv.FormatUint(x&0xffff, 16)+")"), false, nil
}

const largePattern = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

func runLarge(_ context.Context, raw json.RawMessage, dst []byte) ([]byte, bool, *rpcError) {
	n, e := intArg("large", "bytes", raw)
	if e != nil {
		return dst, false, e
	}
	if n < 0 || n > maxLarge {
		return toolError(dst, "large: bytes must be in [0, "+strconv.Itoa(maxLarge)+"]")
	}
	dst = append(dst, `"content":[{"type":"text","text":"`...)
	for left := int(n); left > 0; {
		k := min(left, len(largePattern))
		dst = append(dst, largePattern[:k]...)
		left -= k
	}
	return append(dst, `"}]`...), false, nil
}

func runFail(_ context.Context, raw json.RawMessage, dst []byte) ([]byte, bool, *rpcError) {
	var a struct {
		Message string `json:"message"`
	}
	if e := decodeArgs("fail", raw, &a); e != nil {
		return dst, false, e
	}
	if a.Message == "" {
		a.Message = "fail: the tool failed as asked"
	}
	return toolError(dst, a.Message)
}

func runError(_ context.Context, raw json.RawMessage, dst []byte) ([]byte, bool, *rpcError) {
	var a struct {
		Code    *int   `json:"code"`
		Message string `json:"message"`
	}
	if e := decodeArgs("error", raw, &a); e != nil {
		return dst, false, e
	}
	code := wire.CodeInternalError
	if a.Code != nil {
		code = *a.Code
	}
	if a.Message == "" {
		a.Message = "error: the tool answered with a JSON-RPC error as asked"
	}
	return dst, false, errorf(code, a.Message)
}
