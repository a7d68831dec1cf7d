package regression

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Interval is a confidence interval [Lo, Hi] with the coverage it actually
// achieves (order-statistic intervals reach at least the requested level).
// Lo or Hi are ±Inf when the sample is too small for the level.
type Interval struct {
	Lo       float64 `json:"lo"`
	Hi       float64 `json:"hi"`
	Coverage float64 `json:"coverage"`
}

// Bounded reports whether both ends are finite.
func (iv Interval) Bounded() bool {
	return !math.IsInf(iv.Lo, 0) && !math.IsInf(iv.Hi, 0) && !math.IsNaN(iv.Lo) && !math.IsNaN(iv.Hi)
}

// medianCIRanks returns the 1-based order-statistic ranks (l, n+1-l) of the
// distribution-free confidence interval for the median at the given level,
// and its exact coverage 1 - 2·P(Bin(n, ½) ≤ l-1). l = 0 means no interval
// at this level exists for n (benchstat: "need >= 6 samples" at 0.95).
func medianCIRanks(n int, confidence float64) (l int, coverage float64) {
	if n <= 0 {
		return 0, 0
	}
	b := distuv.Binomial{N: float64(n), P: 0.5}
	alpha := 1 - confidence
	for k := 1; k <= n/2; k++ {
		tail := 2 * b.CDF(float64(k-1))
		if tail > alpha+1e-12 {
			break
		}
		l, coverage = k, 1-tail
	}
	return l, coverage
}

// MedianCI returns the distribution-free confidence interval for the
// population median from binomial order statistics (exact for every n).
func MedianCI(xs []float64, confidence float64) Interval {
	s := sortedCopy(xs)
	l, cov := medianCIRanks(len(s), confidence)
	if l == 0 {
		return Interval{Lo: math.Inf(-1), Hi: math.Inf(1), Coverage: 1}
	}
	return Interval{Lo: s[l-1], Hi: s[len(s)-l], Coverage: cov}
}

// MinSamplesForMedianCI is the smallest n for which MedianCI is bounded at
// the given confidence.
func MinSamplesForMedianCI(confidence float64) int {
	for n := 1; n < 10000; n++ {
		if l, _ := medianCIRanks(n, confidence); l > 0 {
			return n
		}
	}
	return -1
}
