package framework

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"time"
)

// Pacer is an arrival-rate plan as a pure function of time: no clock inside,
// so every pacer is checked with plain numbers.
//
// Hits are numbered from 0. At(n) is the intended send time of hit n, measured
// from the start of the run; it is the inverse of the plan's closed-form hit
// count (the integral of its rate). The open-model executor sends hit n at
// At(n) and measures its latency from that instant, which is what makes the
// latency honest under coordinated omission.
type Pacer interface {
	// Pace returns how long to wait, from elapsed, before sending hit number
	// hits; stop reports that the plan has no more hits.
	Pace(elapsed time.Duration, hits uint64) (wait time.Duration, stop bool)
	// Rate is the instantaneous planned rate, in hits per second.
	Rate(elapsed time.Duration) float64
	// At is the intended send time of hit n; ok is false when the plan ends
	// before hit n.
	At(n uint64) (at time.Duration, ok bool)
	// Hits is the planned number of hits in [0, elapsed]: the integral of the
	// rate, not rounded.
	Hits(elapsed time.Duration) float64
}

var (
	_ Pacer = ConstantRate{}
	_ Pacer = LinearRamp{}
	_ Pacer = Stages{}
)

// pace implements Pacer.Pace for every pacer from its At.
func pace(p Pacer, elapsed time.Duration, hits uint64) (time.Duration, bool) {
	at, ok := p.At(hits)
	if !ok {
		return 0, true
	}
	if at <= elapsed {
		return 0, false
	}
	return at - elapsed, false
}

// secondsToDuration converts seconds to a Duration, saturating instead of
// overflowing, and rounding up so that At(n) is never before the instant the
// integral reaches n.
func secondsToDuration(s float64) (time.Duration, bool) {
	if math.IsNaN(s) || s < 0 {
		return 0, false
	}
	ns := math.Ceil(s * 1e9)
	if ns >= math.MaxInt64 {
		return 0, false
	}
	return time.Duration(ns), true
}

// ConstantRate sends Freq hits every Per, evenly spaced, hit 0 at time 0.
// A zero Duration means the plan never ends on its own (the scenario's
// duration or the context ends it).
type ConstantRate struct {
	Freq     int
	Per      time.Duration
	Duration time.Duration
}

// PerSecond is ConstantRate{Freq: n, Per: time.Second}.
func PerSecond(n int) ConstantRate { return ConstantRate{Freq: n, Per: time.Second} }

func (c ConstantRate) perSecond() float64 {
	if c.Per <= 0 {
		return 0
	}
	return float64(c.Freq) / c.Per.Seconds()
}

// Validate reports every problem with the plan.
func (c ConstantRate) Validate() error {
	var errs []error
	if c.Freq <= 0 {
		errs = append(errs, fmt.Errorf("constant rate: freq must be > 0, got %d", c.Freq))
	}
	if c.Per <= 0 {
		errs = append(errs, fmt.Errorf("constant rate: per must be > 0, got %v", c.Per))
	}
	if c.Duration < 0 {
		errs = append(errs, fmt.Errorf("constant rate: duration must be >= 0, got %v", c.Duration))
	}
	return errors.Join(errs...)
}

// Pace implements Pacer.
func (c ConstantRate) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	return pace(c, elapsed, hits)
}

// Rate implements Pacer.
func (c ConstantRate) Rate(elapsed time.Duration) float64 {
	if elapsed < 0 || (c.Duration > 0 && elapsed >= c.Duration) {
		return 0
	}
	return c.perSecond()
}

// At implements Pacer: hit n is at n·Per/Freq, computed in integers so that
// it does not drift over a 24 h run.
func (c ConstantRate) At(n uint64) (time.Duration, bool) {
	if c.Freq <= 0 || c.Per <= 0 {
		return 0, false
	}
	// ceil(n*Per/Freq) in 128-bit arithmetic, so no product overflows
	// whatever the rate (1e7 per hour times n is beyond 64 bits).
	per, freq := uint64(c.Per), uint64(c.Freq)
	hi, lo := bits.Mul64(n, per)
	if hi >= freq {
		return 0, false // the quotient does not fit in 64 bits
	}
	q, rem := bits.Div64(hi, lo, freq)
	at := q
	if rem != 0 {
		at++
		if at == 0 {
			return 0, false
		}
	}
	if at > math.MaxInt64 {
		return 0, false
	}
	d := time.Duration(at)
	if c.Duration > 0 && d >= c.Duration {
		return 0, false
	}
	return d, true
}

// Hits implements Pacer.
func (c ConstantRate) Hits(elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	if c.Duration > 0 && elapsed > c.Duration {
		elapsed = c.Duration
	}
	return c.perSecond() * elapsed.Seconds()
}

// LinearRamp changes the rate linearly from Start to End hits per second over
// Duration, then ends (as a k6 ramping-arrival-rate stage). Hits in [0, t]
// are Start·t + (End−Start)·t²/(2·Duration).
type LinearRamp struct {
	Start    float64
	End      float64
	Duration time.Duration
}

// Validate reports every problem with the ramp.
func (l LinearRamp) Validate() error {
	var errs []error
	if l.Start < 0 || math.IsNaN(l.Start) || math.IsInf(l.Start, 0) {
		errs = append(errs, fmt.Errorf("linear ramp: start rate must be a finite number >= 0, got %v", l.Start))
	}
	if l.End < 0 || math.IsNaN(l.End) || math.IsInf(l.End, 0) {
		errs = append(errs, fmt.Errorf("linear ramp: end rate must be a finite number >= 0, got %v", l.End))
	}
	if l.Duration <= 0 {
		errs = append(errs, fmt.Errorf("linear ramp: duration must be > 0, got %v", l.Duration))
	}
	if l.Start == 0 && l.End == 0 {
		errs = append(errs, errors.New("linear ramp: start and end rates are both 0, the plan sends nothing"))
	}
	return errors.Join(errs...)
}

// Pace implements Pacer.
func (l LinearRamp) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	return pace(l, elapsed, hits)
}

// Rate implements Pacer.
func (l LinearRamp) Rate(elapsed time.Duration) float64 {
	if elapsed < 0 || elapsed >= l.Duration || l.Duration <= 0 {
		return 0
	}
	return l.Start + (l.End-l.Start)*elapsed.Seconds()/l.Duration.Seconds()
}

// Hits implements Pacer.
func (l LinearRamp) Hits(elapsed time.Duration) float64 {
	if elapsed <= 0 || l.Duration <= 0 {
		return 0
	}
	if elapsed > l.Duration {
		elapsed = l.Duration
	}
	return segmentHits(l.Start, l.End, l.Duration.Seconds(), elapsed.Seconds())
}

// At implements Pacer.
func (l LinearRamp) At(n uint64) (time.Duration, bool) {
	if l.Duration <= 0 {
		return 0, false
	}
	t, ok := segmentAt(l.Start, l.End, l.Duration.Seconds(), float64(n))
	if !ok {
		return 0, false
	}
	d, ok := secondsToDuration(t)
	if !ok || d >= l.Duration {
		return 0, false
	}
	return d, true
}

// segmentHits is the integral of a linear rate from r0 to r1 over a segment
// of length span seconds, evaluated at t seconds into it.
func segmentHits(r0, r1, span, t float64) float64 {
	return r0*t + (r1-r0)*t*t/(2*span)
}

// segmentAt solves segmentHits(r0, r1, span, t) = n for the smallest t in
// [0, span]; ok is false when the segment holds fewer than n hits.
func segmentAt(r0, r1, span, n float64) (float64, bool) {
	if n == 0 {
		return 0, true
	}
	if n > segmentHits(r0, r1, span, span)*(1+1e-12) {
		return 0, false
	}
	a := (r1 - r0) / (2 * span)
	if math.Abs(a) < 1e-15 {
		if r0 <= 0 {
			return 0, false
		}
		return n / r0, true
	}
	disc := r0*r0 + 4*a*n
	if disc < 0 {
		disc = 0 // rounding at the very end of a ramp down
	}
	// The numerically stable root of a·t² + r0·t − n = 0.
	t := 2 * n / (r0 + math.Sqrt(disc))
	if t > span {
		t = span
	}
	return t, true
}

// Stage is one step of a Stages plan: the rate moves linearly to Target hits
// per second over Duration. A zero Duration jumps to Target at once.
type Stage struct {
	Duration time.Duration `json:"duration"`
	Target   float64       `json:"target"`
}

// Stages is k6's ramping-arrival-rate shape: starting from StartRate, each
// stage ramps linearly to its Target; the plan ends after the last stage.
type Stages struct {
	StartRate float64 `json:"start_rate"`
	Stages    []Stage `json:"stages"`
}

// Validate reports every problem with the stages.
func (s Stages) Validate() error {
	var errs []error
	if s.StartRate < 0 || math.IsNaN(s.StartRate) || math.IsInf(s.StartRate, 0) {
		errs = append(errs, fmt.Errorf("stages: start rate must be a finite number >= 0, got %v", s.StartRate))
	}
	if len(s.Stages) == 0 {
		errs = append(errs, errors.New("stages: at least one stage is required"))
	}
	var total time.Duration
	for i, st := range s.Stages {
		if st.Duration < 0 {
			errs = append(errs, fmt.Errorf("stages: stage %d: duration must be >= 0, got %v", i, st.Duration))
		}
		if st.Target < 0 || math.IsNaN(st.Target) || math.IsInf(st.Target, 0) {
			errs = append(errs, fmt.Errorf("stages: stage %d: target must be a finite number >= 0, got %v", i, st.Target))
		}
		total += st.Duration
	}
	if len(s.Stages) > 0 && total <= 0 {
		errs = append(errs, errors.New("stages: total duration must be > 0"))
	}
	return errors.Join(errs...)
}

// Duration is the plan's total length.
func (s Stages) Duration() time.Duration {
	var total time.Duration
	for _, st := range s.Stages {
		total += st.Duration
	}
	return total
}

// Pace implements Pacer.
func (s Stages) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	return pace(s, elapsed, hits)
}

// Rate implements Pacer.
func (s Stages) Rate(elapsed time.Duration) float64 {
	if elapsed < 0 {
		return 0
	}
	from := s.StartRate
	var start time.Duration
	for _, st := range s.Stages {
		if st.Duration > 0 && elapsed < start+st.Duration {
			f := (elapsed - start).Seconds() / st.Duration.Seconds()
			return from + (st.Target-from)*f
		}
		start += st.Duration
		from = st.Target
	}
	return 0
}

// Hits implements Pacer.
func (s Stages) Hits(elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	from := s.StartRate
	var start time.Duration
	var hits float64
	for _, st := range s.Stages {
		if st.Duration > 0 {
			span := st.Duration.Seconds()
			if elapsed < start+st.Duration {
				return hits + segmentHits(from, st.Target, span, (elapsed-start).Seconds())
			}
			hits += segmentHits(from, st.Target, span, span)
		}
		start += st.Duration
		from = st.Target
	}
	return hits
}

// At implements Pacer.
func (s Stages) At(n uint64) (time.Duration, bool) {
	from := s.StartRate
	var start time.Duration
	var before float64 // hits planned before the current stage
	want := float64(n)
	for _, st := range s.Stages {
		if st.Duration > 0 {
			span := st.Duration.Seconds()
			in := segmentHits(from, st.Target, span, span)
			if want < before+in || (want == before && in > 0) {
				t, ok := segmentAt(from, st.Target, span, want-before)
				if ok {
					d, ok := secondsToDuration(t)
					if ok && d < st.Duration {
						return start + d, true
					}
				}
			}
			before += in
		}
		start += st.Duration
		from = st.Target
	}
	return 0, false
}
