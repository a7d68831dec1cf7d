package regression

import (
	"math"
	"slices"
)

// Quantile returns the type-7 (R's default, NumPy's "linear") sample quantile
// of xs at q in [0, 1]. xs need not be sorted. It returns NaN for an empty
// sample or q outside [0, 1].
//
// gonum's stat.Quantile with LinInterp is Hyndman–Fan type 4 (its median of
// {1,2,3,4,5} is 2.5), so it is not used for medians or IQR fences.
func Quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 || q < 0 || q > 1 || math.IsNaN(q) {
		return math.NaN()
	}
	return quantileSorted(sortedCopy(xs), q)
}

// Median is Quantile(xs, 0.5).
func Median(xs []float64) float64 { return Quantile(xs, 0.5) }

func quantileSorted(s []float64, q float64) float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	h := float64(len(s)-1) * q
	lo := math.Floor(h)
	i := int(lo)
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[i] + (h-lo)*(s[i+1]-s[i])
}

func sortedCopy(xs []float64) []float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s
}

// MAD returns the median absolute deviation from the median, scaled by
// 1.4826 so that it estimates the standard deviation of normal data.
func MAD(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	m := Median(xs)
	d := make([]float64, len(xs))
	for i, x := range xs {
		d[i] = math.Abs(x - m)
	}
	return 1.4826 * Median(d)
}
