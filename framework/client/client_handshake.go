package client

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mcpstress/mcpstress/wire"
)

// roundTripper sends one request during a handshake.
type roundTripper func(ctx context.Context, method string, params, meta []byte) Response

// handshake establishes the protocol generation (mcp-wire.md §2A, §2B):
// explicit 2026 → server/discover; explicit legacy → initialize; "" →
// server/discover at 2026, falling back to initialize on anything but a
// discover result that lists 2026 or a modern -32022.
func handshake(ctx context.Context, opts Options, rt roundTripper) (*streamState, error) {
	want := opts.Protocol
	hint := "" // the newest legacy version a modern answer named
	if want == "" || wire.IsModern(want) {
		v := wire.Version20260728
		for try := 0; try < 2; try++ {
			meta := modernMeta(v, opts.ClientName, opts.ClientVersion)
			dctx := ctx
			if want == "" {
				// A legacy server may never answer discover: keep half of
				// the connect time for the initialize fallback.
				if dl, ok := ctx.Deadline(); ok {
					var cancel context.CancelFunc
					dctx, cancel = context.WithTimeout(ctx, time.Until(dl)/2)
					defer cancel()
				}
			}
			r := rt(dctx, "server/discover", nil, meta)
			switch {
			case r.Outcome == OK:
				ok, best := supportsVersion(r.Result, v)
				if ok {
					return &streamState{protocol: v, meta: meta, serverInfo: serverInfoOf(r.Result, true)}, nil
				}
				hint = best
			case r.Outcome == RPCError && r.Code == wire.CodeUnsupportedProtocolVersion:
				nv := supportedFrom(r.Err)
				if nv != "" && nv != v && wire.IsModern(nv) && want == "" {
					v = nv
					continue
				}
				hint = nv
			case (r.Outcome == TransportError && r.Code == 0) || (r.Outcome == Cancelled && ctx.Err() != nil):
				// the connection failed (an HTTP status instead falls back)
				return nil, r.Err
			}
			break
		}
		if want != "" {
			return nil, fmt.Errorf("server does not accept protocol %s", want)
		}
	}
	return initialize(ctx, opts, rt, want, hint)
}

// initialize runs the legacy handshake asking for want, or (want "") for
// hint when the server named a legacy version, else the newest legacy one.
func initialize(ctx context.Context, opts Options, rt roundTripper, want, hint string) (*streamState, error) {
	ask := want
	if ask == "" {
		ask = wire.Version20251125
		if hint != "" && !wire.IsModern(hint) {
			ask = hint
		}
	}
	params, _ := json.Marshal(map[string]any{
		"protocolVersion": ask,
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]string{"name": opts.ClientName, "version": opts.ClientVersion},
	})
	r := rt(ctx, "initialize", params, nil)
	if r.Outcome != OK {
		if r.Err == nil {
			r.Err = fmt.Errorf("initialize ended %v", r.Outcome)
		}
		return nil, fmt.Errorf("initialize: %w", r.Err)
	}
	var res struct {
		ProtocolVersion string          `json:"protocolVersion"`
		ServerInfo      json.RawMessage `json:"serverInfo"`
	}
	if err := json.Unmarshal(r.Result, &res); err != nil {
		return nil, fmt.Errorf("initialize result: %w", err)
	}
	switch {
	case !knownVersion(res.ProtocolVersion) || wire.IsModern(res.ProtocolVersion):
		return nil, fmt.Errorf("server answered initialize with protocol %q, which this client does not speak", res.ProtocolVersion)
	case want != "" && res.ProtocolVersion != want:
		return nil, fmt.Errorf("asked for protocol %s, server negotiated %s", want, res.ProtocolVersion)
	}
	return &streamState{protocol: res.ProtocolVersion, serverInfo: res.ServerInfo}, nil
}

// supportsVersion reports whether a discover result lists v (a result
// without the list is trusted), and the newest version of the list the
// client speaks.
func supportsVersion(result []byte, v string) (bool, string) {
	var d struct {
		Supported []string `json:"supportedVersions"`
	}
	if json.Unmarshal(result, &d) != nil {
		return false, ""
	}
	if d.Supported == nil {
		return true, ""
	}
	ok, best := false, ""
	for _, s := range d.Supported {
		ok = ok || s == v
		if knownVersion(s) && s > best {
			best = s
		}
	}
	return ok, best
}

func serverInfoOf(result []byte, modern bool) json.RawMessage {
	if modern {
		if m := wire.Member(result, "_meta"); m != nil {
			if si := wire.Member(m, wire.MetaServerInfo); si != nil {
				return copyBytes(si)
			}
		}
	}
	return copyBytes(wire.Member(result, "serverInfo"))
}
