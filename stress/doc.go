// Package stress is the entry point a user calls from a test:
//
//	func TestMyServer(t *testing.T) {
//		sum := stress.Run(t, "tcp://127.0.0.1:9001", framework.Scenario{...})
//		// sum is the full *framework.Summary, also when the run failed
//	}
//
// Run resolves the target (the empty string starts the embedded reference
// server from package mcptest in its own process), takes its context from
// the test's deadline, stops cleanly on SIGINT, prints the plan and, with
// -v, a progress line per collection interval, and fails the test (without
// stopping it) on a conservation violation or a failed threshold. The suites
// under stress/<suite> are built on it; nothing imports this package but
// tests.
package stress
