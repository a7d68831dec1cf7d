package regression

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// MaxPairs bounds the pairwise differences (Hodges–Lehmann) and slopes
// (Theil–Sen) materialized at once: 4Mi values, 32 MiB. Larger inputs get
// an unbounded interval (Hodges–Lehmann) or an error (Theil–Sen) instead of
// unbounded memory.
const MaxPairs = 1 << 22

// Shift is a Hodges–Lehmann location shift of y relative to x with its
// Moses (distribution-free) confidence interval.
type Shift struct {
	// Estimate is the median of all pairwise differences y_j - x_i.
	Estimate float64
	CI       Interval
	// Exact is true when the interval's ranks came from the exact U
	// distribution (no ties, at most MannWhitneyExactLimit per side).
	Exact bool
}

// HodgesLehmann estimates the shift of y relative to x (positive when y is
// larger) with a Moses confidence interval at the given level. The interval
// uses the exact Mann–Whitney distribution when there are no ties and both
// samples have at most MannWhitneyExactLimit values, else the normal
// approximation with the tie correction; it is unbounded when the samples
// are too small for the level.
func HodgesLehmann(x, y []float64, confidence float64) Shift {
	return hodgesLehmann(x, y, confidence, nil)
}

func hodgesLehmann(x, y []float64, confidence float64, cache *uCache) Shift {
	m, n := len(x), len(y)
	if m == 0 || n == 0 {
		return Shift{Estimate: math.NaN(), CI: Interval{Lo: math.Inf(-1), Hi: math.Inf(1)}}
	}
	if m*n > MaxPairs {
		// Too many pairs to hold: report the difference of medians without
		// an interval rather than allocate without bound.
		return Shift{Estimate: Median(y) - Median(x), CI: Interval{Lo: math.Inf(-1), Hi: math.Inf(1), Coverage: 1}}
	}
	d := make([]float64, 0, m*n)
	for _, yj := range y {
		for _, xi := range x {
			d = append(d, yj-xi)
		}
	}
	slices.Sort(d)
	mn := m * n
	est := quantileSorted(d, 0.5)
	alpha := 1 - confidence
	unbounded := Interval{Lo: math.Inf(-1), Hi: math.Inf(1), Coverage: 1}

	ties, tieTerm := tieStats(x, y)
	if !ties && m <= MannWhitneyExactLimit && n <= MannWhitneyExactLimit {
		pmf := cache.get(m, n) // rank sum of the first sample; U = S - m(m+1)/2
		off := m * (m + 1) / 2
		cdf := 0.0
		qu := -1
		for u := 0; u <= mn; u++ {
			if off+u < len(pmf) {
				cdf += pmf[off+u]
			}
			if cdf >= alpha/2-1e-12 {
				qu = u
				break
			}
		}
		if qu < 1 {
			return Shift{Estimate: est, CI: unbounded, Exact: true}
		}
		below := 0.0 // P(U <= qu-1)
		for u := 0; u < qu; u++ {
			below += pmf[off+u]
		}
		return Shift{Estimate: est, Exact: true,
			CI: Interval{Lo: d[qu-1], Hi: d[mn-qu], Coverage: 1 - 2*below}}
	}
	N := float64(m + n)
	sigma := math.Sqrt(float64(mn) / 12 * ((N + 1) - tieTerm/(N*(N-1))))
	z := distuv.UnitNormal.Quantile(1 - alpha/2)
	k := int(math.Round(float64(mn)/2 - z*sigma))
	if k < 1 {
		return Shift{Estimate: est, CI: unbounded}
	}
	return Shift{Estimate: est, CI: Interval{Lo: d[k-1], Hi: d[mn-k], Coverage: confidence}}
}

// tieStats reports whether the pooled sample has ties and Σ(t³ - t) over
// tie groups.
func tieStats(x, y []float64) (bool, float64) {
	all := make([]float64, 0, len(x)+len(y))
	all = append(all, x...)
	all = append(all, y...)
	slices.Sort(all)
	term := 0.0
	for i := 0; i < len(all); {
		j := i
		for j+1 < len(all) && all[j+1] == all[i] {
			j++
		}
		if t := float64(j - i + 1); t > 1 {
			term += t*t*t - t
		}
		i = j + 1
	}
	return term > 0, term
}

// RatioCI estimates new/old as exp of the Hodges–Lehmann shift of the log
// values, with the Moses interval mapped back the same way. It needs every
// value to be positive; ok is false otherwise.
func RatioCI(old, new []float64, confidence float64) (ratio float64, ci Interval, ok bool) {
	return ratioCI(old, new, confidence, nil)
}

func ratioCI(old, new []float64, confidence float64, cache *uCache) (float64, Interval, bool) {
	lo, ok1 := logs(old)
	ln, ok2 := logs(new)
	if !ok1 || !ok2 {
		return math.NaN(), Interval{}, false
	}
	s := hodgesLehmann(lo, ln, confidence, cache)
	return math.Exp(s.Estimate), Interval{Lo: math.Exp(s.CI.Lo), Hi: math.Exp(s.CI.Hi), Coverage: s.CI.Coverage}, true
}

func logs(xs []float64) ([]float64, bool) {
	out := make([]float64, len(xs))
	for i, x := range xs {
		if !(x > 0) || math.IsInf(x, 0) {
			return nil, false
		}
		out[i] = math.Log(x)
	}
	return out, true
}
