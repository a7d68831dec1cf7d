// Package protocol is the error-handling suite (seed 004, scenario 7): it
// sends an MCP server the inputs a robust server must survive, over the raw
// wire, and reports what the server did against what the specification
// expects.
//
// The target is a client.Target from the framework's one parser,
// client.ParseTarget (a loopback tcp:// or http:// target, or a stdio:
// command). The probes do not use the lean client's sessions: they write
// bytes straight onto a TCP connection to the target's address, an HTTP
// POST to its URL, or the stdin of a process started by the target's
// StartProcess (the spawner, environment, stderr tail and process cap of
// the client's own stdio sessions), so they can send malformed JSON, broken
// envelopes, oversized frames, duplicate ids, mismatched 2026 headers and
// missing or wrong bearer tokens. The background load of a run "under load"
// is a framework.Scenario run by framework.Run on the same target (load.go).
//
// The case table is cases.go; Run executes it with a per-case deadline,
// checks after every case that the server still answers (on the same
// connection, then on a fresh one), and returns a Report: its Table (a
// report.Table) and its counts and load accounting (Counts.Metrics,
// LoadStats.Metrics, under the seed's metric names) go into the suite's
// report through the shared stress harness.
//
// Verdicts: "expected" (the answer is one the spec allows), "MISMATCH" (a
// finding: the server answered, but not as the spec says), "HANG" (the
// server stopped answering on the connection after the case), "CRASH" (the
// server no longer answers a fresh session, or the stdio process exited on
// a case where closing is not an allowed answer: over stdio the process is
// the server), "ERROR" (no session could be opened for the case), "skipped"
// (the case does not apply: transport, generation or no token configured).
// The suite (the //go:build stress tests in this directory, on the shared
// harness: stress.NewSuite("protocol")) fails on any HANG, CRASH or ERROR for
// every server, and on any MISMATCH only for the reference server, where
// every case must be as expected. README.md has
// the case table, the servers and their results.
package protocol
