package regression

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/stat/combin"
)

func near(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Errorf("%s = %.10g, want %.10g (±%g)", name, got, want, tol)
	}
}

func TestQuantileIsType7(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		q    float64
		want float64
	}{
		{"median of 1..5 is 3 (gonum LinInterp says 2.5)", []float64{5, 1, 4, 2, 3}, 0.5, 3},
		{"median of 1..4 interpolates", []float64{1, 2, 3, 4}, 0.5, 2.5},
		{"Q1 of 1..5 is 2 as in R", []float64{1, 2, 3, 4, 5}, 0.25, 2},
		{"Q3 of 1..5 is 4 as in R", []float64{1, 2, 3, 4, 5}, 0.75, 4},
		{"quantile(1:4, .25) is 1.75 as in R", []float64{1, 2, 3, 4}, 0.25, 1.75},
		{"max", []float64{3, 1, 2}, 1, 3},
		{"single value", []float64{7}, 0.9, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { near(t, "Quantile", Quantile(tt.xs, tt.q), tt.want, 1e-12) })
	}
	if !math.IsNaN(Quantile(nil, 0.5)) || !math.IsNaN(Quantile([]float64{1}, 1.5)) {
		t.Error("empty sample or q outside [0,1] must give NaN")
	}
}

func TestMedianCIFromBinomialOrderStatistics(t *testing.T) {
	xs := []float64{10, 1, 9, 2, 8, 3, 7, 4, 6, 5}
	ci := MedianCI(xs, 0.95)
	// n = 10: P(Bin(10,½) <= 1) = 11/1024, so the interval is [x(2), x(9)]
	// with coverage 1 - 22/1024.
	near(t, "lo", ci.Lo, 2, 0)
	near(t, "hi", ci.Hi, 9, 0)
	near(t, "coverage", ci.Coverage, 1-22.0/1024, 1e-12)
	if MedianCI([]float64{1, 2, 3, 4, 5}, 0.95).Bounded() {
		t.Error("n = 5 cannot have a 95% median CI (benchstat: need >= 6)")
	}
	if got := MinSamplesForMedianCI(0.95); got != 6 {
		t.Errorf("MinSamplesForMedianCI(0.95) = %d, want 6", got)
	}
}

// bruteMWU computes the exact two-sided p-value by enumerating every way to
// choose which pooled values belong to x, with mid-ranks for ties.
func bruteMWU(x, y []float64) (u, p float64) {
	pool := append(slices.Clone(x), y...)
	n := len(pool)
	rank := make([]float64, n)
	for i, v := range pool {
		less, eq := 0, 0
		for _, w := range pool {
			if w < v {
				less++
			} else if w == v {
				eq++
			}
		}
		rank[i] = float64(less) + float64(eq+1)/2
	}
	obs := 0.0
	for i := range x {
		obs += rank[i]
	}
	mean := float64(len(x)) * float64(n+1) / 2
	gen := combin.NewCombinationGenerator(n, len(x))
	idx := make([]int, len(x))
	hit, total := 0, 0
	for gen.Next() {
		gen.Combination(idx)
		s := 0.0
		for _, i := range idx {
			s += rank[i]
		}
		total++
		if math.Abs(s-mean) >= math.Abs(obs-mean)-1e-9 {
			hit++
		}
	}
	return obs - float64(len(x)*(len(x)+1))/2, float64(hit) / float64(total)
}

func TestMannWhitneyKnownValues(t *testing.T) {
	// R: x <- c(0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46)
	//    y <- c(1.15, 0.88, 0.90, 0.74, 1.21)
	//    wilcox.test(x, y, alternative = "g")  # W = 35, p-value = 0.1272
	// (Hollander & Wolfe 1973, p. 69; the example in R's ?wilcox.test).
	x := []float64{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46}
	y := []float64{1.15, 0.88, 0.90, 0.74, 1.21}
	r, err := MannWhitney(x, y)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "U (R's W)", r.U, 35, 0)
	near(t, "two-sided p = 2 × 0.1272", r.P, 2*0.1272, 0.0005)
	if !r.Exact {
		t.Error("15 values without ties must use the exact distribution")
	}

	tests := []struct {
		name string
		x, y []float64
	}{
		{"textbook sample", x, y},
		{"ties across groups", []float64{1, 2, 2, 3, 5, 5}, []float64{2, 3, 3, 4, 6, 7, 7}},
		{"heavy ties", []float64{1, 1, 1, 2, 2}, []float64{1, 2, 2, 2, 3, 3}},
		{"complete separation", []float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10}},
		{"unequal sizes", []float64{3.1, 2.2, 5.5}, []float64{1.0, 4.4, 6.6, 7.7, 0.5, 2.9, 8.8}},
	}
	for _, tt := range tests {
		t.Run("exact p equals enumeration: "+tt.name, func(t *testing.T) {
			wantU, wantP := bruteMWU(tt.x, tt.y)
			r, err := MannWhitney(tt.x, tt.y)
			if err != nil {
				t.Fatal(err)
			}
			near(t, "U", r.U, wantU, 1e-9)
			near(t, "p", r.P, wantP, 1e-9)
		})
	}
	if _, err := MannWhitney([]float64{2, 2}, []float64{2, 2, 2}); err != ErrSamplesEqual {
		t.Errorf("all-equal samples: err = %v, want ErrSamplesEqual", err)
	}
}

func TestMannWhitneyNormalApproximationAgreesWithExactForLargeSamples(t *testing.T) {
	x := make([]float64, 60)
	y := make([]float64, 60)
	for i := range x {
		x[i] = float64(i)*1.7 + math.Mod(float64(i)*7.3, 5)
		y[i] = float64(i)*1.7 + 9 + math.Mod(float64(i)*3.1, 4)
	}
	r, err := MannWhitney(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if r.Exact {
		t.Fatal("60 per side must use the normal approximation")
	}
	scores := make([]int, 120)
	for i := range scores {
		scores[i] = i + 1
	}
	pmf := rankSumPMF(scores, 60)
	s := int(r.U) + 60*61/2
	e := 60 * 121 // twice the mean
	exact := 0.0
	for k, p := range pmf {
		if abs(2*k-e) >= abs(2*s-e) {
			exact += p
		}
	}
	near(t, "normal vs exact p", r.P, exact, 0.002)
}

func TestMinPMatchesBenchstatTable(t *testing.T) {
	// benchmath's uTestMinP for equal n.
	want := map[int]float64{1: 1, 2: 0.333, 3: 0.1, 4: 0.0286, 5: 0.0079, 6: 0.0022, 7: 0.00058, 8: 0.00016, 9: 4.1e-5}
	for n, w := range want {
		near(t, "MannWhitneyMinP", MannWhitneyMinP(n, n), w, w*0.05) // the table is rounded
	}
	if got := MinSamplesForAlpha(0.05); got != 4 {
		t.Errorf("MinSamplesForAlpha(0.05) = %d, want 4", got)
	}
	if got := MinSamplesForAlpha(0.001); got != 7 {
		t.Errorf("MinSamplesForAlpha(0.001) = %d, want 7 (Holm over 50 metrics)", got)
	}
}

func TestHodgesLehmann(t *testing.T) {
	x := []float64{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46}
	y := []float64{1.15, 0.88, 0.90, 0.74, 1.21}
	var d []float64
	for _, b := range y {
		for _, a := range x {
			d = append(d, b-a)
		}
	}
	slices.Sort(d)
	s := HodgesLehmann(x, y, 0.95)
	near(t, "estimate = median of pairwise differences", s.Estimate, Median(d), 1e-12)
	// The Moses interval is [d(k), d(mn+1-k)] with k the smallest u whose
	// lower tail P(U <= u) reaches α/2; check k against enumeration.
	scores := make([]int, 15)
	for i := range scores {
		scores[i] = i + 1
	}
	pmf := rankSumPMF(scores, 10)
	cdf, k := 0.0, 0
	for u := 0; ; u++ {
		cdf += pmf[55+u]
		if cdf >= 0.025 {
			k = u
			break
		}
	}
	near(t, "lo", s.CI.Lo, d[k-1], 0)
	near(t, "hi", s.CI.Hi, d[50-k], 0)
	if s.CI.Coverage < 0.95 {
		t.Errorf("coverage %v below requested 0.95", s.CI.Coverage)
	}
	if !s.Exact {
		t.Error("want exact interval")
	}
	if HodgesLehmann([]float64{1, 2}, []float64{3, 4}, 0.95).CI.Bounded() {
		t.Error("2 vs 2 cannot give a bounded 95% interval")
	}
	ratio, ci, ok := RatioCI([]float64{100, 101, 99, 102, 98, 100, 101, 99}, []float64{120, 121, 119, 122, 118, 120, 121, 119}, 0.95)
	if !ok || math.Abs(ratio-1.2) > 0.005 || ci.Lo > 1.2 || ci.Hi < 1.2 {
		t.Errorf("RatioCI = %v %+v %v, want about 1.2 inside the interval", ratio, ci, ok)
	}
}

func TestWelchMatchesR(t *testing.T) {
	// R: t.test(extra ~ group, data = sleep)
	// t = -1.8608, df = 17.776, p-value = 0.07939
	// 95 percent confidence interval: -3.3654832  0.2054832 (group1 - group2)
	g1 := []float64{0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0}
	g2 := []float64{1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4}
	w, err := Welch(g2, g1, 0.95) // mean(g1) - mean(g2), as R reports
	if err != nil {
		t.Fatal(err)
	}
	near(t, "t", w.T, -1.8608, 5e-5)
	near(t, "df", w.DF, 17.776, 5e-4)
	near(t, "p", w.P, 0.07939, 5e-6)
	near(t, "ci lo", w.DiffCI.Lo, -3.3654832, 1e-6)
	near(t, "ci hi", w.DiffCI.Hi, 0.2054832, 1e-6)
}

func TestAdjustMatchesPAdjust(t *testing.T) {
	ps := []float64{0.01, 0.04, 0.03, 0.005}
	tests := []struct {
		c    Correction
		want []float64
	}{
		// R: p.adjust(c(.01,.04,.03,.005), "holm") = 0.03 0.06 0.06 0.02
		{Holm, []float64{0.03, 0.06, 0.06, 0.02}},
		// R: p.adjust(c(.01,.04,.03,.005), "BH") = 0.02 0.04 0.04 0.02
		{BenjaminiHochberg, []float64{0.02, 0.04, 0.04, 0.02}},
		{NoCorrection, ps},
	}
	for _, tt := range tests {
		t.Run(tt.c.String(), func(t *testing.T) {
			got := Adjust(ps, tt.c)
			for i := range got {
				near(t, "q", got[i], tt.want[i], 1e-12)
			}
		})
	}
	got := Adjust([]float64{math.NaN(), 0.02}, Holm)
	if !math.IsNaN(got[0]) || got[1] != 0.02 {
		t.Errorf("NaN entries must be skipped: %v", got)
	}
}

func TestBootstrapIsDeterministicAndCoversTheShift(t *testing.T) {
	old := []float64{100, 103, 98, 101, 99, 102, 97, 100, 104, 96}
	new := make([]float64, len(old))
	for i, v := range old {
		new[i] = v * 1.3
	}
	r1, c1 := BootstrapQuantileRatioCI(old, new, 0.5, 0.95, 2000, SeedFor("p50"))
	r2, c2 := BootstrapQuantileRatioCI(old, new, 0.5, 0.95, 2000, SeedFor("p50"))
	if r1 != r2 || c1 != c2 {
		t.Errorf("same seed, different answers: %v %v vs %v %v", r1, c1, r2, c2)
	}
	near(t, "ratio", r1, 1.3, 1e-12)
	if c1.Lo > 1.3 || c1.Hi < 1.3 || c1.Lo < 1.2 || c1.Hi > 1.4 {
		t.Errorf("interval %+v should contain 1.3 and be tight", c1)
	}
}

func TestOutliersAreFlaggedNotDropped(t *testing.T) {
	xs := []float64{10, 11, 10, 12, 11, 10, 11, 12, 50, 1}
	o := IQROutliers(xs, 1.5)
	if !slices.Equal(o.High, []int{8}) || !slices.Equal(o.Low, []int{9}) {
		t.Errorf("IQR outliers = low %v high %v, want [9] and [8]", o.Low, o.High)
	}
	if len(xs) != 10 {
		t.Error("input modified")
	}
	if r := IQROutliers(xs[:5], 1.5); r.Any() || r.Reason == "" {
		t.Errorf("too few values must flag nothing and say why: %+v", r)
	}
	if m := MADOutliers(xs, 3.5); !slices.Contains(m.High, 8) {
		t.Errorf("MAD fences missed 50: %+v", m)
	}
}

func TestPairwiseMethodsHaveBoundedMemory(t *testing.T) {
	x := make([]float64, 2049) // 2049² pairs > MaxPairs
	for i := range x {
		x[i] = float64(i)
	}
	y := scale(x, 2)
	s := HodgesLehmann(x, y, 0.95)
	if s.CI.Bounded() || s.Estimate != Median(y)-Median(x) {
		t.Errorf("over MaxPairs: %+v, want difference of medians without interval", s)
	}
	big := make([]float64, 2897) // 2897·2896/2 slopes > MaxPairs
	for i := range big {
		big[i] = float64(i)
	}
	if _, err := TheilSen(big, big, 0.95); err == nil {
		t.Error("Theil–Sen over MaxPairs must refuse")
	}
}

func TestMannWhitneyExactMatchesEnumerationOnRandomTiedSamples(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for trial := range 300 {
		x := make([]float64, 1+rng.IntN(6))
		y := make([]float64, 1+rng.IntN(6))
		for i := range x {
			x[i] = float64(rng.IntN(5))
		}
		for i := range y {
			y[i] = float64(rng.IntN(5))
		}
		r, err := MannWhitney(x, y)
		if err == ErrSamplesEqual {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		u, p := bruteMWU(x, y)
		if math.Abs(r.U-u) > 1e-9 || math.Abs(r.P-p) > 1e-9 {
			t.Fatalf("trial %d: x=%v y=%v: U=%v p=%v, enumeration U=%v p=%v", trial, x, y, r.U, r.P, u, p)
		}
	}
}
