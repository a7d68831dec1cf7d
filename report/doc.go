// Package report owns the result tree of a run (run, suite, test, subtest)
// and everything that writes it out: JSON, HTML, CSV, text, JUnit, Markdown,
// Go benchmark format, HdrHistogram logs, and the Prometheus exporter. It
// reads results; it never runs load.
package report
