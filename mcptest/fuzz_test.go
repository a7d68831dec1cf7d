package mcptest

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/wire"
)

// FuzzHandle feeds arbitrary frames to the request decoder and dispatcher.
// It must never panic, and every answer must be one valid JSON-RPC
// response carrying the request's id and a code from the documented set.
// Seeds live in testdata/fuzz/FuzzHandle.
//
//	go test -run '^$' -fuzz FuzzHandle -fuzztime 30s ./mcptest
func FuzzHandle(f *testing.F) {
	f.Add([]byte(initLine))
	f.Add([]byte(reqLine(1, "tools/call", `"name":"echo","arguments":{"message":"x"}`, true)))
	h := newHandler(Faults{})
	allowed := map[int]bool{
		wire.CodeParseError: true, wire.CodeInvalidRequest: true, wire.CodeMethodNotFound: true,
		wire.CodeInvalidParams: true, wire.CodeInternalError: true, wire.CodeResourceNotFound: true,
		wire.CodeUnsupportedProtocolVersion: true,
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		if got, want := wire.Valid(frame), json.Valid(frame); got != want {
			t.Fatalf("wire.Valid = %v, encoding/json says %v for %q", got, want, frame)
		}
		req, id, perr := parseRequest(frame)
		var out []byte
		if perr != nil {
			if perr.Code != wire.CodeParseError && perr.Code != wire.CodeInvalidRequest {
				t.Fatalf("decoder error code %d", perr.Code)
			}
			out = appendErrorResponse(nil, id, perr)
		} else {
			if req.Response || req.IsNotification() {
				h.notify(&session{gate: true}, &req)
				return
			}
			// A short deadline keeps sleep and cpu from stalling the fuzzer.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
			defer cancel()
			req.emit = func(note []byte) {
				if !json.Valid(note) || bytes.IndexByte(note, '\n') >= 0 {
					t.Fatalf("notification is not one JSON line: %q", note)
				}
			}
			var ok bool
			if out, _, ok = h.answer(ctx, &session{gate: true}, &req, nil); !ok {
				return
			}
		}
		var resp struct {
			JSONRPC string          `json:"jsonrpc"`
			ID      json.RawMessage `json:"id"`
			Result  json.RawMessage `json:"result"`
			Error   *wire.Error     `json:"error"`
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&resp); err != nil {
			t.Fatalf("response is not JSON-RPC: %v: %s", err, out)
		}
		if !json.Valid(out) || bytes.IndexByte(out, '\n') >= 0 {
			t.Fatalf("response is not one compact JSON line: %q", out)
		}
		if resp.JSONRPC != "2.0" || (resp.Result == nil) == (resp.Error == nil) {
			t.Fatalf("malformed response %s", out)
		}
		if perr == nil && !bytes.Equal(resp.ID, req.ID) {
			t.Fatalf("id %s, want %s", resp.ID, req.ID)
		}
		if resp.Error != nil && !allowed[resp.Error.Code] && !(req.Method == "tools/call" && req.P.Name == "error") {
			t.Fatalf("undocumented code %d in %s", resp.Error.Code, out)
		}
	})
}
