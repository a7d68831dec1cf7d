package regression

import (
	"errors"
	"math"
	"slices"
	"sync"

	"gonum.org/v1/gonum/stat/distuv"
)

// Sample-size limits for the exact Mann–Whitney distribution, as in
// go-moremath (used by benchstat): exact up to 50 per side without ties and
// up to 25 per side with ties; normal approximation with tie and continuity
// corrections beyond.
const (
	MannWhitneyExactLimit     = 50
	MannWhitneyTiesExactLimit = 25
)

// ErrSamplesEqual is returned by MannWhitney when every value in both samples
// is the same: there is no evidence either way.
var ErrSamplesEqual = errors.New("regression: all samples are equal")

// MannWhitneyResult is a two-sided Mann–Whitney U (Wilcoxon rank-sum) test.
type MannWhitneyResult struct {
	// U is the statistic for x: the number of pairs (x_i, y_j) with
	// x_i > y_j, ties counting ½. U = 0 means every x is below every y.
	U float64
	// P is the two-sided p-value.
	P float64
	// Exact is true when P comes from the exact null distribution
	// (tie-aware, by enumeration of rank sums).
	Exact bool
}

// uCache memoizes exact no-tie rank-sum distributions by (n1, n2). It belongs
// to a Comparer; the package has no global state.
type uCache struct {
	mu sync.Mutex
	m  map[[2]int][]float64
}

func (c *uCache) get(n1, n2 int) []float64 {
	if c == nil {
		scores := make([]int, n1+n2)
		for i := range scores {
			scores[i] = i + 1
		}
		return rankSumPMF(scores, n1)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[[2]int][]float64{}
	}
	k := [2]int{n1, n2}
	if p, ok := c.m[k]; ok {
		return p
	}
	scores := make([]int, n1+n2)
	for i := range scores {
		scores[i] = i + 1
	}
	p := rankSumPMF(scores, n1)
	c.m[k] = p
	return p
}

// MannWhitney runs the two-sided Mann–Whitney U test of x against y.
func MannWhitney(x, y []float64) (MannWhitneyResult, error) {
	return mannWhitney(x, y, nil)
}

func mannWhitney(x, y []float64, cache *uCache) (MannWhitneyResult, error) {
	n1, n2 := len(x), len(y)
	if n1 == 0 || n2 == 0 {
		return MannWhitneyResult{P: 1}, errors.New("regression: Mann–Whitney needs at least one value per side")
	}
	// Doubled mid-ranks are integers even with ties.
	type obs struct {
		v    float64
		from int
	}
	all := make([]obs, 0, n1+n2)
	for _, v := range x {
		all = append(all, obs{v, 0})
	}
	for _, v := range y {
		all = append(all, obs{v, 1})
	}
	slices.SortStableFunc(all, func(a, b obs) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	N := n1 + n2
	ranks2 := make([]int, N) // doubled mid-ranks in sorted order
	ties := false
	tieTerm := 0.0 // Σ (t³ - t)
	for i := 0; i < N; {
		j := i
		for j+1 < N && all[j+1].v == all[i].v {
			j++
		}
		r2 := (i + 1) + (j + 1) // doubled mid-rank of positions i..j (1-based)
		for k := i; k <= j; k++ {
			ranks2[k] = r2
		}
		if t := float64(j - i + 1); t > 1 {
			ties = true
			tieTerm += t*t*t - t
		}
		i = j + 1
	}
	if all[0].v == all[N-1].v {
		return MannWhitneyResult{U: float64(n1*n2) / 2, P: 1}, ErrSamplesEqual
	}
	r1 := 0 // doubled rank sum of x
	for k, o := range all {
		if o.from == 0 {
			r1 += ranks2[k]
		}
	}
	u := float64(r1)/2 - float64(n1*(n1+1))/2
	res := MannWhitneyResult{U: u}
	limit := MannWhitneyExactLimit
	if ties {
		limit = MannWhitneyTiesExactLimit
	}
	if n1 <= limit && n2 <= limit {
		var pmf []float64
		var obsSum, twiceMean int
		if ties {
			// Scores are doubled mid-ranks, so the sum and its mean are doubled.
			pmf, obsSum, twiceMean = rankSumPMF(ranks2, n1), r1, 2*n1*(N+1)
		} else {
			pmf, obsSum, twiceMean = cache.get(n1, n2), r1/2, n1*(N+1)
		}
		// Two-sided: P(|S - E| >= |s - E|), kept in integers as |2S - 2E|.
		dist := func(s int) int { return abs(2*s - twiceMean) }
		d := dist(obsSum)
		p := 0.0
		for s, ps := range pmf {
			if ps != 0 && dist(s) >= d {
				p += ps
			}
		}
		res.P = math.Min(1, p)
		res.Exact = true
		return res, nil
	}
	mu := float64(n1*n2) / 2
	sigma := math.Sqrt(float64(n1*n2) / 12 * (float64(N+1) - tieTerm/float64(N*(N-1))))
	z := (math.Abs(u-mu) - 0.5) / sigma
	if z < 0 {
		z = 0
	}
	res.P = math.Min(1, 2*distuv.UnitNormal.Survival(z))
	return res, nil
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// rankSumPMF returns the null distribution of the sum of k scores drawn
// without replacement from scores (all subsets equally likely), indexed by
// the sum. It is the exact Mann–Whitney distribution, tie-aware when the
// scores are doubled mid-ranks (Klotz 1966).
func rankSumPMF(scores []int, k int) []float64 {
	total := 0
	for _, s := range scores {
		total += s
	}
	// cnt[j][s]: weight of j-subsets of the scores seen so far summing to s,
	// normalized as we go to keep numbers in range.
	cnt := make([][]float64, k+1)
	for j := range cnt {
		cnt[j] = make([]float64, total+1)
	}
	cnt[0][0] = 1
	maxSum := 0
	for i, sc := range scores {
		maxSum += sc
		hi := min(i+1, k)
		for j := hi; j >= 1; j-- {
			prev, cur := cnt[j-1], cnt[j]
			for s := maxSum; s >= sc; s-- {
				if prev[s-sc] != 0 {
					cur[s] += prev[s-sc]
				}
			}
		}
	}
	pmf := cnt[k]
	sum := 0.0
	for _, v := range pmf {
		sum += v
	}
	for i := range pmf {
		pmf[i] /= sum
	}
	return pmf
}

// MannWhitneyMinP is the smallest two-sided p-value the exact test can
// produce for samples of n1 and n2 without ties: 2 / C(n1+n2, n1).
func MannWhitneyMinP(n1, n2 int) float64 {
	if n1 <= 0 || n2 <= 0 {
		return 1
	}
	// log C(N, n1)
	lc, _ := math.Lgamma(float64(n1 + n2 + 1))
	a, _ := math.Lgamma(float64(n1 + 1))
	b, _ := math.Lgamma(float64(n2 + 1))
	return math.Min(1, 2*math.Exp(-(lc-a-b)))
}

// MinSamplesForAlpha returns the smallest n such that two samples of n each
// can reach a two-sided p <= alpha (benchstat's "need >= 4 samples to detect
// a difference at alpha level 0.05").
func MinSamplesForAlpha(alpha float64) int {
	for n := 1; n < 1000; n++ {
		if MannWhitneyMinP(n, n) <= alpha {
			return n
		}
	}
	return -1
}
