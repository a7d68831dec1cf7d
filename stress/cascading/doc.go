// Package cascading is seed suite 5 (seed 000, §5): several failures at
// once, each scenario in the seed's three phases — baseline (30 s),
// failures (60 s), recovery (120 s), scaled by mode — with the recovery
// progression curve (throughput as a percentage of the baseline phase over
// time, the fault bands drawn) in its report.
//
//	go test -tags stress ./stress/cascading
//
// TestCascadingCrashAndMassDisconnect kills one of the reference server's
// four SO_REUSEPORT processes (restarted when the failure phase ends) and
// drops 500 of 5,000 client connections, the clients retrying a request
// once, 50 ms later, when its connection broke under it: peak error rate
// (worst 1 s window) < 15%, recovered < 2 min after the heal.
// TestCascadingRegistryPartitionAndLatency blocks the server's session
// registry (initialize waits) and adds 200 ms to every answer, while 10% of
// the connections are dropped so that their sessions must pass the
// registry: graceful degradation (the sessions that stay up keep being
// answered, at the latency added, without errors) and recovered < 10 min.
// TestCascadingSlowHandlerTimeoutCascade delays every answer by 500 ms
// against a 300 ms client timeout, twice: with a naive client (three
// immediate retries) and with the client's containment (bounded retries
// with backoff and a circuit breaker), and shows whether the timeouts turn
// into retries and overload (attempts per request, requests the server
// still holds) and whether containment contains it.
// TestCascadingTripleFailure does a crash (one of four processes), a
// partition (a quarter of the failure phase) and 200 ms delays at once,
// with the same retrying clients: survives, error rate < 25% from the
// failure on, recovered < 2 min after the heal.
package cascading
