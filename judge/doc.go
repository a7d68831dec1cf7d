// Package judge turns what a run measured into verdicts and report nodes,
// so that every suite, the merge of shard results and the orchestrator
// judge the same way. It holds the reusable checks — throughput and
// latency thresholds (Thresholds), every request accounted for, sessions
// opened, the run completed (RunChecks), undelivered messages, the message
// distribution over sessions, the memory slope, recovery time — each
// returning a verdict.Check that fails on no data; and SummaryNode, which
// converts a framework.Summary into a report node with the seed's metrics,
// series, tables and HDR interval logs.
//
// judge reads results; it runs no load and imports no suite.
package judge
