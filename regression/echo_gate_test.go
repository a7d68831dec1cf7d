package regression

import (
	"context"
	"flag"
	"testing"
)

// The loopback echo workload doubles as a worked example of the baseline
// flow a suite's TestMain follows:
//
//	go test ./regression -run TestLoopbackEchoBaseline -echo-gate                   # compare
//	go test ./regression -run TestLoopbackEchoBaseline -echo-gate -update-baseline  # rewrite
var (
	echoGate       = flag.Bool("echo-gate", false, "run the loopback echo workload against testdata/baselines (slow: 10+ s)")
	updateBaseline = flag.Bool("update-baseline", false, "rewrite the baselines under testdata/baselines")
	echoGateRuns   = flag.Int("echo-gate-runs", 10, "runs of the echo workload for -echo-gate")
)

func TestLoopbackEchoBaseline(t *testing.T) {
	if !*echoGate {
		t.Skip("pass -echo-gate to measure the echo workload and compare it with its baseline")
	}
	samples := make([]Samples, len(echoMetrics))
	for j, m := range echoMetrics {
		samples[j].Metric = m
	}
	// Interleaving with the baseline is impossible here (it was measured
	// earlier), which is one reason a baseline from another time or machine
	// is weaker evidence than an interleaved A/B.
	for i := 0; i < *echoGateRuns; i++ {
		vals, err := runEchoWorkload(context.Background(), 4, *noiseDuration)
		if err != nil {
			t.Fatal(err)
		}
		for j := range samples {
			samples[j].Values = append(samples[j].Values, vals[j])
		}
	}
	Gatekeeper{
		Path:    BaselinePath("../testdata/baselines", "loopback_echo"),
		Suite:   "loopback_echo",
		Update:  *updateBaseline,
		Command: "go test ./regression -run TestLoopbackEchoBaseline -echo-gate -update-baseline",
		// The loopback workload on a shared machine is too noisy to fail
		// on small shifts; only a HIGH (>= 30% at the conservative bound)
		// regression fails this example.
		FailAt: High,
	}.Check(t, samples)
}
