package judge

import (
	"errors"
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/mcpstress/mcpstress/framework"
)

// MemoryTrend is the least-squares line through the server's resident
// memory over a window, extrapolated to a horizon: the seeds' "memory
// growth over 5 minutes" judged by slope, not by two samples.
type MemoryTrend struct {
	Samples int           `json:"samples"`
	Window  time.Duration `json:"window"` // first to last sample
	// SlopeMBPerSecond is the fitted growth rate; GrowthMB is it times
	// Horizon.
	SlopeMBPerSecond float64       `json:"slope_mb_per_s"`
	Horizon          time.Duration `json:"horizon"`
	GrowthMB         float64       `json:"growth_mb"`
	// R2 is how well a line explains the samples (near 0: noise around a
	// flat level; near 1: steady growth).
	R2      float64 `json:"r2"`
	FirstMB float64 `json:"first_mb"`
	LastMB  float64 `json:"last_mb"`
}

func (m MemoryTrend) String() string {
	return fmt.Sprintf("%+.2f MB/s over %v (%d samples, r²=%.2f, %.1f→%.1f MB) → %+.1f MB per %v",
		m.SlopeMBPerSecond, m.Window.Round(time.Millisecond), m.Samples, m.R2, m.FirstMB, m.LastMB, m.GrowthMB, m.Horizon)
}

// MinMemorySamples is the fewest samples a memory trend is fitted on.
const MinMemorySamples = 5

// ErrServerNotSampled says the intervals carry no server memory: the
// server is not a process this test started.
var ErrServerNotSampled = errors.New("server memory was not sampled")

// ServerMemoryTrend fits the server RSS of the intervals that end at or
// after from and at or before to (zero: no bound) and extrapolates the
// slope to horizon.
func ServerMemoryTrend(iv []framework.IntervalSnapshot, from, to time.Time, horizon time.Duration) (MemoryTrend, error) {
	var xs, ys []float64
	var t0 time.Time
	for _, s := range iv {
		r := s.Resources
		if r == nil || r.Server == nil || r.Server.Err != "" || r.Server.RSSBytes == 0 {
			continue
		}
		if s.End.Before(from) || (!to.IsZero() && s.End.After(to)) {
			continue
		}
		if t0.IsZero() {
			t0 = s.End
		}
		xs = append(xs, s.End.Sub(t0).Seconds())
		ys = append(ys, mb(r.Server.RSSBytes))
	}
	m := MemoryTrend{Samples: len(xs), Horizon: horizon}
	if len(xs) == 0 {
		return m, ErrServerNotSampled
	}
	m.FirstMB, m.LastMB = ys[0], ys[len(ys)-1]
	m.Window = time.Duration(xs[len(xs)-1] * float64(time.Second))
	if len(xs) < MinMemorySamples {
		return m, fmt.Errorf("only %d server memory samples in the window (need %d)", len(xs), MinMemorySamples)
	}
	_, beta := stat.LinearRegression(xs, ys, nil, false)
	alpha := stat.Mean(ys, nil) - beta*stat.Mean(xs, nil)
	m.SlopeMBPerSecond = beta
	m.GrowthMB = beta * horizon.Seconds()
	m.R2 = stat.RSquared(xs, ys, nil, alpha, beta)
	if math.IsNaN(m.R2) {
		m.R2 = 0 // a perfectly flat series: nothing to explain
	}
	return m, nil
}

// Uniformity tests per-session request counts against equal shares. The
// null hypothesis is that every request lands on each session with equal
// probability, independently (a multinomial). Two tests are made, as the
// chi-square test alone barely notices one starved session among 150:
//
//   - PValue: chi-square goodness of fit over all sessions (overall
//     over-dispersion);
//   - ExtremePValue: the fewest and the most requests any session got,
//     each against its Binomial(Total, 1/Sessions) tail, Bonferroni
//     corrected for the number of sessions and both tails.
//
// A dispatcher that is more even than random (the engine hands each
// request to the longest-idle slot) gives p-values near 1, so the tests
// reject only sessions starved or hogging, never evenness.
type Uniformity struct {
	Sessions int     `json:"sessions"`
	Total    uint64  `json:"total"`
	Min      uint64  `json:"min"`
	Max      uint64  `json:"max"`
	Mean     float64 `json:"mean"`
	// CV is the coefficient of variation of the counts (stddev / mean).
	CV        float64 `json:"cv"`
	ChiSquare float64 `json:"chi_square"`
	DF        float64 `json:"df"`
	PValue    float64 `json:"p_value"`
	// ExtremePValue is the corrected p-value of the most extreme session.
	ExtremePValue float64 `json:"extreme_p_value"`
}

// Rejects reports whether either test rejects equal shares at level alpha.
func (u Uniformity) Rejects(alpha float64) bool { return u.PValue < alpha || u.ExtremePValue < alpha }

func (u Uniformity) String() string {
	return fmt.Sprintf("%d requests over %d sessions: min %d, max %d, mean %.1f, CV %.3f; χ²=%.1f (df %g), p=%.3g; extreme-session p=%.3g",
		u.Total, u.Sessions, u.Min, u.Max, u.Mean, u.CV, u.ChiSquare, u.DF, u.PValue, u.ExtremePValue)
}

// SessionUniformity tests counts against equal shares. It needs at least
// two sessions and an expected count of at least 5 per session (the usual
// condition for the chi-square approximation).
func SessionUniformity(counts []uint64) (Uniformity, error) {
	u := Uniformity{Sessions: len(counts)}
	if len(counts) < 2 {
		return u, fmt.Errorf("need at least 2 sessions, got %d", len(counts))
	}
	obs := make([]float64, len(counts))
	u.Min = math.MaxUint64
	for i, c := range counts {
		obs[i] = float64(c)
		u.Total += c
		u.Min, u.Max = min(u.Min, c), max(u.Max, c)
	}
	u.Mean = float64(u.Total) / float64(len(counts))
	if u.Mean < 5 {
		return u, fmt.Errorf("%d requests over %d sessions is under 5 per session: too few for a chi-square test", u.Total, len(counts))
	}
	exp := make([]float64, len(counts))
	for i := range exp {
		exp[i] = u.Mean
	}
	u.CV = stat.PopStdDev(obs, nil) / u.Mean
	u.ChiSquare = stat.ChiSquare(obs, exp)
	u.DF = float64(len(counts) - 1)
	u.PValue = distuv.ChiSquared{K: u.DF}.Survival(u.ChiSquare)
	b := distuv.Binomial{N: float64(u.Total), P: 1 / float64(len(counts))}
	low := b.CDF(float64(u.Min))
	high := 1.0
	if u.Max > 0 {
		high = b.Survival(float64(u.Max) - 1) // P(X >= max)
	}
	u.ExtremePValue = min(1, 2*float64(len(counts))*min(low, high))
	return u, nil
}
