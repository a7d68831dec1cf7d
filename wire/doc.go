// Package wire owns the bytes of MCP: JSON-RPC 2.0 message shapes, error
// codes, protocol generations and their reserved _meta keys, the framing used
// on the wire (newline-delimited frames with a size limit, Server-Sent
// Events), and a validating single-pass scanner (Scan) that finds a message's
// members without reflection, for the load path. Both the lean client in
// package framework and the reference server in package mcptest are built on
// it. It imports only the standard library.
//
// Every reader here is bounded: a frame, line or event over its limit is an
// error (ErrFrameTooLarge, ErrEventTooLarge) and is discarded, never buffered
// whole. The fuzz targets (FuzzFrameReader, FuzzScan, FuzzSSEReader) keep
// their seed corpora in testdata/fuzz.
package wire
