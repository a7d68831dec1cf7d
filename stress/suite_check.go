package stress

import (
	"fmt"
	"math"
	"time"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/report"
)

// Check is one pass criterion as judged: the expression as a person reads
// it, the measured value (in Unit), and the verdict. A check that could not
// be judged has Skip set to the reason; it is never a pass.
type Check struct {
	// Expr is the criterion, e.g. "p95 <= 102ms" or "memory growth over
	// 5m < 100 MB".
	Expr string `json:"expr"`
	// Measured is the value compared, in Unit (ms for latencies, % for
	// rates, msg/s for throughput).
	Measured float64 `json:"measured"`
	Unit     string  `json:"unit,omitempty"`
	Pass     bool    `json:"pass"`
	// Skip, when not empty, says why the check was not judged.
	Skip string `json:"skip,omitempty"`
	// Detail is the evidence in one line (sample counts, p-values, the
	// window).
	Detail string `json:"detail,omitempty"`
	// Window is the sliding window of a windowed check; zero is the whole
	// run.
	Window time.Duration `json:"window,omitempty"`
}

func (c Check) String() string {
	switch {
	case c.Skip != "":
		return fmt.Sprintf("- %s: not judged: %s", c.Expr, c.Skip)
	case c.Detail != "":
		return fmt.Sprintf("%s %s (measured %s) — %s", mark(c.Pass), c.Expr, c.display(), c.Detail)
	default:
		return fmt.Sprintf("%s %s (measured %s)", mark(c.Pass), c.Expr, c.display())
	}
}

func (c Check) display() string {
	if math.IsNaN(c.Measured) {
		return "n/a"
	}
	v := fmt.Sprintf("%.6g", c.Measured)
	if c.Unit == "" {
		return v
	}
	if c.Unit == "%" {
		return v + "%"
	}
	return v + " " + c.Unit
}

func mark(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

// ThresholdCheck converts one of the engine's threshold results into a
// Check with a readable unit: latencies in ms, rates in %, throughput in
// msg/s.
func ThresholdCheck(r framework.ThresholdResult) Check {
	c := Check{Expr: r.Threshold.Expr, Pass: r.Passed, Measured: r.Value}
	switch r.Threshold.Metric {
	case "error_rate", "drop_rate":
		c.Measured, c.Unit = 100*r.Value, "%"
	case "throughput":
		c.Unit = "msg/s"
	default:
		c.Measured, c.Unit = r.Value/float64(time.Millisecond), "ms"
		if r.Display == "n/a" {
			c.Measured = math.NaN()
			c.Pass = false
			c.Skip = "no latency was measured (nothing answered)"
		}
	}
	if r.WindowFailures > 0 {
		c.Detail = fmt.Sprintf("failed %d of %d %v windows, worst %s", r.WindowFailures, r.WindowChecks, r.Threshold.Window, r.WorstDisplay)
	}
	return c
}

// Thresholds returns the summary's threshold results whose metric is one of
// metrics (all when none are given), as Checks.
func Thresholds(sum *framework.Summary, metrics ...string) []Check {
	var out []Check
	for _, r := range sum.Thresholds {
		if len(metrics) == 0 {
			out = append(out, ThresholdCheck(r))
			continue
		}
		for _, m := range metrics {
			name := r.Threshold.Metric
			if name == "p" {
				name = fmt.Sprintf("p%g", r.Threshold.Percentile)
			}
			if m == name || m == r.Threshold.Metric {
				out = append(out, ThresholdCheck(r))
				break
			}
		}
	}
	return out
}

// reportThreshold is the report's form of a judged check (skipped checks
// become warnings instead: they are neither passes nor failures).
func (c Check) reportThreshold() report.ThresholdResult {
	m := c.Measured
	if math.IsNaN(m) {
		m = 0
	}
	return report.ThresholdResult{Expr: c.Expr, Measured: m, Unit: c.Unit, Pass: c.Pass, Window: c.Window}
}
