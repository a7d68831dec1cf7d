package protocol

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/mcpstress/mcpstress/wire"
)

// httpReply is what one POST got back.
type httpReply struct {
	status  int
	header  http.Header
	msg     *wire.Message // the JSON-RPC response found in the body, if any
	body    string        // an excerpt of a body that held no JSON-RPC response
	badBody bool          // the body claimed JSON or SSE and was neither
}

// post sends one body and reads the reply: a JSON object, or an SSE stream
// read until its first response (no method).
func post(ctx context.Context, hc *http.Client, url string, body []byte, hdr http.Header) (httpReply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return httpReply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, vs := range hdr {
		req.Header.Del(k)
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return httpReply{}, err
	}
	defer resp.Body.Close()
	r := httpReply{status: resp.StatusCode, header: resp.Header}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	lim := io.LimitReader(resp.Body, maxReply)
	switch mt {
	case "text/event-stream":
		sse := wire.NewSSEReader(lim, maxReply)
		for {
			ev, err := sse.Next()
			if err != nil {
				if ctx.Err() != nil {
					return r, ctx.Err()
				}
				return r, nil // stream ended without a response
			}
			if len(bytes.TrimSpace(ev.Data)) == 0 {
				continue // priming event
			}
			var m wire.Message
			if json.Unmarshal(ev.Data, &m) != nil {
				r.badBody = true
				r.body = excerpt(string(ev.Data), 200)
				return r, nil
			}
			if m.Method == "" {
				r.msg = &m
				return r, nil
			}
		}
	default:
		b, err := io.ReadAll(lim)
		if err != nil && ctx.Err() != nil {
			return r, ctx.Err()
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			return r, nil
		}
		var m wire.Message
		if json.Unmarshal(b, &m) == nil && m.JSONRPC == "2.0" && m.Method == "" && (m.Error != nil || m.Result != nil) {
			r.msg = &m
			return r, nil
		}
		if mt == "application/json" {
			r.badBody = true
		}
		r.body = excerpt(strings.TrimSpace(string(b)), 200)
		return r, nil
	}
}

// isTimeout reports whether err is a deadline or cancellation.
func isTimeout(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}
