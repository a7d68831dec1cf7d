package regression

import (
	"errors"
	"fmt"
)

// Defaults used when a Config field is zero.
const (
	DefaultAlpha      = 0.05
	DefaultConfidence = 0.95
	DefaultMinEffect  = 0.02
)

// Config controls an A/B comparison. The zero value means the defaults.
type Config struct {
	// Alpha is the significance level applied to adjusted p-values (q).
	// Zero means DefaultAlpha (0.05).
	Alpha float64 `json:"alpha"`
	// Confidence is the level of every confidence interval. Zero means
	// DefaultConfidence (0.95).
	Confidence float64 `json:"confidence"`
	// Correction adjusts p-values across the metrics of one report. The
	// zero value is Holm.
	Correction Correction `json:"correction"`
	// MinEffect is the smallest relative change (a fraction) worth failing
	// a gate over: a significant change whose point estimate is smaller is
	// marked BelowMinEffect. Zero means DefaultMinEffect (2%); a negative
	// value disables the check.
	MinEffect float64 `json:"min_effect"`
	// MinSamples is an extra floor on runs per side. The floor implied by
	// Alpha, the correction and the number of metrics is always enforced
	// (benchstat's sample floor); zero adds nothing to it.
	MinSamples int `json:"min_samples,omitempty"`
	// PercentTiers grade severity by the conservative bound of the relative
	// change. Zero means DefaultPercentTiers.
	PercentTiers Tiers `json:"percent_tiers"`
	// ZTiers grade the compatibility z severity. Zero means DefaultZTiers.
	ZTiers Tiers `json:"z_tiers"`
	// BootstrapResamples, when positive, adds a seeded percentile-bootstrap
	// CI of the median ratio to each AssumeNothing comparison (seed derived
	// from the metric name). Zero skips it (it costs resamples × n log n).
	BootstrapResamples int `json:"bootstrap_resamples,omitempty"`
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	if c.Alpha == 0 {
		c.Alpha = DefaultAlpha
	}
	if c.Confidence == 0 {
		c.Confidence = DefaultConfidence
	}
	if c.MinEffect == 0 {
		c.MinEffect = DefaultMinEffect
	}
	if c.PercentTiers == (Tiers{}) {
		c.PercentTiers = DefaultPercentTiers()
	}
	if c.ZTiers == (Tiers{}) {
		c.ZTiers = DefaultZTiers()
	}
	return c
}

// Validate reports every problem at once (after applying defaults).
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if !(c.Alpha > 0 && c.Alpha < 1) {
		errs = append(errs, fmt.Errorf("alpha %v: want 0 < alpha < 1", c.Alpha))
	}
	if !(c.Confidence > 0 && c.Confidence < 1) {
		errs = append(errs, fmt.Errorf("confidence %v: want 0 < confidence < 1", c.Confidence))
	}
	if c.Correction < Holm || c.Correction > NoCorrection {
		errs = append(errs, fmt.Errorf("unknown correction %d", int(c.Correction)))
	}
	if c.MinSamples < 0 {
		errs = append(errs, fmt.Errorf("min samples %d: want >= 0", c.MinSamples))
	}
	if !c.PercentTiers.valid() {
		errs = append(errs, fmt.Errorf("percent tiers %v: want positive and increasing", c.PercentTiers))
	}
	if !c.ZTiers.valid() {
		errs = append(errs, fmt.Errorf("z tiers %v: want positive and increasing", c.ZTiers))
	}
	if c.BootstrapResamples < 0 || c.BootstrapResamples > 1_000_000 {
		errs = append(errs, fmt.Errorf("bootstrap resamples %d: want 0..1e6", c.BootstrapResamples))
	}
	if len(errs) > 0 {
		return fmt.Errorf("regression config: %w", errors.Join(errs...))
	}
	return nil
}
