package verdict_test

import (
	"fmt"
	"time"

	"github.com/mcpstress/mcpstress/verdict"
)

func Example() {
	checks := []verdict.Check{
		{Expr: "p95 <= 102ms", Metric: "p95", Measured: 2.45, Unit: "ms", Pass: true, Window: 10 * time.Second},
		{Expr: "failure_rate < 0.1%", Metric: "failure_rate", Measured: 0.4, Unit: "%"},
		verdict.NoDataCheck("error_rate < 0.1%", "error_rate", "%", "no request was answered"),
		verdict.SkippedCheck("memory growth < 100 MB", "memory_growth", "the suite did not start the server"),
	}
	for _, c := range checks {
		fmt.Println(c)
	}
	// Output:
	// ✓ p95 <= 102ms (measured 2.45 ms) over 10s
	// ✗ failure_rate < 0.1% (measured 0.4%)
	// ✗ error_rate < 0.1% (no data) — no request was answered
	// – memory growth < 100 MB: not judged: the suite did not start the server
}
