package regression

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// WelchResult is Welch's unequal-variance two-sample t-test of y against x.
type WelchResult struct {
	T  float64 // (mean(y) - mean(x)) / SE
	DF float64 // Welch–Satterthwaite degrees of freedom
	P  float64 // two-sided
	// Diff is mean(y) - mean(x) with its t confidence interval.
	Diff   float64
	DiffCI Interval
}

// Welch runs Welch's t-test of y against x (two-sided) and gives the
// confidence interval of the difference of means at the given level. Use it
// only for metrics declared AssumeNormal.
func Welch(x, y []float64, confidence float64) (WelchResult, error) {
	if len(x) < 2 || len(y) < 2 {
		return WelchResult{P: 1}, errors.New("regression: Welch's t-test needs at least 2 values per side")
	}
	mx, vx := stat.MeanVariance(x, nil)
	my, vy := stat.MeanVariance(y, nil)
	nx, ny := float64(len(x)), float64(len(y))
	ax, ay := vx/nx, vy/ny
	se := math.Sqrt(ax + ay)
	diff := my - mx
	if se == 0 {
		if diff == 0 {
			return WelchResult{P: 1, DF: nx + ny - 2, DiffCI: Interval{Coverage: confidence}}, ErrSamplesEqual
		}
		return WelchResult{T: math.Copysign(math.Inf(1), diff), P: 0, DF: nx + ny - 2, Diff: diff,
			DiffCI: Interval{Lo: diff, Hi: diff, Coverage: confidence}}, nil
	}
	df := (ax + ay) * (ax + ay) / (ax*ax/(nx-1) + ay*ay/(ny-1))
	t := diff / se
	td := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}
	p := 2 * td.Survival(math.Abs(t))
	h := td.Quantile(1-(1-confidence)/2) * se
	return WelchResult{T: t, DF: df, P: math.Min(1, p), Diff: diff,
		DiffCI: Interval{Lo: diff - h, Hi: diff + h, Coverage: confidence}}, nil
}

// MeanCI is the t confidence interval of the mean.
func MeanCI(xs []float64, confidence float64) Interval {
	if len(xs) < 2 {
		return Interval{Lo: math.Inf(-1), Hi: math.Inf(1), Coverage: 1}
	}
	m, s := stat.MeanStdDev(xs, nil)
	n := float64(len(xs))
	h := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Quantile(1-(1-confidence)/2) * s / math.Sqrt(n)
	return Interval{Lo: m - h, Hi: m + h, Coverage: confidence}
}

// studentT is the pooled-variance (Student) two-sample t-test p-value, as
// Apache Otava uses between change-point segments: a short segment with a
// small sample variance cannot make a spurious change look certain, as it
// can with Welch's test.
func studentT(x, y []float64) float64 {
	nx, ny := float64(len(x)), float64(len(y))
	if nx < 2 || ny < 2 {
		return 1
	}
	mx, vx := stat.MeanVariance(x, nil)
	my, vy := stat.MeanVariance(y, nil)
	df := nx + ny - 2
	sp := math.Sqrt(((nx-1)*vx + (ny-1)*vy) / df * (1/nx + 1/ny))
	if sp == 0 {
		if mx == my {
			return 1
		}
		return 0
	}
	t := (my - mx) / sp
	return math.Min(1, 2*distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Survival(math.Abs(t)))
}
