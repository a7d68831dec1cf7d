// Package stress is the entry point a user calls from a test, and the
// harness every suite under stress/<suite> stands on:
//
//	func TestMyServer(t *testing.T) {
//		sum := stress.Run(t, "tcp://127.0.0.1:9001", framework.Scenario{...})
//		// sum is the full *framework.Summary, also when the run failed
//	}
//
// Run resolves the target (the empty string starts the embedded reference
// server from package mcptest in its own process, or as several
// SO_REUSEPORT processes: Options.ServerProcesses), takes its context from
// the test's deadline, stops cleanly on SIGINT, prints the plan and, with
// -v, a progress line per collection interval, and fails the test (without
// stopping it) on a broken request count, a failed threshold or a target
// that opened no session. It runs the scenario as local shard processes of
// the test binary (Options.Shards: more connections than one process can
// hold), merged live and exactly at the end; in a process given the shard
// environment (package shard) it runs its slice and writes its result.
//
// A suite declares stress.NewSuite(name) and hands it TestMain: flags
// (-target, -report-dir, -prometheus, -baseline …), the mode and profile
// (package framework/profile), T (one test's report entry: Judge a run with
// the reusable checks of package judge, Check, Fault, metrics, series),
// Shared (one run judged by several tests), reports written after every
// test and at the end. Ceiling measures the machine's raw ceiling at a
// session count through the same layout as a run. Nothing imports this
// package but tests.
package stress
