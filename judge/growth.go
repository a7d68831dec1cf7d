package judge

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/regression"
	"github.com/mcpstress/mcpstress/verdict"
)

// Growth is a robust memory trend over a soak: the Theil–Sen slope in MB per
// hour with Sen's 95% interval (an outlier or a GC sawtooth moves it far
// less than a least-squares line), and a Mann–Kendall test of whether the
// samples trend at all.
type Growth struct {
	What    string        `json:"what"`
	Samples int           `json:"samples"`
	Window  time.Duration `json:"window"`
	// SlopeMBPerHour is the Theil–Sen slope; Lo and Hi its 95% interval.
	SlopeMBPerHour float64 `json:"slope_mb_per_hour"`
	Lo             float64 `json:"lo_mb_per_hour"`
	Hi             float64 `json:"hi_mb_per_hour"`
	// TrendP is the Mann–Kendall two-sided p-value (NaN with too few
	// points); Tau its Kendall tau.
	TrendP  float64 `json:"trend_p"`
	Tau     float64 `json:"tau"`
	FirstMB float64 `json:"first_mb"`
	LastMB  float64 `json:"last_mb"`
}

func (g Growth) String() string {
	p := "n/a"
	if !math.IsNaN(g.TrendP) {
		p = fmt.Sprintf("%.3g (tau %.2f)", g.TrendP, g.Tau)
	}
	return fmt.Sprintf("%s: Theil–Sen %+.1f MB/h (95%% interval %+.1f to %+.1f) over %v, %d samples, %.1f→%.1f MB; Mann–Kendall p %s",
		g.What, g.SlopeMBPerHour, g.Lo, g.Hi, g.Window.Round(time.Second), g.Samples, g.FirstMB, g.LastMB, p)
}

// maxTrendPoints bounds the points a trend is fitted on: longer series are
// reduced to the medians of this many equal stretches (Theil–Sen looks at
// every pair).
const maxTrendPoints = 600

// MemoryOf picks a memory figure from an interval's resources, in bytes;
// ok is false when the interval has none.
type MemoryOf func(*framework.ResourceSample) (bytes uint64, ok bool)

// ServerRSS is the server's resident memory (summed over its processes).
func ServerRSS(r *framework.ResourceSample) (uint64, bool) {
	if r == nil || r.Server == nil || r.Server.Err != "" || r.Server.RSSBytes == 0 {
		return 0, false
	}
	return r.Server.RSSBytes, true
}

// ClientHeap is the heap the generator's last GC found live (summed over
// its processes): what the library retains, without the garbage its heap
// saw-tooths through between collections. It changes only when a GC ends:
// fit it with ClientHeapGrowth, which asks for enough of them.
func ClientHeap(r *framework.ResourceSample) (uint64, bool) {
	if r == nil || r.Self.LiveHeapBytes == 0 {
		return 0, false
	}
	return r.Self.LiveHeapBytes, true
}

// MinHeapGCs is the fewest GC cycles of the generator's processes a window
// must hold for ClientHeapGrowth to fit their live heap.
const MinHeapGCs = 5

// ClientHeapGrowth is RobustGrowth of ClientHeap over [from, to], and no
// data when the window holds fewer than MinHeapGCs GC cycles: the live
// heap is re-measured only when a GC ends, so such a window holds a few
// readings repeated, whose slope is zero whatever the process retains (a
// CI run read 371.6 MB in all 61 samples of a minute, no GC at all, and
// another a leak's two steps as +0.0 MB/h).
func ClientHeapGrowth(what string, iv []framework.IntervalSnapshot, from, to time.Time) (Growth, error) {
	g, err := RobustGrowth(what, iv, from, to, ClientHeap)
	if n := gcCycles(iv, from, to); err == nil && n < MinHeapGCs {
		err = fmt.Errorf("the generator ran %d GC cycles in the window (need %d): its live heap is measured only at a GC, too few times to show a trend", n, MinHeapGCs)
	}
	return g, err
}

// gcCycles counts the generator's GC cycles between the first and the last
// sample ending in [from, to] (zero to: no bound).
func gcCycles(iv []framework.IntervalSnapshot, from, to time.Time) uint64 {
	var first, last uint64
	seen := false
	for _, s := range iv {
		if s.End.Before(from) || (!to.IsZero() && s.End.After(to)) || s.Resources == nil {
			continue
		}
		if !seen {
			first, seen = s.Resources.Self.GCCycles, true
		}
		last = s.Resources.Self.GCCycles
	}
	if last < first { // a shard's counter left the sum
		return 0
	}
	return last - first
}

// RobustGrowth fits the figure of the intervals ending in [from, to] (zero
// to: no bound). It needs at least MinMemorySamples samples.
func RobustGrowth(what string, iv []framework.IntervalSnapshot, from, to time.Time, of MemoryOf) (Growth, error) {
	g := Growth{What: what, TrendP: math.NaN()}
	var xs, ys []float64
	var t0 time.Time
	for _, s := range iv {
		if s.End.Before(from) || (!to.IsZero() && s.End.After(to)) {
			continue
		}
		b, ok := of(s.Resources)
		if !ok {
			continue
		}
		if t0.IsZero() {
			t0 = s.End
		}
		xs = append(xs, s.End.Sub(t0).Hours())
		ys = append(ys, float64(b)/(1<<20))
	}
	g.Samples = len(xs)
	if len(xs) == 0 {
		return g, ErrServerNotSampled
	}
	g.FirstMB, g.LastMB = ys[0], ys[len(ys)-1]
	g.Window = time.Duration(xs[len(xs)-1] * float64(time.Hour))
	if len(xs) < MinMemorySamples {
		return g, fmt.Errorf("only %d %s samples in the window (need %d)", len(xs), what, MinMemorySamples)
	}
	xs, ys = thin(xs, ys, maxTrendPoints)
	ts, err := regression.TheilSen(xs, ys, 0.95)
	if err != nil {
		return g, err
	}
	g.SlopeMBPerHour, g.Lo, g.Hi = ts.Slope, ts.SlopeCI.Lo, ts.SlopeCI.Hi
	if mk, err := regression.MannKendall(ys); err == nil {
		g.TrendP, g.Tau = mk.P, mk.Tau
	}
	return g, nil
}

// thin reduces a series to at most n points: the medians of n equal
// stretches (x and y each).
func thin(xs, ys []float64, n int) ([]float64, []float64) {
	if len(xs) <= n {
		return xs, ys
	}
	var ox, oy []float64
	for k := range n {
		a, b := k*len(xs)/n, (k+1)*len(xs)/n
		ox = append(ox, median(xs[a:b]))
		oy = append(oy, median(ys[a:b]))
	}
	return ox, oy
}

func median(v []float64) float64 {
	c := append([]float64(nil), v...)
	sort.Float64s(c)
	if len(c)%2 == 1 {
		return c[len(c)/2]
	}
	return (c[len(c)/2-1] + c[len(c)/2]) / 2
}

// GrowthCheck judges a growth rate against a limit in MB per hour: it fails
// when the slope's whole 95% interval is above the limit (growth shown to
// exceed it), and says the interval, so a short run's resolution shows.
// Too few samples is no data (a failure); a server that is not the suite's
// process is not judged.
func GrowthCheck(expr string, g Growth, err error, limitMBPerHour float64, target string) verdict.Check {
	c := verdict.Check{Expr: expr, Metric: "memory_growth_rate", Unit: "MB/h"}
	switch {
	case errors.Is(err, ErrServerNotSampled):
		c.Skip = fmt.Sprintf("%s not observable for target %s: it is not a process this suite started", g.What, target)
	case err != nil:
		c.NoData, c.Measured, c.Detail = true, math.NaN(), err.Error()
	default:
		c.Measured, c.Pass, c.Detail = g.SlopeMBPerHour, g.Lo <= limitMBPerHour, g.String()
		if c.Pass && g.SlopeMBPerHour > limitMBPerHour {
			c.Detail = notShownAbove(g.Lo, limitMBPerHour, "MB/h") + c.Detail
		}
	}
	return c
}

// notShownAbove says why a check passes with its estimate above the limit,
// so a ✓ beside a larger number reads as the rule, not as a mistake.
func notShownAbove(lo, limit float64, unit string) string {
	return fmt.Sprintf("above the limit at the fitted slope but not shown to exceed it: the 95%% interval reaches down to %+.1f %s, within %g (the check fails only when all of the interval is above); ", lo, unit, limit)
}

// ProjectionCheck judges the growth a rate would make over horizon (the
// seed's "< 500 MB over 24 hours") on the same rule as GrowthCheck.
func ProjectionCheck(expr string, g Growth, err error, horizon time.Duration, limitMB float64, target string) verdict.Check {
	c := GrowthCheck(expr, g, err, limitMB/horizon.Hours(), target)
	c.Metric, c.Unit = "memory_growth_projected", "MB"
	if !c.Skipped() && !c.NoData {
		c.Measured = g.SlopeMBPerHour * horizon.Hours()
		c.Detail = fmt.Sprintf("%+.0f MB over %v at the fitted slope (interval %+.0f to %+.0f MB); %s", c.Measured, horizon, g.Lo*horizon.Hours(), g.Hi*horizon.Hours(), g)
		if c.Pass && c.Measured > limitMB {
			c.Detail = notShownAbove(g.Lo*horizon.Hours(), limitMB, "MB") + c.Detail
		}
	}
	return c
}
