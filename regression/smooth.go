package regression

import (
	"errors"
	"fmt"
	"math"
)

// EWMA returns the exponentially weighted moving average
// z_t = λ·x_t + (1-λ)·z_{t-1}, starting at z_0 = x_0.
func EWMA(xs []float64, lambda float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		if i == 0 {
			out[i] = x
			continue
		}
		out[i] = lambda*x + (1-lambda)*out[i-1]
	}
	return out
}

// MovingAverage returns the trailing simple moving average over w points
// (fewer at the start). For display only.
func MovingAverage(xs []float64, w int) []float64 {
	out := make([]float64, len(xs))
	sum := 0.0
	for i, x := range xs {
		sum += x
		if i >= w {
			sum -= xs[i-w]
		}
		out[i] = sum / float64(min(i+1, w))
	}
	return out
}

// ControlPoint is one point of an EWMA control chart.
type ControlPoint struct {
	Value, EWMA  float64
	Lower, Upper float64
	// Signal is true when EWMA is beyond the limit on the worse side.
	Signal bool
}

// EWMAChart runs an EWMA control chart over xs with in-control mean mu and
// standard deviation sigma: limits mu ± L·sigma·√(λ/(2-λ)·(1-(1-λ)^{2t})).
// Typical choices are λ = 0.2 and L = 3. Only the worse side for dir
// signals: a chart for drift alerts, sensitive to small sustained shifts
// that a single-point gate misses.
func EWMAChart(xs []float64, mu, sigma, lambda, L float64, dir Direction) ([]ControlPoint, error) {
	var errs []error
	if !(lambda > 0 && lambda <= 1) {
		errs = append(errs, fmt.Errorf("ewma chart: lambda %v: want 0 < lambda <= 1", lambda))
	}
	if !(sigma > 0) || !(L > 0) {
		errs = append(errs, fmt.Errorf("ewma chart: sigma %v and L %v must be > 0", sigma, L))
	}
	if dir != LowerIsBetter && dir != HigherIsBetter {
		errs = append(errs, errors.New("ewma chart: direction required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := make([]ControlPoint, len(xs))
	z := mu
	for t, x := range xs {
		z = lambda*x + (1-lambda)*z
		w := L * sigma * math.Sqrt(lambda/(2-lambda)*(1-math.Pow(1-lambda, 2*float64(t+1))))
		p := ControlPoint{Value: x, EWMA: z, Lower: mu - w, Upper: mu + w}
		if dir == LowerIsBetter {
			p.Signal = z > p.Upper
		} else {
			p.Signal = z < p.Lower
		}
		out[t] = p
	}
	return out, nil
}

// EWMAChartFromBaseline estimates mu and sigma robustly (median and
// 1.4826·MAD) from in-control baseline values and charts xs.
func EWMAChartFromBaseline(baseline, xs []float64, lambda, L float64, dir Direction) ([]ControlPoint, error) {
	if len(baseline) < 3 {
		return nil, fmt.Errorf("ewma chart: need >= 3 baseline values, have %d", len(baseline))
	}
	return EWMAChart(xs, Median(baseline), MAD(baseline), lambda, L, dir)
}

// Holt is Holt's linear (double exponential) smoothing: a level and a trend,
// the forecasting substitute for the seed's "ARIMA". It extrapolates a soak
// run's drift; it is not a regression test.
type Holt struct {
	Alpha, Beta  float64 // smoothing of level and trend
	Level, Trend float64 // state after the last point
	// SSE is the sum of squared one-step-ahead errors of the fit.
	SSE float64
}

// Forecast returns the prediction h steps after the last point.
func (h Holt) Forecast(steps int) float64 { return h.Level + float64(steps)*h.Trend }

// FitHolt chooses α and β in (0, 1) minimizing the one-step-ahead squared
// error by a deterministic grid search (step 0.05, then 0.01 around the
// best), and returns the fitted state. It needs at least 3 points.
func FitHolt(xs []float64) (Holt, error) {
	if len(xs) < 3 {
		return Holt{}, fmt.Errorf("holt: need >= 3 points, have %d", len(xs))
	}
	for i, x := range xs {
		if isNaNOrInf(x) {
			return Holt{}, fmt.Errorf("holt: value %d is %v", i, x)
		}
	}
	best := Holt{SSE: math.Inf(1)}
	try := func(a, b float64) {
		if a <= 0 || a >= 1 || b <= 0 || b >= 1 {
			return
		}
		h := runHolt(xs, a, b)
		if h.SSE < best.SSE {
			best = h
		}
	}
	for a := 0.05; a < 0.99; a += 0.05 {
		for b := 0.05; b < 0.99; b += 0.05 {
			try(a, b)
		}
	}
	a0, b0 := best.Alpha, best.Beta
	for da := -0.05; da <= 0.05+1e-9; da += 0.01 {
		for db := -0.05; db <= 0.05+1e-9; db += 0.01 {
			try(a0+da, b0+db)
		}
	}
	return best, nil
}

func runHolt(xs []float64, a, b float64) Holt {
	level, trend := xs[0], xs[1]-xs[0]
	sse := 0.0
	for _, x := range xs[1:] {
		e := x - (level + trend)
		sse += e * e
		prev := level
		level = a*x + (1-a)*(level+trend)
		trend = b*(level-prev) + (1-b)*trend
	}
	return Holt{Alpha: a, Beta: b, Level: level, Trend: trend, SSE: sse}
}
