package regression

import (
	"fmt"
	"math"
	"slices"
)

// Correction is a multiple-comparison adjustment across the metrics of one
// report.
type Correction int

const (
	// Holm controls the family-wise error rate (default).
	Holm Correction = iota
	// BenjaminiHochberg controls the false discovery rate.
	BenjaminiHochberg
	// NoCorrection uses raw p-values (about 5% of unchanged metrics will be
	// "significant" at α = 0.05).
	NoCorrection
)

// String names the correction.
func (c Correction) String() string {
	switch c {
	case Holm:
		return "holm"
	case BenjaminiHochberg:
		return "bh"
	case NoCorrection:
		return "none"
	}
	return fmt.Sprintf("Correction(%d)", int(c))
}

// Adjust returns adjusted p-values (q-values) in the order of ps, as R's
// p.adjust does for "holm", "BH" and "none". NaN entries are left NaN and do
// not count towards the number of tests.
func Adjust(ps []float64, c Correction) []float64 {
	out := make([]float64, len(ps))
	idx := make([]int, 0, len(ps))
	for i, p := range ps {
		out[i] = math.NaN()
		if !math.IsNaN(p) {
			idx = append(idx, i)
		}
	}
	m := len(idx)
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case ps[a] < ps[b]:
			return -1
		case ps[a] > ps[b]:
			return 1
		}
		return 0
	})
	switch c {
	case Holm:
		run := 0.0
		for k, i := range idx {
			v := math.Min(1, float64(m-k)*ps[i])
			run = math.Max(run, v)
			out[i] = run
		}
	case BenjaminiHochberg:
		run := 1.0
		for k := m - 1; k >= 0; k-- {
			i := idx[k]
			v := math.Min(1, float64(m)/float64(k+1)*ps[i])
			run = math.Min(run, v)
			out[i] = run
		}
	default:
		for _, i := range idx {
			out[i] = ps[i]
		}
	}
	return out
}

// smallestThreshold is the strictest per-test threshold a correction can
// apply among m tests: below it nothing can be significant.
func (c Correction) smallestThreshold(alpha float64, m int) float64 {
	if m < 1 {
		m = 1
	}
	switch c {
	case Holm:
		return alpha / float64(m)
	default:
		return alpha
	}
}
