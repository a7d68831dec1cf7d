package framework

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestConstantRateAt(t *testing.T) {
	tests := []struct {
		name   string
		pacer  ConstantRate
		n      uint64
		want   time.Duration
		wantOK bool
	}{
		{"first hit is at zero", PerSecond(100), 0, 0, true},
		{"hit n is n intervals in", PerSecond(100), 7, 70 * time.Millisecond, true},
		{"fractional intervals round up to the nanosecond", PerSecond(3), 1, 333333334, true},
		{"three per second lands exactly on the second", PerSecond(3), 3, time.Second, true},
		{"a 24 h run at 500K/s does not drift", PerSecond(500000), 500000 * 86400, 86400 * time.Second, true},
		{"per minute", ConstantRate{Freq: 60, Per: time.Minute}, 59, 59 * time.Second, true},
		{"last hit inside the duration", ConstantRate{Freq: 10, Per: time.Second, Duration: time.Second}, 9, 900 * time.Millisecond, true},
		{"a hit at the duration is not in the plan", ConstantRate{Freq: 10, Per: time.Second, Duration: time.Second}, 10, 0, false},
		{"zero frequency plans nothing", ConstantRate{Per: time.Second}, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.pacer.At(tt.n)
			if got != tt.want || ok != tt.wantOK {
				t.Fatalf("At(%d) = %v, %v; want %v, %v", tt.n, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestPace(t *testing.T) {
	tests := []struct {
		name     string
		pacer    Pacer
		elapsed  time.Duration
		hits     uint64
		wantWait time.Duration
		wantStop bool
	}{
		{"on schedule waits for the next slot", PerSecond(10), 0, 1, 100 * time.Millisecond, false},
		{"part way to the next slot waits the rest", PerSecond(10), 30 * time.Millisecond, 1, 70 * time.Millisecond, false},
		{"behind schedule sends at once", PerSecond(10), time.Second, 3, 0, false},
		{"past the end of a bounded plan stops", ConstantRate{Freq: 10, Per: time.Second, Duration: time.Second}, time.Second, 10, 0, true},
		{"ramp from zero waits for the integral to reach one", LinearRamp{Start: 0, End: 20, Duration: 10 * time.Second}, 0, 1, time.Second, false},
		{"ramp stops after its duration", LinearRamp{Start: 10, End: 10, Duration: time.Second}, 0, 10, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wait, stop := tt.pacer.Pace(tt.elapsed, tt.hits)
			if wait != tt.wantWait || stop != tt.wantStop {
				t.Fatalf("Pace(%v, %d) = %v, %v; want %v, %v", tt.elapsed, tt.hits, wait, stop, tt.wantWait, tt.wantStop)
			}
		})
	}
}

// countHits counts the hits a pacer plans before end by walking At, which is
// what the executor does.
func countHits(p Pacer, end time.Duration) uint64 {
	var n uint64
	for {
		at, ok := p.At(n)
		if !ok || at >= end {
			return n
		}
		n++
	}
}

func TestClosedFormHitCounts(t *testing.T) {
	tests := []struct {
		name  string
		pacer Pacer
		end   time.Duration
		want  float64 // the integral of the rate, computed by hand
	}{
		{"constant 5000/s for 10 s", PerSecond(5000), 10 * time.Second, 50000},
		{"constant 7 per 3 s for 30 s", ConstantRate{Freq: 7, Per: 3 * time.Second}, 30 * time.Second, 70},
		{"ramp 0 to 100/s over 10 s", LinearRamp{Start: 0, End: 100, Duration: 10 * time.Second}, 10 * time.Second, 500},
		{"ramp 100 to 300/s over 4 s", LinearRamp{Start: 100, End: 300, Duration: 4 * time.Second}, 4 * time.Second, 800},
		{"ramp down 300 to 100/s over 4 s", LinearRamp{Start: 300, End: 100, Duration: 4 * time.Second}, 4 * time.Second, 800},
		{"ramp halfway", LinearRamp{Start: 0, End: 100, Duration: 10 * time.Second}, 5 * time.Second, 125},
		{"stages up, hold, down", Stages{StartRate: 0, Stages: []Stage{
			{Duration: 2 * time.Second, Target: 100},
			{Duration: 3 * time.Second, Target: 100},
			{Duration: 2 * time.Second, Target: 0},
		}}, 7 * time.Second, 100 + 300 + 100},
		{"stages with a jump and a pause", Stages{StartRate: 50, Stages: []Stage{
			{Duration: 2 * time.Second, Target: 50},
			{Duration: 0, Target: 200},
			{Duration: time.Second, Target: 200},
			{Duration: 0, Target: 0},
			{Duration: time.Second, Target: 0},
			{Duration: time.Second, Target: 20},
		}}, 5 * time.Second, 100 + 200 + 0 + 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.pacer.Hits(tt.end); math.Abs(got-tt.want) > 1e-6 {
				t.Errorf("Hits(%v) = %v, want %v", tt.end, got, tt.want)
			}
			// Walking the inverse yields the integral rounded up (hit 0 is at 0).
			got := countHits(tt.pacer, tt.end)
			if want := uint64(math.Ceil(tt.want - 1e-9)); got != want {
				t.Errorf("hits before %v = %d, want %d", tt.end, got, want)
			}
		})
	}
}

func TestAtIsMonotonicAndInvertsHits(t *testing.T) {
	pacers := map[string]Pacer{
		"constant": ConstantRate{Freq: 997, Per: time.Second, Duration: 3 * time.Second},
		"ramp":     LinearRamp{Start: 10, End: 1000, Duration: 5 * time.Second},
		"stages": Stages{StartRate: 0, Stages: []Stage{
			{Duration: time.Second, Target: 500}, {Duration: time.Second, Target: 500}, {Duration: time.Second, Target: 50},
		}},
	}
	for name, p := range pacers {
		t.Run(name, func(t *testing.T) {
			prev := time.Duration(-1)
			for n := uint64(0); ; n++ {
				at, ok := p.At(n)
				if !ok {
					break
				}
				if at < prev {
					t.Fatalf("At(%d) = %v before At(%d) = %v", n, at, n-1, prev)
				}
				prev = at
				// The integral at the intended time reaches n, and 1 ns
				// earlier it had not (within float rounding).
				if h := p.Hits(at); h < float64(n)-1e-6 {
					t.Fatalf("Hits(At(%d)=%v) = %v < %d", n, at, h, n)
				}
				if at > 0 {
					if h := p.Hits(at - time.Microsecond); h > float64(n)+1e-6 {
						t.Fatalf("Hits(At(%d)-1µs) = %v > %d", n, h, n)
					}
				}
			}
		})
	}
}

func TestRate(t *testing.T) {
	st := Stages{StartRate: 10, Stages: []Stage{{Duration: 10 * time.Second, Target: 110}, {Duration: 0, Target: 5}, {Duration: time.Second, Target: 5}}}
	tests := []struct {
		name    string
		pacer   Pacer
		elapsed time.Duration
		want    float64
	}{
		{"constant", ConstantRate{Freq: 30, Per: time.Minute}, time.Hour, 0.5},
		{"constant after its duration", ConstantRate{Freq: 1, Per: time.Second, Duration: time.Second}, time.Second, 0},
		{"ramp start", LinearRamp{Start: 100, End: 200, Duration: time.Second}, 0, 100},
		{"ramp middle", LinearRamp{Start: 100, End: 200, Duration: time.Second}, 500 * time.Millisecond, 150},
		{"stage middle", st, 5 * time.Second, 60},
		{"after a jump", st, 10*time.Second + time.Millisecond, 5},
		{"after the last stage", st, 12 * time.Second, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.pacer.Rate(tt.elapsed); math.Abs(got-tt.want) > 1e-9 {
				t.Fatalf("Rate(%v) = %v, want %v", tt.elapsed, got, tt.want)
			}
		})
	}
}

func TestPacerValidateListsEveryProblem(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"constant", ConstantRate{Freq: -1, Per: 0, Duration: -1}.Validate(), []string{"freq", "per", "duration"}},
		{"ramp", LinearRamp{Start: -1, End: math.NaN()}.Validate(), []string{"start", "end", "duration"}},
		{"stages", Stages{StartRate: -1, Stages: []Stage{{Duration: -1, Target: -2}}}.Validate(), []string{"start rate", "stage 0: duration", "stage 0: target", "total duration"}},
		{"no stages", Stages{}.Validate(), []string{"at least one stage"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatal("Validate() = nil, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(tt.err.Error(), w) {
					t.Errorf("error %q does not mention %q", tt.err, w)
				}
			}
		})
	}
	if err := PerSecond(1).Validate(); err != nil {
		t.Errorf("valid constant rate: %v", err)
	}
}

// The reviewer's case: Freq·Per beyond 64 bits must not wrap. Hit 9999999
// of 1e7 per hour is just before the hour, after hit 5e6 at half an hour.
func TestConstantRateAtDoesNotOverflowForLargeFreqTimesPer(t *testing.T) {
	c := ConstantRate{Freq: 1e7, Per: time.Hour}
	tests := []struct {
		n    uint64
		want time.Duration
	}{
		{5e6, 30 * time.Minute},
		{9999999, time.Hour - 360*time.Microsecond},
		{1e7, time.Hour},
		{1e9, 100 * time.Hour},
	}
	for _, tt := range tests {
		got, ok := c.At(tt.n)
		if !ok || got != tt.want {
			t.Errorf("At(%d) = %v, %v; want %v", tt.n, got, ok, tt.want)
		}
	}
	if a, _ := c.At(9999999); a <= mustAt(t, c, 5e6) {
		t.Errorf("At(9999999) = %v not after At(5e6)", a)
	}
	// A time beyond what a Duration holds is reported as out of the plan.
	if at, ok := (ConstantRate{Freq: 1, Per: time.Duration(math.MaxInt64)}).At(2); ok {
		t.Errorf("At beyond MaxInt64 = %v, ok", at)
	}
}

func mustAt(t *testing.T, p Pacer, n uint64) time.Duration {
	t.Helper()
	at, ok := p.At(n)
	if !ok {
		t.Fatalf("At(%d) not in the plan", n)
	}
	return at
}

// Property: for any frequency and period, At is non-decreasing in n and
// equals ceil(n·Per/Freq) computed exactly (math/big as the oracle).
func TestConstantRateAtIsMonotonicForAnyFreqAndPer(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2)) // fixed seed: deterministic
	for i := 0; i < 2000; i++ {
		c := ConstantRate{Freq: 1 + rng.IntN(1<<30), Per: time.Duration(1 + rng.Int64N(int64(1000*time.Hour)))}
		n := rng.Uint64N(1 << 40)
		a, okA := c.At(n)
		b, okB := c.At(n + 1 + rng.Uint64N(1<<20))
		if okA && okB && b < a {
			t.Fatalf("%+v: At(%d) = %v > a later hit's %v", c, n, a, b)
		}
		exact := new(big.Int).Mul(new(big.Int).SetUint64(n), big.NewInt(int64(c.Per)))
		exact.Add(exact, big.NewInt(int64(c.Freq-1)))
		exact.Quo(exact, big.NewInt(int64(c.Freq)))
		fits := exact.IsInt64()
		if okA != fits || (fits && int64(a) != exact.Int64()) {
			t.Fatalf("%+v: At(%d) = %v, %v; want %v (fits %v)", c, n, a, okA, exact, fits)
		}
	}
}
