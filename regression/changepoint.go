package regression

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// ChangePointConfig controls ChangePoints. The zero value means the
// defaults (Apache Otava's p = 0.001 and window 50; Chromium's minimum
// segment of 6).
type ChangePointConfig struct {
	// MaxP is the largest two-sample t-test p-value between the segments on
	// either side of a kept change point. Zero means 0.001. Candidates are
	// first found with the relaxed threshold 10·MaxP (Otava's weak change
	// points), then the weakest is merged away until all pass MaxP.
	MaxP float64 `json:"max_p"`
	// MinMagnitude is the smallest |mean after / mean before - 1| kept;
	// zero keeps any significant change.
	MinMagnitude float64 `json:"min_magnitude"`
	// Window is the length of the overlapping windows (step Window/2) that
	// E-divisive searches, so that an early change cannot mask a late one.
	// Zero means 50.
	Window int `json:"window"`
	// MinSegment is the fewest points allowed on either side of a change
	// point. Zero means 6. It is also the detection delay: a step is seen
	// only after MinSegment points at the new level.
	MinSegment int `json:"min_segment"`
}

func (c ChangePointConfig) withDefaults() ChangePointConfig {
	if c.MaxP == 0 {
		c.MaxP = 0.001
	}
	if c.Window == 0 {
		c.Window = 50
	}
	if c.MinSegment == 0 {
		c.MinSegment = 6
	}
	return c
}

// Validate reports every problem at once.
func (c ChangePointConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	if !(c.MaxP > 0 && c.MaxP < 1) {
		errs = append(errs, fmt.Errorf("change points: max p %v: want 0 < p < 1", c.MaxP))
	}
	if c.MinMagnitude < 0 {
		errs = append(errs, fmt.Errorf("change points: min magnitude %v: want >= 0", c.MinMagnitude))
	}
	if c.MinSegment < 2 {
		errs = append(errs, fmt.Errorf("change points: min segment %d: want >= 2", c.MinSegment))
	}
	if c.Window < 2*c.MinSegment {
		errs = append(errs, fmt.Errorf("change points: window %d: want >= 2 × min segment (%d)", c.Window, 2*c.MinSegment))
	}
	return errors.Join(errs...)
}

// Segment summarizes the points between two change points.
type Segment struct {
	Start, End int // [Start, End) indices into the series
	Mean       float64
	Median     float64
	StdDev     float64
}

// ChangePoint is a persistent shift in a series: the level changes at Index
// (the first point of the new level).
type ChangePoint struct {
	Index  int     `json:"index"`
	Before Segment `json:"before"`
	After  Segment `json:"after"`
	// Change is mean(after)/mean(before) - 1.
	Change float64 `json:"change"`
	// P is the pooled (Student) t-test p-value between the two segments.
	P float64 `json:"p"`
}

// ChangePoints finds the points where a series' level shifts, with the
// split–merge scheme of Hunter/Apache Otava: E-divisive means (energy
// statistic, α = 1) proposes splits inside overlapping windows, each
// confirmed by a pooled-variance t-test (as Otava; Welch's test made short
// low-variance end segments look significant) at a relaxed level, then the weakest change point is
// merged away and its neighbours re-tested until every remaining one has
// p <= MaxP. It is deterministic (no permutation test).
func ChangePoints(series []float64, cfg ChangePointConfig) ([]ChangePoint, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	for i, v := range series {
		if isNaNOrInf(v) {
			return nil, fmt.Errorf("change points: value %d is %v", i, v)
		}
	}
	if len(series) < 2*cfg.MinSegment {
		return nil, nil
	}
	weak := math.Min(0.5, 10*cfg.MaxP)
	cands := map[int]bool{}
	step := cfg.Window / 2
	for start := 0; ; start += step {
		end := min(start+cfg.Window, len(series))
		splitRecursive(series, start, end, cfg.MinSegment, weak, cands)
		if end == len(series) {
			break
		}
	}
	cps := make([]int, 0, len(cands))
	for i := range cands {
		cps = append(cps, i)
	}
	slices.Sort(cps)
	// Merge: drop the weakest until all pass.
	for len(cps) > 0 {
		worst, worstP := -1, -1.0
		for k := range cps {
			lo, hi := bounds(cps, k, len(series))
			p, mag := segmentTest(series[lo:cps[k]], series[cps[k]:hi])
			if cps[k]-lo < cfg.MinSegment || hi-cps[k] < cfg.MinSegment || math.Abs(mag) < cfg.MinMagnitude {
				p = math.Inf(1)
			}
			if p > worstP {
				worst, worstP = k, p
			}
		}
		if worstP <= cfg.MaxP {
			break
		}
		cps = slices.Delete(cps, worst, worst+1)
	}
	out := make([]ChangePoint, 0, len(cps))
	for k, idx := range cps {
		lo, hi := bounds(cps, k, len(series))
		p, mag := segmentTest(series[lo:idx], series[idx:hi])
		out = append(out, ChangePoint{Index: idx, Before: segment(series, lo, idx), After: segment(series, idx, hi), Change: mag, P: p})
	}
	return out, nil
}

func bounds(cps []int, k, n int) (lo, hi int) {
	lo, hi = 0, n
	if k > 0 {
		lo = cps[k-1]
	}
	if k+1 < len(cps) {
		hi = cps[k+1]
	}
	return lo, hi
}

func segment(xs []float64, lo, hi int) Segment {
	s := Segment{Start: lo, End: hi, Mean: stat.Mean(xs[lo:hi], nil), Median: Median(xs[lo:hi])}
	if hi-lo > 1 {
		s.StdDev = stat.StdDev(xs[lo:hi], nil)
	}
	return s
}

// segmentTest returns the pooled t-test p-value between a and b and the
// relative change of the means.
func segmentTest(a, b []float64) (p, change float64) {
	if len(a) < 2 || len(b) < 2 {
		return 1, 0
	}
	if ma := stat.Mean(a, nil); ma != 0 {
		change = stat.Mean(b, nil)/ma - 1
	}
	return studentT(a, b), change
}

// splitRecursive adds to cands every E-divisive split of xs[lo:hi] whose
// t-test passes p <= maxP, recursing into both halves.
func splitRecursive(xs []float64, lo, hi, minSeg int, maxP float64, cands map[int]bool) {
	if hi-lo < 2*minSeg {
		return
	}
	tau := bestSplit(xs[lo:hi], minSeg)
	if tau < 0 {
		return
	}
	p, _ := segmentTest(xs[lo:lo+tau], xs[lo+tau:hi])
	if p > maxP {
		return
	}
	cands[lo+tau] = true
	splitRecursive(xs, lo, lo+tau, minSeg, maxP, cands)
	splitRecursive(xs, lo+tau, hi, minSeg, maxP, cands)
}

// bestSplit returns the τ in [minSeg, n-minSeg] maximizing the
// Matteson–James statistic Q = mn/(m+n)·(2·mean|X-Y| - mean|X-X'| -
// mean|Y-Y'|) for X = x[:τ], Y = x[τ:], in O(n²).
func bestSplit(x []float64, minSeg int) int {
	n := len(x)
	// Prefix sums over the distance matrix: within(a,b) computed
	// incrementally as τ moves right.
	d := func(i, j int) float64 { return math.Abs(x[i] - x[j]) }
	total := 0.0 // Σ_{i<j} d over all
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			total += d(i, j)
		}
	}
	left, right, between := 0.0, total, 0.0
	best, bestQ := -1, math.Inf(-1)
	for tau := 1; tau < n; tau++ {
		// Move point tau-1 from right to left.
		k := tau - 1
		toLeft, toRight := 0.0, 0.0
		for i := 0; i < k; i++ {
			toLeft += d(i, k)
		}
		for j := k + 1; j < n; j++ {
			toRight += d(k, j)
		}
		left += toLeft
		right -= toRight
		between += toRight - toLeft
		if tau < minSeg || n-tau < minSeg {
			continue
		}
		m, r := float64(tau), float64(n-tau)
		e := 2 * between / (m * r)
		if tau > 1 {
			e -= left / (m * (m - 1) / 2)
		}
		if n-tau > 1 {
			e -= right / (r * (r - 1) / 2)
		}
		q := m * r / (m + r) * e
		if q > bestQ {
			best, bestQ = tau, q
		}
	}
	return best
}
