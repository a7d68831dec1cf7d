package regression

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
)

// DefaultBootstrapResamples is the number of bootstrap resamples used when a
// caller passes 0.
const DefaultBootstrapResamples = 10000

// SeedFor derives a deterministic bootstrap seed from a metric name, so the
// same inputs always give the same interval.
func SeedFor(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

// BootstrapQuantileRatioCI is a seeded percentile-bootstrap confidence
// interval for Quantile(new, q) / Quantile(old, q): both sides are resampled
// with replacement, independently, resamples times (0 means
// DefaultBootstrapResamples). It is deterministic for a given seed. Use it
// for tail percentiles, where the Hodges–Lehmann shift (a location
// estimate) is not the question.
func BootstrapQuantileRatioCI(old, new []float64, q, confidence float64, resamples int, seed uint64) (ratio float64, ci Interval) {
	if len(old) == 0 || len(new) == 0 {
		return math.NaN(), Interval{Lo: math.Inf(-1), Hi: math.Inf(1)}
	}
	if resamples <= 0 {
		resamples = DefaultBootstrapResamples
	}
	rng := rand.New(rand.NewPCG(seed, 0x6d63707374726573))
	ratio = Quantile(new, q) / Quantile(old, q)
	bo := make([]float64, len(old))
	bn := make([]float64, len(new))
	stats := make([]float64, 0, resamples)
	for range resamples {
		for i := range bo {
			bo[i] = old[rng.IntN(len(old))]
		}
		for i := range bn {
			bn[i] = new[rng.IntN(len(new))]
		}
		slices.Sort(bo)
		slices.Sort(bn)
		stats = append(stats, quantileSorted(bn, q)/quantileSorted(bo, q))
	}
	slices.Sort(stats)
	a := (1 - confidence) / 2
	return ratio, Interval{Lo: quantileSorted(stats, a), Hi: quantileSorted(stats, 1-a), Coverage: confidence}
}
