// Package baseline is the first suite a user runs (seed 000, suite 1): 150
// MCP sessions offered 5,000 messages per second (open model) against the
// server under test, judged on the seed's pass criteria, which are data in
// testdata/profiles/baseline.json:
//
//	TestBaseline150Connections       all 150 sessions open; throughput 4,500–5,500 msg/s;
//	                                 every request accounted for; the seed's collection points
//	TestBaselineMessageDistribution  per-session counts against equal shares (chi-square and
//	                                 extreme-session binomial tests, p ≥ 0.001)
//	TestBaselineLatencyPercentiles   p50/p95/p99/max ceilings (40/102/150/300 ms)
//	TestBaselineErrorRate            errors < 0.1% of sent; errors + drops < 0.1% of scheduled
//	TestBaselineMemoryStability      server RSS slope × 5 min < 100 MB; RSS < 500 MB
//	TestBaselineRecoveryTime         after every connection is reset (through a chaos proxy),
//	                                 throughput back to ≥ 90% of its pre-drop level in < 10 s
//	TestBaselineChecksFailAgainstASlowServer
//	                                 the latency checks fail against a reference server slowed
//	                                 by 150 ms and pass against an unslowed one
//	TestBaselineMemoryCheckFailsAgainstALeakingServer
//	                                 the memory growth check passes against a reference server,
//	                                 then fails against the same server once its LeakBytesPerCall
//	                                 fault retains memory at 20× the criterion's rate
//
// The first four tests (and the memory test) judge one shared run, made once
// per process by whichever of them runs first; the recovery test and the
// slow- and leaking-server controls make their own. The tests are behind
// the stress build tag:
//
//	STRESS_TEST_MODE=quick go test -tags stress -v ./stress/baseline
//	MCP_TARGET=tcp://127.0.0.1:9001 go test -tags stress ./stress/baseline
//	go test -tags stress ./stress/baseline -target 'stdio:./my-server' -report-dir out/
//
// With no target the embedded reference server runs in its own process.
// Reports (report.json, report.txt, report.csv and the rest of package
// report's files) go to -report-dir, $MCPSTRESS_REPORT_DIR, or
// reports/baseline-<UTC time>/ at the module root, rewritten after every
// test.
package baseline
