package regression

import "fmt"

// Verdict is the outcome of one comparison.
type Verdict int

const (
	// Inconclusive: not enough data (or unusable data) to decide; Reason
	// says why. Never a silent pass.
	Inconclusive Verdict = iota
	// NoChange: not significant after correction (benchstat's "~").
	NoChange
	// Improvement: significant change in the metric's better direction.
	Improvement
	// Regression: significant change in the metric's worse direction.
	Regression
)

// String returns "inconclusive", "no change", "improvement" or "regression".
func (v Verdict) String() string {
	switch v {
	case Inconclusive:
		return "inconclusive"
	case NoChange:
		return "no change"
	case Improvement:
		return "improvement"
	case Regression:
		return "regression"
	}
	return fmt.Sprintf("Verdict(%d)", int(v))
}

// MarshalText implements encoding.TextMarshaler.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// Severity grades a regression's magnitude. It is assigned from the
// conservative (least-bad) bound of the change's confidence interval, never
// from a point estimate or from significance.
type Severity int

const (
	// SeverityNone: not a regression.
	SeverityNone Severity = iota
	// Minor: a significant regression whose conservative bound is below
	// the LOW tier.
	Minor
	// Low, Medium, High, Critical: the seed's tiers (by default 10, 20, 30,
	// 50% of the baseline, or z 2, 2.5, 3, 4).
	Low
	Medium
	High
	Critical
)

// String names the severity as the seed did (upper case).
func (s Severity) String() string {
	switch s {
	case SeverityNone:
		return "NONE"
	case Minor:
		return "MINOR"
	case Low:
		return "LOW"
	case Medium:
		return "MEDIUM"
	case High:
		return "HIGH"
	case Critical:
		return "CRITICAL"
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Tiers are the thresholds of Low, Medium, High and Critical, in
// increasing order.
type Tiers [4]float64

// DefaultPercentTiers returns the seed's difference tiers as fractions:
// 10, 20, 30 and 50%.
func DefaultPercentTiers() Tiers { return Tiers{0.10, 0.20, 0.30, 0.50} }

// DefaultZTiers returns the seed's |z| tiers (2, 2.5, 3, 4), kept for
// compatibility.
func DefaultZTiers() Tiers { return Tiers{2, 2.5, 3, 4} }

// grade maps a conservative magnitude onto a severity, given that the
// change is a significant regression.
func (t Tiers) grade(v float64) Severity {
	s := Minor
	for i, th := range t {
		if v >= th {
			s = Low + Severity(i)
		}
	}
	return s
}

func (t Tiers) valid() bool {
	for i := range t {
		if !(t[i] > 0) || (i > 0 && t[i] <= t[i-1]) {
			return false
		}
	}
	return true
}
