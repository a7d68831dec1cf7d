package judge

import (
	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/verdict"
)

// Thresholds returns the summary's threshold results whose metric is one of
// metrics (all when none are given) as checks. A metric is named as in a
// threshold expression: "throughput", "error_rate", "p95", "max", or "p"
// for every percentile.
func Thresholds(sum *framework.Summary, metrics ...string) []verdict.Check {
	var out []verdict.Check
	for _, r := range sum.Thresholds {
		c := r.Check()
		if len(metrics) == 0 {
			out = append(out, c)
			continue
		}
		for _, m := range metrics {
			if m == c.Metric || m == r.Threshold.Metric {
				out = append(out, c)
				break
			}
		}
	}
	return out
}
