package report

import "math"

// PercentileSeries derives the latency chart's series — p50, p95, p99 and
// max, in milliseconds, Chart = ChartLatency — from interval histograms
// recorded in nanoseconds. Each point is stamped at its interval's end; an
// empty interval gives NaN (a gap in the chart, "NaN" in intervals.csv),
// never a made-up zero. Series names are prefixed with h.Name and a space
// when prefix is true (several histograms on one chart).
func PercentileSeries(h HistogramLog, prefix bool) []Series {
	qs := []struct {
		name string
		q    float64 // percent, as hdrhistogram-go expects
	}{{"p50", 50}, {"p95", 95}, {"p99", 99}, {"max", 100}}
	out := make([]Series, len(qs))
	for i, q := range qs {
		name := q.name
		if prefix {
			name = h.Name + " " + q.name
		}
		out[i] = Series{Name: name, Unit: "ms", Chart: ChartLatency, Points: make([]Point, 0, len(h.Intervals))}
	}
	for _, iv := range h.Intervals {
		for i, q := range qs {
			v := math.NaN()
			if iv.Hist != nil && iv.Hist.TotalCount() > 0 {
				if q.q == 100 {
					v = float64(iv.Hist.Max()) / 1e6
				} else {
					v = float64(iv.Hist.ValueAtQuantile(q.q)) / 1e6
				}
			}
			out[i].Points = append(out[i].Points, Point{T: iv.End, V: v})
		}
	}
	return out
}
