package report

import (
	"strings"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/verdict"
)

// digestRuns is two suite runs as the demo leaves them: the baseline suite
// with a passing load test, a headline figure, a check without data and a
// skip; the protocol suite with no load metrics at all.
func digestRuns() []DigestRun {
	load := NewTest("TestBaseline150Connections", StatusPassed, 10*time.Second).
		AddMetric(DigestMetricRate, "msg/s", 4998.2, BetterHigher).
		AddMetric(DigestMetricP50, "ms", 0.21, BetterLower).
		AddMetric(DigestMetricP95, "ms", 0.45, BetterLower).
		AddMetric(DigestMetricP99, "ms", 2.5, BetterLower).
		AddMetric(DigestMetricErrorRate, "%", 0.04, BetterLower).
		AddMetric(DigestMetricDropRate, "%", 0, BetterLower).
		AddCount("ok", 49980).AddCount("timeout", 20).
		AddThreshold("p95 <= 102ms", 0.45, "ms", true)
	recovery := NewTest("TestBaselineRecoveryTime", StatusPassed, 12*time.Second).
		AddMetric(DigestMetricRate, "msg/s", 4100, BetterHigher).
		AddMetric(DigestMetricDropRate, "%", 1.5, BetterLower).
		AddCount("ok", 41000).AddCount("dropped", 620).
		AddKeyMetric("recovery_time", "s", 2.4, BetterLower)
	latency := NewTest("TestBaselineLatencyPercentiles", "", 10*time.Second).
		AddMetric(DigestMetricRate, "msg/s", 0, BetterHigher).
		AddCheck(verdict.NoDataCheck("p99 <= 150ms", "p99", "ms", "no request was answered"))
	memory := NewTest("TestBaselineMemoryStability", StatusSkipped, 0)
	memory.Message = "the suite did not start the server"
	baseline := &Run{ID: "b", Started: fixtureStart, Suites: []*Node{NewSuite("baseline", load, recovery, latency, memory)}}

	cases := NewTest("TestProtocolErrorHandling", StatusPassed, 3*time.Second).
		AddMetric("mismatches", "", 0, BetterLower)
	cases.AddChild(NewSubtest("reference", StatusPassed, time.Second))
	protocol := &Run{ID: "p", Started: fixtureStart, Suites: []*Node{NewSuite("protocol", cases)}}

	return []DigestRun{{Run: baseline, Dir: "reports/baseline-20260127T100000Z"}, {Run: protocol, Dir: "reports/protocol-20260127T100000Z"}}
}

func TestDigestIsOneTableAcrossSuites(t *testing.T) {
	got := Digest(digestRuns()...)
	want := `SUITE     TEST                                 VERDICT  MSG/S  P50 ms  P95 ms  P99 ms  ERRORS      DROPS        KEY
baseline  TestBaseline150Connections           passed   4998   0.21    0.45    2.50    20 (0.04%)  0
baseline  TestBaselineRecoveryTime             passed   4100   -       -       -       0           620 (1.50%)  recovery_time=2.40 s
baseline  TestBaselineLatencyPercentiles       FAILED   0      -       -       -       -           -
baseline  TestBaselineMemoryStability          skipped  -      -       -       -       -           -
protocol  TestProtocolErrorHandling            passed   -      -       -       -       -           -
protocol  TestProtocolErrorHandling/reference  passed   -      -       -       -       -           -

6 tests: 4 passed, 1 failed, 1 skipped

FAILED baseline/TestBaselineLatencyPercentiles: threshold failed: p99 <= 150ms (no data)
    ✗ p99 <= 150ms (no data) — no request was answered
skipped baseline/TestBaselineMemoryStability: the suite did not start the server

baseline report: reports/baseline-20260127T100000Z/report.html
protocol report: reports/protocol-20260127T100000Z/report.html
`
	if got != want {
		t.Errorf("Digest =\n%s\nwant\n%s", got, want)
	}
}

func TestDigestLeavesTheRunsAlone(t *testing.T) {
	runs := digestRuns()
	Digest(runs...)
	if s := runs[0].Run.Suites[0].Status; s != "" {
		t.Errorf("the suite's status was normalized in place: %q", s)
	}
}

func TestDigestWithoutAReportDirectorySaysSo(t *testing.T) {
	runs := digestRuns()[1:]
	runs[0].Dir = ""
	if got := Digest(runs...); !strings.Contains(got, "protocol report: not written\n") {
		t.Errorf("Digest =\n%s", got)
	}
	if got := Digest(); !strings.HasPrefix(got, "SUITE") || !strings.Contains(got, "0 tests") {
		t.Errorf("Digest of nothing =\n%s", got)
	}
}
