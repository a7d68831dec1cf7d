// Package integration is the 100K concurrent integration framework of seed
// 004, built for real: its ten integration tests and its eight scenarios,
// each scenario a step of the orchestrator (package orchestrator) against
// real sessions.
//
//	STRESS_TEST_MODE=demo go test -tags stress -timeout 60m ./stress/integration
//
// The framework tests judge the framework's own parts:
// TestFrameworkStartupAndShutdown, TestTestResultReporter (every report
// format written and read back), TestRegressionDetector (a slower run is a
// regression, a faster one never is, too few runs are inconclusive),
// TestTestOrchestrator (order, dependencies, cycles named, a failed
// dependency skips with the reason, timeouts), TestFrameworkParallelExecution
// (speed-up of independent steps, bounded by the machine's 2 cores),
// TestFrameworkResourceManagement (sessions, processes and proxies a step
// holds are released when it ends: open files and child processes counted),
// TestFrameworkErrorHandling (a failing or panicking step fails alone) and
// TestFrameworkPerformanceMetrics (the orchestrator's overheads measured
// beside the seed's claims).
//
// TestFullFrameworkAtScale runs the eight scenarios (ConnectionScaling,
// SustainedLoad, FailoverRecovery, ChaosInjection, MemoryStability,
// LatencyConsistency, ErrorHandling, GracefulDegradation) through the
// orchestrator at the mode's scale, one at a time (each loads both cores);
// TestComplete100KIntegration holds the mode's largest level — 100,000
// sessions from demo mode up: client shards, the reference server as
// SO_REUSEPORT processes, source addresses over 127.0.0.x — every session
// initialised and answering, and reports memory per session on both sides,
// the ramp rate and the achieved rate.
package integration
