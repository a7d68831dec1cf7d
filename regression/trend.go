package regression

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// MinTrendPoints is the fewest points MannKendall accepts.
const MinTrendPoints = 10

// MannKendallResult is the Mann–Kendall test for a monotonic trend.
type MannKendallResult struct {
	S    float64 // Σ_{i<j} sign(y_j - y_i)
	VarS float64 // with the tie correction
	Z    float64 // continuity-corrected
	P    float64 // two-sided
	Tau  float64 // Kendall's tau-a: S / (n(n-1)/2)
}

// MannKendall tests ys (in time order, e.g. per-interval aggregates of a
// soak run, not raw autocorrelated requests) for a monotonic trend. It needs
// at least MinTrendPoints values.
func MannKendall(ys []float64) (MannKendallResult, error) {
	n := len(ys)
	if n < MinTrendPoints {
		return MannKendallResult{P: 1}, fmt.Errorf("regression: Mann–Kendall needs >= %d points, have %d", MinTrendPoints, n)
	}
	s := 0.0
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			switch {
			case ys[j] > ys[i]:
				s++
			case ys[j] < ys[i]:
				s--
			}
		}
	}
	sorted := sortedCopy(ys)
	tie := 0.0
	for i := 0; i < n; {
		j := i
		for j+1 < n && sorted[j+1] == sorted[i] {
			j++
		}
		t := float64(j - i + 1)
		tie += t * (t - 1) * (2*t + 5)
		i = j + 1
	}
	fn := float64(n)
	v := (fn*(fn-1)*(2*fn+5) - tie) / 18
	r := MannKendallResult{S: s, VarS: v, Tau: s / (fn * (fn - 1) / 2), P: 1}
	if v <= 0 {
		return r, ErrSamplesEqual
	}
	switch {
	case s > 0:
		r.Z = (s - 1) / math.Sqrt(v)
	case s < 0:
		r.Z = (s + 1) / math.Sqrt(v)
	}
	r.P = math.Min(1, 2*distuv.UnitNormal.Survival(math.Abs(r.Z)))
	return r, nil
}

// TheilSenResult is a robust line fit.
type TheilSenResult struct {
	Slope     float64
	Intercept float64
	// SlopeCI is Sen's distribution-free interval for the slope.
	SlopeCI Interval
	// RelativeSlope is Slope / median(y): the fraction of the typical level
	// gained per unit of x (multiply by 3600·100 for %/hour when x is in
	// seconds). It is unit-free, unlike the seed's "slope > 0.1" rule.
	RelativeSlope float64
}

// TheilSen fits y = Intercept + Slope·x with the median of pairwise slopes
// and Sen's confidence interval at the given level.
func TheilSen(x, y []float64, confidence float64) (TheilSenResult, error) {
	n := len(x)
	if n != len(y) {
		return TheilSenResult{}, fmt.Errorf("regression: Theil–Sen: %d x values, %d y values", n, len(y))
	}
	if n < 3 {
		return TheilSenResult{}, errors.New("regression: Theil–Sen needs >= 3 points")
	}
	if n*(n-1)/2 > MaxPairs {
		return TheilSenResult{}, fmt.Errorf("regression: Theil–Sen: %d points give more than %d slopes; aggregate per interval first", n, MaxPairs)
	}
	var slopes []float64
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if x[j] != x[i] {
				slopes = append(slopes, (y[j]-y[i])/(x[j]-x[i]))
			}
		}
	}
	if len(slopes) == 0 {
		return TheilSenResult{}, errors.New("regression: Theil–Sen: all x are equal")
	}
	slices.Sort(slopes)
	r := TheilSenResult{Slope: quantileSorted(slopes, 0.5)}
	res := make([]float64, n)
	for i := range x {
		res[i] = y[i] - r.Slope*x[i]
	}
	r.Intercept = Median(res)
	if med := Median(y); med != 0 {
		r.RelativeSlope = r.Slope / math.Abs(med)
	}
	// Sen (1968): C = z·√Var(S); the interval is the slopes of rank
	// (N'-C)/2 and (N'+C)/2 + 1.
	fn := float64(n)
	c := distuv.UnitNormal.Quantile(1-(1-confidence)/2) * math.Sqrt(fn*(fn-1)*(2*fn+5)/18)
	np := float64(len(slopes))
	lo := int(math.Round((np - c) / 2))
	hi := int(math.Round((np+c)/2)) + 1
	r.SlopeCI = Interval{Lo: math.Inf(-1), Hi: math.Inf(1), Coverage: confidence}
	if lo >= 1 && hi <= len(slopes) {
		r.SlopeCI.Lo, r.SlopeCI.Hi = slopes[lo-1], slopes[hi-1]
	}
	return r, nil
}

// LinearTrend is an ordinary least-squares fit with R², for display only:
// it is not robust to the outliers performance series have.
func LinearTrend(x, y []float64) (intercept, slope, rSquared float64) {
	intercept, slope = stat.LinearRegression(x, y, nil, false)
	return intercept, slope, stat.RSquared(x, y, nil, intercept, slope)
}
