// Package client is the lean MCP client the engine drives: targets given
// as strings (ParseTarget: tcp://, http(s)://, stdio:command, or "" for the
// embedded reference server), and sessions over newline-delimited TCP,
// stdio (a process per session) and Streamable HTTP (JSON and SSE replies),
// in both protocol generations (the initialize handshake of 2025-06-18 and
// 2025-11-25, and the stateless 2026-07-28).
//
// Two small interfaces are its whole contract with the engine: a Target
// makes Sessions, and a Session answers Calls with a Response whose Outcome
// is exactly one of the classes in outcome.go, so every request is
// accounted for. The package imports nothing of the engine.
package client
