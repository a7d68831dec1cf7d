// Package verdict owns the judged pass criterion: Check is one criterion
// (a threshold such as "p95 <= 102ms over 10s", or a suite's own check such
// as "memory growth over 5m < 100 MB") together with the value it was
// judged on and the outcome. It is the one type that travels from the
// engine's thresholds and the suites' checks into every report, so that a
// check reads the same everywhere: ✓ passed, ✗ failed, – not judged.
//
// A check has three outcomes, never more:
//
//   - judged: Pass says whether the measured value met the criterion;
//   - no data (NoData, or a NaN Measured): there was nothing to measure
//     (a zero denominator, no answered request). Such a check is judged
//     and always fails, whatever Pass says, and it shows as "no data",
//     never as a measured zero;
//   - not judged (Skip set to the reason): the criterion does not apply,
//     for example the memory of a server the suite did not start. It is
//     neither a pass nor a failure.
//
// Measured is in Unit as a person reads it: "ms" for latencies, "%" for
// rates (stored as percent: 0.05 means 0.05 %), "msg/s" for throughput,
// "MB" for memory, "s" for durations, "" for plain numbers.
//
// The package imports only the standard library; report aliases Check as
// report.ThresholdResult.
package verdict
