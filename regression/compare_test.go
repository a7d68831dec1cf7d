package regression

import (
	"math"
	"strings"
	"testing"
)

// wobble returns n values around center with a fixed ±2% pattern, so tests
// are deterministic without a random source.
func wobble(center float64, n int) []float64 {
	pattern := []float64{0, 0.013, -0.011, 0.02, -0.017, 0.006, -0.004, 0.015, -0.02, 0.009, -0.008, 0.018, -0.014, 0.003, -0.002}
	out := make([]float64, n)
	for i := range out {
		out[i] = center * (1 + pattern[i%len(pattern)] + float64(i/len(pattern))*1e-4)
	}
	return out
}

func scale(xs []float64, f float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = x * f
	}
	return out
}

var (
	latency    = Metric{Name: "p99", Unit: "ns", Direction: LowerIsBetter}
	throughput = Metric{Name: "throughput", Unit: "req/s", Direction: HigherIsBetter}
)

func compareOne(t *testing.T, cfg Config, m Metric, old, new []float64) Comparison {
	t.Helper()
	r, err := Compare(cfg, []Samples{{m, old}}, []Samples{{m, new}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Comparisons) != 1 {
		t.Fatalf("got %d comparisons", len(r.Comparisons))
	}
	return r.Comparisons[0]
}

func TestCompareRespectsDirection(t *testing.T) {
	base := wobble(1000, 10)
	tests := []struct {
		name   string
		metric Metric
		factor float64
		want   Verdict
	}{
		{"latency up 20% is a regression", latency, 1.2, Regression},
		{"latency down 20% is an improvement", latency, 0.8, Improvement},
		{"throughput up 20% is an improvement", throughput, 1.2, Improvement},
		{"throughput down 20% is a regression", throughput, 0.8, Regression},
		{"unchanged latency is no change", latency, 1, NoChange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := compareOne(t, Config{}, tt.metric, base, scale(wobble(1000, 10), tt.factor))
			if c.Verdict != tt.want {
				t.Fatalf("verdict %v, want %v (p=%v q=%v worse=%v)", c.Verdict, tt.want, c.P, c.Q, c.Worse)
			}
			if tt.want != Regression && (c.Severity != SeverityNone || c.Flagged()) {
				t.Errorf("non-regression has severity %v / flagged", c.Severity)
			}
		})
	}
}

func TestSeverityUsesTheConservativeBound(t *testing.T) {
	base := wobble(1000, 12)
	tests := []struct {
		factor float64
		want   Severity
	}{
		{1.05, Minor},
		{1.15, Low},
		{1.25, Medium},
		{1.40, High},
		{1.80, Critical},
	}
	for _, tt := range tests {
		c := compareOne(t, Config{}, latency, base, scale(base, tt.factor))
		if c.Verdict != Regression || c.Severity != tt.want {
			t.Errorf("x%.2f: verdict %v severity %v, want regression %v (worse CI %+v)", tt.factor, c.Verdict, c.Severity, tt.want, c.WorseCI)
		}
		if c.WorseCI.Lo > c.Worse || c.Worse > c.WorseCI.Hi {
			t.Errorf("x%.2f: estimate %v outside its interval %+v", tt.factor, c.Worse, c.WorseCI)
		}
	}
	// A point estimate just above 10% whose interval reaches below 10% is
	// not LOW: the seed graded the point estimate, we grade the bound.
	noisyOld := []float64{900, 1100, 950, 1050, 1000, 920, 1080, 980, 1020, 1000}
	c := compareOne(t, Config{}, latency, noisyOld, scale(noisyOld, 1.11))
	if c.Verdict == Regression && c.Severity >= Low && c.WorseCI.Lo < 0.10 {
		t.Errorf("severity %v graded although conservative bound is %v", c.Severity, c.WorseCI.Lo)
	}
}

func TestTooFewRunsIsInconclusiveNeverAPass(t *testing.T) {
	c := compareOne(t, Config{}, latency, []float64{1, 2, 3}, []float64{10, 11, 12})
	if c.Verdict != Inconclusive || !strings.Contains(c.Reason, "need >= 4") {
		t.Errorf("3 vs 3 runs: verdict %v reason %q, want inconclusive needing 4", c.Verdict, c.Reason)
	}
	// Holm over 50 metrics needs 7 runs per side (p <= 0.001).
	var old, new []Samples
	for i := range 50 {
		m := Metric{Name: "m" + string(rune('A'+i%26)) + string(rune('a'+i/26)), Unit: "ns", Direction: LowerIsBetter}
		old = append(old, Samples{m, wobble(100, 6)})
		new = append(new, Samples{m, wobble(200, 6)})
	}
	r, err := Compare(Config{}, old, new)
	if err != nil {
		t.Fatal(err)
	}
	if r.Count(Inconclusive) != 50 || !strings.Contains(r.Comparisons[0].Reason, "need >= 7") {
		t.Errorf("6 runs, 50 metrics: %d inconclusive, reason %q", r.Count(Inconclusive), r.Comparisons[0].Reason)
	}
	c = compareOne(t, Config{}, latency, nil, wobble(1, 10))
	if c.Verdict != Inconclusive {
		t.Errorf("empty baseline: %v", c.Verdict)
	}
}

func TestHolmAcrossAReport(t *testing.T) {
	// One metric barely significant alone (p ≈ 0.03) becomes no change
	// when 5 metrics share the report.
	old := []float64{10, 12, 11, 13, 9, 10.5, 12.5, 11.5}
	new := []float64{11.9, 13.8, 12.6, 12.2, 12.9, 11.2, 14.1, 13.3}
	alone := compareOne(t, Config{}, latency, old, new)
	if !(alone.P < 0.05 && alone.P > 0.01) || alone.Verdict != Regression {
		t.Fatalf("setup: alone p=%v verdict %v", alone.P, alone.Verdict)
	}
	var o, n []Samples
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		m := Metric{Name: name, Unit: "ns", Direction: LowerIsBetter}
		o = append(o, Samples{m, old})
		if name == "a" {
			n = append(n, Samples{m, new})
		} else {
			n = append(n, Samples{m, old})
		}
	}
	r, err := Compare(Config{}, o, n)
	if err != nil {
		t.Fatal(err)
	}
	a := r.Comparisons[0]
	near(t, "Holm q", a.Q, math.Min(1, 5*a.P), 1e-12)
	if a.Verdict != NoChange {
		t.Errorf("with Holm over 5 metrics: %v (q=%v)", a.Verdict, a.Q)
	}
}

func TestCompareRejectsBadInput(t *testing.T) {
	bad := Metric{Name: "x", Unit: "ns"} // no direction
	if _, err := Compare(Config{}, []Samples{{bad, []float64{1}}}, []Samples{{bad, []float64{math.NaN()}}}); err == nil ||
		!strings.Contains(err.Error(), "direction") || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("want every problem reported, got %v", err)
	}
	if err := (Config{Alpha: 2, Confidence: -1}).Validate(); err == nil || !strings.Contains(err.Error(), "alpha") || !strings.Contains(err.Error(), "confidence") {
		t.Errorf("Validate: %v", err)
	}
}

func TestExactAndNormalAssumptions(t *testing.T) {
	allocs := Metric{Name: "allocs", Unit: "allocs/op", Direction: LowerIsBetter, Assume: AssumeExact}
	c := compareOne(t, Config{}, allocs, []float64{12, 12, 12}, []float64{13, 13, 13})
	if c.Verdict != Regression || c.Test != "exact" {
		t.Errorf("exact 12 -> 13: %v via %q", c.Verdict, c.Test)
	}
	c = compareOne(t, Config{}, allocs, []float64{12, 12, 12}, []float64{12, 12, 12})
	if c.Verdict != NoChange {
		t.Errorf("exact equal: %v", c.Verdict)
	}
	normal := Metric{Name: "mean", Unit: "ms", Direction: LowerIsBetter, Assume: AssumeNormal}
	c = compareOne(t, Config{}, normal, wobble(100, 10), wobble(110, 10))
	if c.Verdict != Regression || c.Test != "welch" {
		t.Errorf("normal +10%%: %v via %q", c.Verdict, c.Test)
	}
}

func TestOutliersAreKeptAndWarned(t *testing.T) {
	old := wobble(100, 10)
	new := wobble(100, 10)
	new[3] = 400 // one spike: a negative control
	c := compareOne(t, Config{}, latency, old, new)
	if c.Verdict == Regression {
		t.Errorf("a single spike must not be a regression: p=%v", c.P)
	}
	if len(c.New.Outliers.High) != 1 || len(c.Warnings) == 0 {
		t.Errorf("spike not flagged: %+v %v", c.New.Outliers, c.Warnings)
	}
}

func TestSamplesFromRuns(t *testing.T) {
	runs := []Run{{"p99": 10, "throughput": 5}, {"p99": 11, "throughput": 6}}
	s, err := SamplesFromRuns([]Metric{latency, throughput}, runs)
	if err != nil || len(s) != 2 || s[0].Values[1] != 11 || s[1].Values[0] != 5 {
		t.Fatalf("%+v %v", s, err)
	}
	_, err = SamplesFromRuns([]Metric{latency, throughput}, []Run{{"p99": math.NaN()}})
	if err == nil || !strings.Contains(err.Error(), "NaN") || !strings.Contains(err.Error(), `no value for metric "throughput"`) {
		t.Errorf("want every problem reported: %v", err)
	}
}

func TestBenjaminiHochbergAndInconclusiveGate(t *testing.T) {
	var o, n []Samples
	for i, f := range []float64{1.3, 1.3, 1, 1} {
		m := Metric{Name: string(rune('a' + i)), Unit: "ns", Direction: LowerIsBetter}
		o = append(o, Samples{m, wobble(100, 10)})
		n = append(n, Samples{m, scale(wobble(100, 10), f)})
	}
	r, err := Compare(Config{Correction: BenjaminiHochberg}, o, n)
	if err != nil {
		t.Fatal(err)
	}
	if r.Count(Regression) != 2 || r.Count(NoChange) != 2 {
		t.Errorf("BH: %d regressions, %d no change", r.Count(Regression), r.Count(NoChange))
	}
	rec := &recTB{TB: t}
	path := t.TempDir() + "/b.json"
	Gatekeeper{Path: path, Suite: "b", Update: true}.Check(rec, []Samples{{latency, []float64{1, 2, 3}}})
	Gatekeeper{Path: path, Suite: "b", FailOnInconclusive: true}.Check(rec, []Samples{{latency, []float64{1, 2, 3}}})
	if len(rec.errs) != 1 || !strings.Contains(rec.errs[0], "inconclusive") {
		t.Errorf("FailOnInconclusive: %v", rec.errs)
	}
}
