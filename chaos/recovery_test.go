package chaos

import (
	"testing"
	"time"
)

// series builds 250 ms points from per-interval answered counts.
func series(t0 time.Time, answered []uint64, failed []uint64) []RatePoint {
	pts := make([]RatePoint, len(answered))
	for i, a := range answered {
		s := t0.Add(time.Duration(i) * 250 * time.Millisecond)
		pts[i] = RatePoint{Start: s, End: s.Add(250 * time.Millisecond), Answered: a}
		if failed != nil {
			pts[i].Failed = failed[i]
		}
	}
	return pts
}

func TestMeasureRecovery(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := t0.Add(time.Second) // after 4 intervals
	tests := []struct {
		name      string
		answered  []uint64
		failed    []uint64
		recovered bool
		time      time.Duration
		failedN   uint64
		minRate   float64
	}{
		{
			name:     "a one-interval collapse recovers after one full window",
			answered: []uint64{250, 250, 250, 250, 0, 250, 250, 250, 250, 250},
			failed:   []uint64{0, 0, 0, 0, 40, 0, 0, 0, 0, 0},
			// Windows after the fault: [4..7] = 750/1s = 750 < 900; [5..8] = 1000 ≥ 900 → ends at 2.25 s, i.e. 1.25 s after.
			recovered: true, time: 1250 * time.Millisecond, failedN: 40, minRate: 750,
		},
		{
			name:      "a rate that stays at 80% never recovers",
			answered:  []uint64{250, 250, 250, 250, 200, 200, 200, 200, 200, 200},
			failed:    []uint64{0, 0, 0, 0, 5, 5, 5, 5, 5, 5},
			recovered: false, failedN: 30, minRate: 800,
		},
		{
			name:      "no loss at all recovers at the first full window",
			answered:  []uint64{250, 250, 250, 250, 250, 250, 250, 250},
			recovered: true, time: time.Second, minRate: 1000,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := MeasureRecovery(series(t0, tt.answered, tt.failed), at, RecoveryOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if r.PreRate != 1000 || r.Threshold != 900 {
				t.Errorf("pre-rate %v threshold %v, want 1000 and 900", r.PreRate, r.Threshold)
			}
			if r.Recovered != tt.recovered || r.Time != tt.time || r.FailedDuring != tt.failedN || r.MinRate != tt.minRate {
				t.Errorf("got %+v\nwant recovered=%v time=%v failed=%d min=%v", r, tt.recovered, tt.time, tt.failedN, tt.minRate)
			}
		})
	}
}

func TestMeasureRecoveryIgnoresTheIntervalTheFaultFellInto(t *testing.T) {
	t0 := time.Unix(1000, 0)
	// The fault at 1.1 s falls inside interval 4, which is full of pre-fault
	// traffic; it must not make the first window look recovered.
	at := t0.Add(1100 * time.Millisecond)
	pts := series(t0, []uint64{250, 250, 250, 250, 250, 0, 0, 0, 250, 250, 250, 250}, nil)
	r, err := MeasureRecovery(pts, at, RecoveryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Whole windows after the fault start at interval 5; the first at full
	// rate is [8..11], ending at 3 s: 1.9 s after the fault.
	// The lowest full window is [5..8]: 250 answered in 1 s.
	if !r.Recovered || r.Time != 1900*time.Millisecond || r.MinRate != 250 || r.FirstBack != 1150*time.Millisecond {
		t.Fatalf("got %+v, want recovered after 1.9s with a minimum of 250/s", r)
	}
}

func TestMeasureRecoveryRejectsBadInput(t *testing.T) {
	t0 := time.Unix(1000, 0)
	pts := series(t0, []uint64{250, 250, 250, 250}, nil)
	if _, err := MeasureRecovery(pts, t0, RecoveryOptions{}); err == nil {
		t.Error("accepted a fault before any reference interval")
	}
	if _, err := MeasureRecovery(pts, t0.Add(time.Hour), RecoveryOptions{}); err == nil {
		t.Error("accepted a fault after the series")
	}
	if _, err := MeasureRecovery(pts, t0.Add(time.Second/2), RecoveryOptions{Fraction: 1.5, Window: -1}); err == nil {
		t.Error("accepted a fraction above 1 and a negative window")
	}
	rev := []RatePoint{pts[1], pts[0]}
	if _, err := MeasureRecovery(rev, t0.Add(time.Second/4), RecoveryOptions{}); err == nil {
		t.Error("accepted points out of order")
	}
}
