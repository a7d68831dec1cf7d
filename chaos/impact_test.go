package chaos

import (
	"strings"
	"testing"
	"time"
)

// points100 builds 100 ms points from per-point answered and failed counts.
func points100(t0 time.Time, answered, failed []uint64) []RatePoint {
	pts := make([]RatePoint, len(answered))
	for i := range answered {
		s := t0.Add(time.Duration(i) * 100 * time.Millisecond)
		pts[i] = RatePoint{Start: s, End: s.Add(100 * time.Millisecond), Answered: answered[i], Failed: failed[i]}
	}
	return pts
}

// run fills n points with a and f.
func run(n int, a, f uint64) (as, fs []uint64) {
	for range n {
		as, fs = append(as, a), append(fs, f)
	}
	return as, fs
}

func concat(parts ...[2][]uint64) (as, fs []uint64) {
	for _, p := range parts {
		as, fs = append(as, p[0]...), append(fs, p[1]...)
	}
	return as, fs
}

func seg(n int, a, f uint64) [2][]uint64 { as, fs := run(n, a, f); return [2][]uint64{as, fs} }

func TestMeasureImpact(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := t0.Add(2 * time.Second) // after 20 points of 100/s-per-point = 1000/s
	tests := []struct {
		name                string
		parts               [][2][]uint64
		end                 time.Duration // fault's end after at; 0 instantaneous
		detected, recovered bool
		detect, recover     time.Duration
		errDuring           float64
	}{
		{
			name:  "an outage of 300 ms is detected in the first point and recovered when traffic is back",
			parts: [][2][]uint64{seg(20, 100, 0), seg(3, 0, 50), seg(15, 100, 0)},
			end:   300 * time.Millisecond, detected: true, recovered: true,
			detect: 100 * time.Millisecond, recover: 300 * time.Millisecond, errDuring: 1,
		},
		{
			name:  "throughput back but errors high is not recovered",
			parts: [][2][]uint64{seg(20, 100, 0), seg(3, 0, 50), seg(15, 100, 20)},
			end:   300 * time.Millisecond, detected: true, recovered: false,
			detect: 100 * time.Millisecond, errDuring: 1,
		},
		{
			name:     "throughput at 80% is detected by errors but never recovers",
			parts:    [][2][]uint64{seg(20, 100, 0), seg(18, 80, 20)},
			detected: true, recovered: false, detect: 100 * time.Millisecond, errDuring: 0.2,
		},
		{
			name:     "a fault without effect is neither detected nor needs recovering",
			parts:    [][2][]uint64{seg(20, 100, 0), seg(15, 100, 0)},
			detected: false, recovered: true, recover: 0,
		},
		{
			name:  "a slow ramp back recovers once a whole window reaches 90%",
			parts: [][2][]uint64{seg(20, 100, 0), seg(2, 0, 0), seg(5, 60, 0), seg(12, 95, 0)},
			// Windows of 10 points after the detecting point 20: [22..31] = 5×60 + 5×95
			// = 775 < 900, … [25..34] = 2×60 + 8×95 = 880; [26..35] = 60 + 9×95 = 915
			// ≥ 900 → starts 600 ms after the fault.
			detected: true, recovered: true, detect: 100 * time.Millisecond, recover: 600 * time.Millisecond,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as, fs := concat(tt.parts...)
			ev := FaultEvent{Kind: "crash", At: at}
			if tt.end > 0 {
				ev.End = at.Add(tt.end)
			}
			m, err := MeasureImpact(points100(t0, as, fs), ev, ImpactOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if m.PreRate != 1000 || m.Resolution != 100*time.Millisecond {
				t.Fatalf("pre-rate %v, resolution %v", m.PreRate, m.Resolution)
			}
			if m.Detected != tt.detected || m.TimeToDetect != tt.detect || m.Recovered != tt.recovered || m.TimeToRecover != tt.recover {
				t.Fatalf("got %v", m)
			}
			if tt.errDuring != 0 && (m.ErrorRateDuring < tt.errDuring-0.01 || m.ErrorRateDuring > tt.errDuring+0.01) {
				t.Fatalf("error rate during %v, want %v (%v)", m.ErrorRateDuring, tt.errDuring, m)
			}
		})
	}
}

func TestMeasureImpactFromRequestTimes(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var samples []Sample
	// 1000 requests/s for 3 s; from 1.0 to 1.5 s every request fails and
	// 40 of them are lost for good.
	for i := range 3000 {
		at := t0.Add(time.Duration(i) * time.Millisecond)
		s := Sample{At: at}
		if i >= 1000 && i < 1500 {
			s.Failed = true
			s.Lost = i < 1040
		}
		samples = append(samples, s)
	}
	pts := Bin(samples, t0, t0.Add(3*time.Second), 0)
	if len(pts) != 30 || pts[10].Failed != 100 || pts[10].Lost != 40 || pts[0].Answered != 100 {
		t.Fatalf("binned %d points: %+v", len(pts), pts[10])
	}
	ev := FaultEvent{Kind: "partition", At: t0.Add(time.Second), End: t0.Add(1500 * time.Millisecond)}
	m, err := MeasureImpact(pts, ev, ImpactOptions{Window: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Detected || m.TimeToDetect != 100*time.Millisecond || !m.Recovered || m.TimeToRecover != 500*time.Millisecond ||
		m.SinceHeal != 0 || m.Lost != 40 || m.ErrorRateDuring != 1 || m.During != 500*time.Millisecond {
		t.Fatalf("got %v", m)
	}
	if !strings.Contains(m.String(), "recovered after 500ms") {
		t.Fatalf("String() = %s", m)
	}
}

func TestMeasureImpactRejectsBadInput(t *testing.T) {
	t0 := time.Unix(1000, 0)
	as, fs := run(30, 100, 0)
	pts := points100(t0, as, fs)
	if _, err := MeasureImpact(pts, FaultEvent{At: t0}, ImpactOptions{}); err == nil {
		t.Error("accepted a fault with no reference before it")
	}
	if _, err := MeasureImpact(pts, FaultEvent{At: t0.Add(time.Hour)}, ImpactOptions{}); err == nil {
		t.Error("accepted a fault after the series")
	}
	if _, err := MeasureImpact(pts, FaultEvent{At: t0.Add(time.Second)}, ImpactOptions{Window: 150 * time.Millisecond}); err == nil {
		t.Error("accepted points too coarse for the window")
	}
	if _, err := MeasureImpact(pts, FaultEvent{At: t0.Add(time.Second), End: t0}, ImpactOptions{}); err == nil {
		t.Error("accepted a fault that ends before it starts")
	}
	if _, err := MeasureImpact(pts, FaultEvent{At: t0.Add(time.Second)}, ImpactOptions{Fraction: 2, NormalErrorRate: -1}); err == nil {
		t.Error("accepted bad fractions")
	}
}
