package regression

import (
	"errors"
	"fmt"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// HistogramQuantile returns the value at quantile q in [0, 1] of h.
// hdrhistogram-go's ValueAtQuantile takes a percentage (99, not 0.99); this
// wrapper makes that mistake impossible and rejects q outside [0, 1].
func HistogramQuantile(h *hdrhistogram.Histogram, q float64) (int64, error) {
	if h == nil {
		return 0, errors.New("regression: nil histogram")
	}
	if !(q >= 0 && q <= 1) {
		return 0, fmt.Errorf("regression: quantile %v outside [0, 1] (pass 0.99, not 99)", q)
	}
	if h.TotalCount() == 0 {
		return 0, errors.New("regression: empty histogram")
	}
	return h.ValueAtQuantile(q * 100), nil
}

// EncodeHistogram returns the V2 compressed, base64 form of h, readable by
// every HdrHistogram implementation. Store this, never Export() snapshots
// (raw counts, tens of thousands of numbers).
func EncodeHistogram(h *hdrhistogram.Histogram) (string, error) {
	if h == nil {
		return "", errors.New("regression: nil histogram")
	}
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	return string(b), err
}

// DecodeHistogram reads a histogram written by EncodeHistogram.
func DecodeHistogram(s string) (*hdrhistogram.Histogram, error) {
	h, err := hdrhistogram.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("regression: decoding histogram: %w", err)
	}
	return h, nil
}

// HistogramRun summarizes one run's latency histogram as per-run metric
// values named prefix+"_p50", "_p95", "_p99", "_p999" and "_max" (in the
// histogram's unit). The sample for a regression test is this per-run
// percentile: never compare the requests of two runs as if they were
// independent samples.
func HistogramRun(prefix string, h *hdrhistogram.Histogram) (Run, error) {
	r := Run{}
	for _, p := range []struct {
		name string
		q    float64
	}{{"_p50", 0.50}, {"_p95", 0.95}, {"_p99", 0.99}, {"_p999", 0.999}} {
		v, err := HistogramQuantile(h, p.q)
		if err != nil {
			return nil, err
		}
		r[prefix+p.name] = float64(v)
	}
	r[prefix+"_max"] = float64(h.Max())
	return r, nil
}
