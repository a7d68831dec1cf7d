// Package sustained is seed suite 4 (seed 000, §4): long-term stability at
// peak load, the 24 hour soak.
//
//	STRESS_TEST_MODE=extended go test -tags stress -timeout 25h ./stress/sustained
//
// One soak (duration by mode: quick CI-sized, demo 10 min, short 1 h,
// extended 24 h) holds the peak level's sessions (15,000) at the seed's
// rate or a fraction of the machine's ceiling measured in the same run,
// whichever is lower, and four tests judge it: TestSustained24HourSoak
// (errors, drops, throughput, sessions held, no server crash),
// TestSustainedMemoryStability (server RSS growth after warm-up by a
// Theil–Sen slope with its interval and a Mann–Kendall trend test, against
// the seed's < 50 MB/h and < 500 MB over 24 h; the library's own heap stays
// flat), TestSustainedErrorRateStability (every snapshot under 0.1%, no
// rising trend) and TestSustainedLatencyStability (p95 of every snapshot
// within ±20 ms of the soak's typical p95). The seed's collection points
// are its tables: T+warm-up, every minute (every second in short runs),
// a snapshot per hour (per the mode's snapshot phase in shorter modes), and
// the final figures; CPU and GC pauses of both sides, the server's from its
// own /stats.
//
// TestSustainedMemoryCheckFailsAgainstALeakingServer is the negative
// control of the server's memory check: it fails against the reference
// server with its leak hook on and passes with it off.
// TestSustainedClientHeapCheckFailsAgainstALeakingGenerator is that of the
// library's own heap: the check fails when a per-request consumer of the
// run (RunOptions.OnSample) keeps a little of every sample, and passes
// without it.
//
// A long run writes its interval data to disk as it goes (the shards' logs
// beside the reports: a crash of the test process loses at most one
// interval), stops on SIGINT or the -timeout deadline with every report
// written and marked partial, prints progress every interval under -v, and
// serves Prometheus metrics with -prometheus.
package sustained
