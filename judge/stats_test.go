package judge_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/judge"
)

func TestSessionUniformity(t *testing.T) {
	even := make([]uint64, 150)
	for i := range even {
		even[i] = 200 + uint64(i%3) // round robin with a remainder
	}
	starved := append([]uint64(nil), even...)
	starved[7] = 20 // one session barely used
	hog := append([]uint64(nil), even...)
	hog[0] = 600
	tests := []struct {
		name   string
		counts []uint64
		reject bool
	}{
		{"round-robin counts are consistent with equal shares", even, false},
		{"a starved session is rejected", starved, true},
		{"a hogging session is rejected", hog, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := judge.SessionUniformity(tt.counts)
			if err != nil {
				t.Fatal(err)
			}
			if got := u.Rejects(0.001); got != tt.reject {
				t.Errorf("%s: rejected=%v, want %v", u, got, tt.reject)
			}
		})
	}
	if _, err := judge.SessionUniformity([]uint64{1, 2, 3}); err == nil {
		t.Error("accepted 2 requests per session")
	}
	if _, err := judge.SessionUniformity([]uint64{100}); err == nil {
		t.Error("accepted a single session")
	}
}

func rssSeries(start time.Time, mbs []float64) []framework.IntervalSnapshot {
	out := make([]framework.IntervalSnapshot, len(mbs))
	for i, v := range mbs {
		s := start.Add(time.Duration(i) * time.Second)
		out[i] = framework.IntervalSnapshot{Start: s, End: s.Add(time.Second),
			Resources: &framework.ResourceSample{Server: &framework.ProcessSample{RSSBytes: uint64(v * (1 << 20))}}}
	}
	return out
}

func TestServerMemoryTrend(t *testing.T) {
	t0 := time.Unix(1000, 0)
	growing := make([]float64, 20)
	sawtooth := make([]float64, 20)
	for i := range growing {
		growing[i] = 50 + float64(i) // 1 MB/s
		sawtooth[i] = 50 + float64(i%2)*4
	}
	tests := []struct {
		name      string
		mbs       []float64
		growthLow float64
		growthHi  float64
	}{
		{"steady growth of 1 MB/s is 300 MB per 5 minutes", growing, 299.9, 300.1},
		{"a flat sawtooth has almost no slope", sawtooth, -10, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := judge.ServerMemoryTrend(rssSeries(t0, tt.mbs), time.Time{}, time.Time{}, 5*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if m.GrowthMB < tt.growthLow || m.GrowthMB > tt.growthHi || m.Samples != 20 {
				t.Errorf("%s: growth %v, want in [%v, %v]", m, m.GrowthMB, tt.growthLow, tt.growthHi)
			}
		})
	}
	// The window bounds select samples by their end time.
	m, err := judge.ServerMemoryTrend(rssSeries(t0, growing), t0.Add(10*time.Second), time.Time{}, time.Minute)
	if err != nil || m.Samples != 11 || math.Abs(m.GrowthMB-60) > 1e-6 {
		t.Errorf("windowed: %+v, %v; want 11 samples and 60 MB per minute", m, err)
	}
	if _, err := judge.ServerMemoryTrend(rssSeries(t0, growing[:3]), time.Time{}, time.Time{}, time.Minute); err == nil {
		t.Error("fitted a trend on 3 samples")
	}
	noServer := []framework.IntervalSnapshot{{End: t0, Resources: &framework.ResourceSample{}}}
	if _, err := judge.ServerMemoryTrend(noServer, time.Time{}, time.Time{}, time.Minute); !errors.Is(err, judge.ErrServerNotSampled) {
		t.Errorf("no server samples: %v, want ErrServerNotSampled", err)
	}
}
