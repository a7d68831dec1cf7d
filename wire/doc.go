// Package wire owns the bytes of MCP: JSON-RPC 2.0 message shapes, error
// codes, protocol generations and their reserved _meta keys, and the framing
// used on the wire (newline-delimited frames with a size limit, Server-Sent
// Events). Both the lean client in package framework and the reference server
// in package mcptest are built on it. It imports only the standard library.
package wire
