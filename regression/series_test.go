package regression

import (
	"math"
	"math/rand/v2"
	"testing"
)

// noisy returns n values around level with seeded normal noise of the given
// relative sd.
func noisy(rng *rand.Rand, n int, level, cv float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = level * (1 + cv*rng.NormFloat64())
	}
	return out
}

func TestChangePointsFindsAStepAndNothingInNoise(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	series := append(noisy(rng, 40, 100, 0.03), noisy(rng, 30, 115, 0.03)...)
	cps, err := ChangePoints(series, ChangePointConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cps) != 1 || absInt(cps[0].Index-40) > 2 {
		t.Fatalf("change points %+v, want one near index 40", cps)
	}
	if cps[0].Change < 0.1 || cps[0].Change > 0.2 || cps[0].P > 0.001 {
		t.Errorf("change %+v", cps[0])
	}
	// Deterministic: same input, same answer.
	again, _ := ChangePoints(series, ChangePointConfig{})
	if len(again) != 1 || again[0] != cps[0] {
		t.Error("not deterministic")
	}
	// A/A: 20 flat series, count false change points.
	falseCPs := 0
	for range 20 {
		cps, err := ChangePoints(noisy(rng, 80, 100, 0.05), ChangePointConfig{})
		if err != nil {
			t.Fatal(err)
		}
		falseCPs += len(cps)
	}
	if falseCPs > 2 {
		t.Errorf("%d false change points in 20 flat series of 80", falseCPs)
	}
	// A single spike is not a change point.
	flat := noisy(rng, 60, 100, 0.02)
	flat[30] = 300
	if cps, _ := ChangePoints(flat, ChangePointConfig{}); len(cps) != 0 {
		t.Errorf("spike reported as change point: %+v", cps)
	}
	if _, err := ChangePoints([]float64{1, math.NaN()}, ChangePointConfig{}); err == nil {
		t.Error("NaN accepted")
	}
}

func TestGate(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	hist := noisy(rng, 40, 100, 0.05)
	tests := []struct {
		name string
		x    float64
		dir  Direction
		want GateOutcome
	}{
		{"typical value passes", 101, LowerIsBetter, GatePass},
		{"30% slower fails", 130, LowerIsBetter, GateFail},
		{"30% faster passes as an improvement", 70, LowerIsBetter, GatePass},
		{"30% less throughput fails", 70, HigherIsBetter, GateFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Gate(hist, tt.x, tt.dir, GateConfig{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Outcome != tt.want {
				t.Errorf("outcome %v (p=%v limit=%v), want %v", r.Outcome, r.P, r.FailLimit, tt.want)
			}
		})
	}
	for _, tt := range tests {
		r, err := Gate(hist, tt.x, tt.dir, GateConfig{Robust: true})
		if err != nil || r.Outcome != tt.want {
			t.Errorf("robust %s: %v %v", tt.name, r.Outcome, err)
		}
	}
	r, _ := Gate(hist, 70, LowerIsBetter, GateConfig{})
	if !r.Improved {
		t.Error("a much better value must be marked improved")
	}
	// The prediction limit is mean + t(n-1, .99)·s·√(1+1/n).
	r, _ = Gate(hist, 100, LowerIsBetter, GateConfig{OutlierK: -1, KeepOldLevels: true})
	if r.N != 40 || r.FailLimit <= r.SuspectLimit || r.SuspectLimit <= r.Mean {
		t.Errorf("limits %+v", r)
	}
	r, _ = Gate(hist[:5], 100, LowerIsBetter, GateConfig{})
	if r.Outcome != GateInconclusive || r.Reason == "" {
		t.Errorf("5 points: %+v, want inconclusive with reason", r)
	}
	// A level change in history: the window is cut at it, so a value at
	// the new level passes instead of failing against the old mix.
	stepped := append(noisy(rng, 30, 100, 0.02), noisy(rng, 20, 130, 0.02)...)
	r, err := Gate(stepped, 131, LowerIsBetter, GateConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if r.CutAt < 28 || r.CutAt > 32 || r.Outcome != GatePass {
		t.Errorf("stepped history: cut at %d outcome %v", r.CutAt, r.Outcome)
	}
	if _, err := Gate(hist, math.Inf(1), 0, GateConfig{Level: 2}); err == nil {
		t.Error("bad input accepted")
	}
}

func TestMannKendallAndTheilSenKnownValues(t *testing.T) {
	y := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	mk, err := MannKendall(y)
	if err != nil {
		t.Fatal(err)
	}
	// S = 45, Var(S) = 10·9·25/18 = 125, Z = 44/√125.
	near(t, "S", mk.S, 45, 0)
	near(t, "VarS", mk.VarS, 125, 1e-9)
	near(t, "Z", mk.Z, 44/math.Sqrt(125), 1e-12)
	near(t, "tau", mk.Tau, 1, 0)
	near(t, "p", mk.P, 8.30e-5, 1e-6)
	// Ties: {1,1,2,2,3,3,4,4,5,5}: tie groups of 2 reduce the variance by
	// 5·(2·1·9)/18 = 5.
	tied := []float64{1, 1, 2, 2, 3, 3, 4, 4, 5, 5}
	mk, _ = MannKendall(tied)
	near(t, "tied S", mk.S, 40, 0)
	near(t, "tied VarS", mk.VarS, 120, 1e-9)
	if _, err := MannKendall(y[:5]); err == nil {
		t.Error("5 points accepted")
	}

	x := []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	line := make([]float64, len(x))
	for i, v := range x {
		line[i] = 2*v + 1
	}
	line[7] = 100 // an outlier OLS would follow
	ts, err := TheilSen(x, line, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "Theil–Sen slope", ts.Slope, 2, 1e-12)
	near(t, "Theil–Sen intercept", ts.Intercept, 1, 1e-12)
	if !(ts.SlopeCI.Lo <= 2 && ts.SlopeCI.Hi >= 2) {
		t.Errorf("slope CI %+v", ts.SlopeCI)
	}
	_, ols, _ := LinearTrend(x, line)
	if math.Abs(ols-2) < 0.5 {
		t.Errorf("OLS slope %v should be pulled by the outlier (sanity check of the test)", ols)
	}
}

func TestSmoothing(t *testing.T) {
	e := EWMA([]float64{10, 20, 20}, 0.5)
	near(t, "ewma[1]", e[1], 15, 1e-12)
	near(t, "ewma[2]", e[2], 17.5, 1e-12)
	ma := MovingAverage([]float64{1, 2, 3, 4}, 2)
	near(t, "ma[0]", ma[0], 1, 0)
	near(t, "ma[3]", ma[3], 3.5, 1e-12)

	rng := rand.New(rand.NewPCG(5, 6))
	base := noisy(rng, 30, 100, 0.03)
	flat := noisy(rng, 30, 100, 0.03)
	drift := noisy(rng, 30, 104, 0.03) // a small sustained 4% shift
	cFlat, err := EWMAChartFromBaseline(base, flat, 0.2, 3, LowerIsBetter)
	if err != nil {
		t.Fatal(err)
	}
	cDrift, _ := EWMAChartFromBaseline(base, drift, 0.2, 3, LowerIsBetter)
	signals := func(c []ControlPoint) int {
		n := 0
		for _, p := range c {
			if p.Signal {
				n++
			}
		}
		return n
	}
	if signals(cFlat) > 2 || signals(cDrift) < 10 {
		t.Errorf("EWMA chart signals: flat %d, drift %d", signals(cFlat), signals(cDrift))
	}
	if _, err := EWMAChart(flat, 100, 0, 0, 3, 0); err == nil {
		t.Error("bad chart parameters accepted")
	}

	lin := make([]float64, 20)
	for i := range lin {
		lin[i] = 50 + 3*float64(i)
	}
	h, err := FitHolt(lin)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "Holt forecast of a line", h.Forecast(5), 50+3*24, 1e-6)
}
