package regression

import (
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"
)

func TestHistogramHelpers(t *testing.T) {
	h := hdrhistogram.New(1, 3_600_000_000, 3)
	for v := int64(1); v <= 1000; v++ {
		if err := h.RecordValue(v); err != nil {
			t.Fatal(err)
		}
	}
	p99, err := HistogramQuantile(h, 0.99)
	if err != nil || p99 != 990 {
		t.Errorf("p99 = %d, %v; want 990 (ValueAtQuantile(0.99) would give 10)", p99, err)
	}
	if _, err := HistogramQuantile(h, 99); err == nil {
		t.Error("a percentage must be rejected")
	}
	s, err := EncodeHistogram(h)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeHistogram(s)
	if err != nil || back.TotalCount() != 1000 || back.ValueAtQuantile(50) != h.ValueAtQuantile(50) {
		t.Fatalf("round trip: %v", err)
	}
	r, err := HistogramRun("lat", back)
	if err != nil || r["lat_p99"] != 990 || r["lat_max"] != 1000 {
		t.Errorf("HistogramRun = %v, %v", r, err)
	}
	if _, err := DecodeHistogram("not a histogram"); err == nil {
		t.Error("garbage decoded")
	}
	b := Baseline{Suite: "s", Histograms: []string{s, "bad"}}
	if err := b.Validate(); err == nil {
		t.Error("baseline with a bad histogram validated")
	}
}
