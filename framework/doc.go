// Package framework is the measuring instrument: targets and the lean MCP
// client that opens sessions on them (target*.go, client*.go, transport_*.go),
// and the load engine that drives those sessions (pacers, executors, workload
// mixes, the recorder with HdrHistograms and exact outcome counters, resource
// sampling, thresholds, modes and profiles).
//
// The two halves meet in two small interfaces defined in session.go: a Target
// makes Sessions, and a Session answers Calls with a Response whose Outcome is
// exactly one of the classes in outcome.go.
package framework
