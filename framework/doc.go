// Package framework is the load engine: it drives the sessions that package
// framework/client opens, and measures what they answer. It holds the
// scenario and its workload mix, the pure pacers, the open and closed
// executors and the session ramp, the recorder (HdrHistograms and exact
// outcome counters, striped per worker), the resource sampler, and the
// thresholds.
//
// What flows out is one mergeable Result (result.go): counts by operation
// and outcome, JSON-RPC error codes, the three latency histograms,
// per-interval counts and histograms on a grid anchored at an epoch, and
// per-session answered counts. Result.Merge adds results of several
// processes or machines exactly; Summarize is the one function that derives
// rates, latency figures, conservation and threshold verdicts from any
// Result, single or merged, into the Summary that suites and reports read.
//
// The rooms beside it: framework/client (targets, sessions, transports:
// the MCP client, which knows nothing of the engine) and framework/profile
// (profiles and modes, the seeds' figures as data). Verdicts and report
// nodes are made from summaries by package judge.
package framework
