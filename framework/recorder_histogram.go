package framework

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram geometry shared by every histogram the engine makes, so that any
// two of them (two workers, two intervals, two shards on two machines) merge
// exactly: values are microseconds from 1 µs to 1 h with 3 significant
// digits (188 KB of counts each).
const (
	HistogramLowest  = 1               // µs
	HistogramHighest = 3600 * 1000_000 // 1 h in µs
	HistogramSigFigs = 3
)

// Histogram is an HdrHistogram of latencies in microseconds. It marshals to
// JSON as the V2 compressed encoding (base64), which every HdrHistogram
// implementation reads, so summaries stay small and mergeable.
type Histogram struct {
	*hdrhistogram.Histogram
}

// NewHistogram returns an empty histogram with the engine's geometry.
func NewHistogram() *Histogram {
	return &Histogram{hdrhistogram.New(HistogramLowest, HistogramHighest, HistogramSigFigs)}
}

// recordDuration records d in microseconds (rounded down, with anything
// under 1 µs as 0) and clamps values over 1 h to 1 h; it reports whether it
// had to clamp, so the recorder can count that instead of losing the value.
func (h *Histogram) recordDuration(d time.Duration) (clamped bool) {
	us := int64(d / time.Microsecond)
	if us < 0 {
		us = 0
	}
	if us > HistogramHighest {
		us, clamped = HistogramHighest, true
	}
	_ = h.RecordValue(us) // cannot fail: us is within [0, highest]
	return clamped
}

// MarshalJSON implements json.Marshaler.
func (h *Histogram) MarshalJSON() ([]byte, error) {
	if h == nil || h.Histogram == nil {
		return []byte("null"), nil
	}
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, fmt.Errorf("encode histogram: %w", err)
	}
	return json.Marshal(string(b))
}

// UnmarshalJSON implements json.Unmarshaler.
func (h *Histogram) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("histogram: want a base64 V2 encoding string: %w", err)
	}
	d, err := hdrhistogram.Decode([]byte(s))
	if err != nil {
		return fmt.Errorf("decode histogram: %w", err)
	}
	if d.LowestTrackableValue() != HistogramLowest || d.HighestTrackableValue() < HistogramHighest {
		return errors.New("decode histogram: geometry differs from the engine's (1 µs to 1 h)")
	}
	h.Histogram = d
	return nil
}

// LatencyStats are the usual figures of one latency histogram, in
// microseconds-precise durations.
type LatencyStats struct {
	Count  int64         `json:"count"`
	Min    time.Duration `json:"min"`
	Mean   time.Duration `json:"mean"`
	StdDev time.Duration `json:"stddev"`
	P50    time.Duration `json:"p50"`
	P90    time.Duration `json:"p90"`
	P95    time.Duration `json:"p95"`
	P99    time.Duration `json:"p99"`
	P999   time.Duration `json:"p99_9"`
	Max    time.Duration `json:"max"`
}

func us(v int64) time.Duration { return time.Duration(v) * time.Microsecond }

// Stats computes the figures; an empty histogram gives all zeros.
func (h *Histogram) Stats() LatencyStats {
	if h == nil || h.Histogram == nil || h.TotalCount() == 0 {
		return LatencyStats{}
	}
	ps := h.ValueAtPercentilesSlice([]float64{50, 90, 95, 99, 99.9})
	return LatencyStats{
		Count:  h.TotalCount(),
		Min:    us(h.Min()),
		Mean:   time.Duration(h.Mean() * float64(time.Microsecond)),
		StdDev: time.Duration(h.StdDev() * float64(time.Microsecond)),
		P50:    us(ps[0]),
		P90:    us(ps[1]),
		P95:    us(ps[2]),
		P99:    us(ps[3]),
		P999:   us(ps[4]),
		Max:    us(h.Max()),
	}
}

// Percentile returns the latency at percentile p in [0, 100].
func (h *Histogram) Percentile(p float64) time.Duration {
	if h == nil || h.Histogram == nil || h.TotalCount() == 0 || math.IsNaN(p) {
		return 0
	}
	return us(h.ValueAtPercentile(p))
}

// LatencySet is the three histograms recorded for every answered request:
// latency from the intended send time (corrected for coordinated omission),
// latency from the actual send (uncorrected, the service time), and the
// schedule lag between the two.
type LatencySet struct {
	Corrected   *Histogram `json:"corrected"`
	Uncorrected *Histogram `json:"uncorrected"`
	Lag         *Histogram `json:"lag"`
}

func newLatencySet() LatencySet {
	return LatencySet{Corrected: NewHistogram(), Uncorrected: NewHistogram(), Lag: NewHistogram()}
}

func (s LatencySet) merge(from LatencySet) {
	s.Corrected.Merge(from.Corrected.Histogram)
	s.Uncorrected.Merge(from.Uncorrected.Histogram)
	s.Lag.Merge(from.Lag.Histogram)
}

func (s LatencySet) reset() {
	s.Corrected.Reset()
	s.Uncorrected.Reset()
	s.Lag.Reset()
}

func (s LatencySet) clone() LatencySet {
	return LatencySet{
		Corrected:   &Histogram{s.Corrected.Clone()},
		Uncorrected: &Histogram{s.Uncorrected.Clone()},
		Lag:         &Histogram{s.Lag.Clone()},
	}
}

// LatencySummary is LatencyStats for each histogram of a LatencySet.
type LatencySummary struct {
	Corrected   LatencyStats `json:"corrected"`
	Uncorrected LatencyStats `json:"uncorrected"`
	Lag         LatencyStats `json:"lag"`
}

func (s LatencySet) stats() LatencySummary {
	return LatencySummary{Corrected: s.Corrected.Stats(), Uncorrected: s.Uncorrected.Stats(), Lag: s.Lag.Stats()}
}

// EncodedHistogram is a histogram in the HdrHistogram V2 compressed
// encoding, base64 (what hdrhistogram.Decode and every HdrHistogram
// implementation read): a few hundred bytes to a few KB, where a live
// Histogram holds 188 KB of counts. Interval series keep their histograms
// this way so an hour of them fits in memory.
type EncodedHistogram string

// Decode returns the histogram; the empty encoding is an empty histogram.
func (e EncodedHistogram) Decode() (*Histogram, error) {
	if e == "" {
		return NewHistogram(), nil
	}
	h := &Histogram{}
	if err := h.UnmarshalJSON([]byte(strconv.Quote(string(e)))); err != nil {
		return nil, err
	}
	return h, nil
}

func encodeHistogram(h *Histogram) EncodedHistogram {
	if h == nil || h.Histogram == nil || h.TotalCount() == 0 {
		return ""
	}
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return "" // cannot happen: encoding an in-range histogram
	}
	return EncodedHistogram(b)
}

// EncodedSet is a LatencySet, encoded.
type EncodedSet struct {
	Corrected   EncodedHistogram `json:"corrected,omitempty"`
	Uncorrected EncodedHistogram `json:"uncorrected,omitempty"`
	Lag         EncodedHistogram `json:"lag,omitempty"`
}

func (s LatencySet) encode() EncodedSet {
	return EncodedSet{Corrected: encodeHistogram(s.Corrected), Uncorrected: encodeHistogram(s.Uncorrected), Lag: encodeHistogram(s.Lag)}
}

// Decode returns the three histograms.
func (e EncodedSet) Decode() (LatencySet, error) {
	c, err1 := e.Corrected.Decode()
	u, err2 := e.Uncorrected.Decode()
	l, err3 := e.Lag.Decode()
	if err := errors.Join(err1, err2, err3); err != nil {
		return LatencySet{}, err
	}
	return LatencySet{Corrected: c, Uncorrected: u, Lag: l}, nil
}
