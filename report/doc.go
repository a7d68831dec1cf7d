// Package report owns the result tree of a run and everything that writes it
// out; it reads results and never runs load.
//
// # The tree
//
// A Run holds suites; a suite Node holds tests, a test holds subtests. Every
// node carries a Status, a Duration, summary Metrics (with the direction
// that is Better), Series over time (throughput, latency percentiles,
// memory, recovery) and Curves against something else (the scaling curve),
// ThresholdResults (verdict.Check: expression, measured value in its unit,
// window, evidence and ✓/✗/–; a check with no data fails and reads "no
// data", a skipped check is neither pass nor fail), Assertions,
// outcome Counts, FaultEvents, Tables, Warnings, and HdrHistogram interval
// histograms. All fields are plain exported data, so an engine's summary
// converts into it with a few assignments; NewSuite, NewTest, NewSubtest and
// the Add… helpers cover the common shapes, and PercentileSeries turns
// interval histograms into the latency chart. Every time offset is measured
// from Run.Started, so suites and faults share one timeline. A metric
// marked Key (AddKeyMetric) is the test's headline figure, the one its
// suite exists to measure (recovery time, memory slope).
//
// A Builder collects the tree while tests run (safe for concurrent use) and
// publishes the same values as a stream of Events to subscribers, who never
// slow the run down: a full subscriber misses events and counts them.
//
// # The files
//
// WriteAll writes, each atomically (temporary file, fsync, rename), into one
// directory. These names are an interface users and CI rely on:
//
//	report.json    JSON, versioned schema (SchemaV1, schema/v1.json)
//	report.html    one self-contained page, inline SVG charts (gonum/plot),
//	               fault events as bands, every chart's data also as tables
//	report.csv     one row per test and subtest (the seed's columns first)
//	intervals.csv  one row per series point
//	report.txt     the seed's text block, then a k6-like summary
//	junit.xml      JUnit XML for CI test views
//	summary.md     Markdown for $GITHUB_STEP_SUMMARY
//	bench.txt      Go benchmark format, for benchstat
//	<suite>.<test…>.hlog  HdrHistogram interval logs (format 1.3)
//
// # The digest
//
// Digest renders one or more runs as a single table for a terminal: per
// test the verdict, msg/s, p50/p95/p99, errors, drops and its Key metrics,
// then the failures and each suite's report.html. `make demo` ends with it
// (cmd/mcpstress-report table DIR...).
//
// # Prometheus
//
// An Exporter registers mcpstress_… metrics on a registry it is given (never
// the global one) and serves them on the seed's per-suite port (baseline
// 9090 … cascading 9094) when enabled; it is off unless asked for. The
// Grafana dashboards under deploy/grafana query exactly these names.
package report
