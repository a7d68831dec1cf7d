package regression

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// GateOutcome is the three-state result of a history gate (as Pinpoint's
// SAME / UNKNOWN / DIFFERENT), plus Inconclusive for too little history.
type GateOutcome int

const (
	// GateInconclusive: not enough history; Reason says why.
	GateInconclusive GateOutcome = iota
	// GatePass: inside the suspect limit (or better than history).
	GatePass
	// GateSuspect: between the suspect and fail limits; collect more runs
	// (fresh data, under a pre-declared maximum) rather than re-testing.
	GateSuspect
	// GateFail: beyond the fail limit in the worse direction.
	GateFail
)

// String returns "inconclusive", "pass", "suspect" or "fail".
func (g GateOutcome) String() string {
	switch g {
	case GateInconclusive:
		return "inconclusive"
	case GatePass:
		return "pass"
	case GateSuspect:
		return "suspect"
	case GateFail:
		return "fail"
	}
	return fmt.Sprintf("GateOutcome(%d)", int(g))
}

// MarshalText implements encoding.TextMarshaler.
func (g GateOutcome) MarshalText() ([]byte, error) { return []byte(g.String()), nil }

// GateConfig controls Gate. The zero value means the defaults.
type GateConfig struct {
	// Window is how many of the newest history points are used. Zero means
	// 64 (Bencher's preset).
	Window int `json:"window"`
	// Level is the one-sided prediction level of the fail limit. Zero
	// means 0.99.
	Level float64 `json:"level"`
	// SuspectLevel is the level of the suspect limit. Zero means 0.95.
	SuspectLevel float64 `json:"suspect_level"`
	// MinHistory is the fewest usable history points. Zero means 10.
	MinHistory int `json:"min_history"`
	// Log computes the interval on ln x (log-normal latency). Values must
	// then be positive.
	Log bool `json:"log"`
	// OutlierK flags history points outside median ± k·1.4826·MAD (they
	// are reported in Outliers). Zero means 3.5; negative disables flagging.
	OutlierK float64 `json:"outlier_k"`
	// ExcludeOutliers leaves the flagged points out of the limit. It is off
	// by default: on the calibration half of our noise corpora, excluding
	// them shrank s and raised the A/A fail rate (mean over metrics 11.7%
	// vs 1.3%, and 7.1% vs 5.0%) without improving detection, because the
	// "outliers" of a shared machine are part of its noise.
	ExcludeOutliers bool `json:"exclude_outliers"`
	// Robust replaces mean and s by the median and 1.4826·MAD, with limits
	// at RobustK (fail, zero means 3.5) and RobustK-1 (suspect) robust sd:
	// the usual alternative for heavy-tailed history. P is then the normal
	// tail of the robust z. It is off by default: on the calibration halves
	// of our noise corpora it raised the A/A fail rate (mean over metrics
	// 10.8% vs 1.3%, and 12.5% vs 5.0%), because the MAD ignores a second
	// mode that the standard deviation sees.
	Robust  bool    `json:"robust,omitempty"`
	RobustK float64 `json:"robust_k,omitempty"`
	// KeepOldLevels disables cutting the window at the last change point.
	KeepOldLevels bool `json:"keep_old_levels"`
	// ChangePoints configures the change-point search used for the cut.
	ChangePoints ChangePointConfig `json:"change_points"`
}

func (c GateConfig) withDefaults() GateConfig {
	if c.Window == 0 {
		c.Window = 64
	}
	if c.Level == 0 {
		c.Level = 0.99
	}
	if c.SuspectLevel == 0 {
		c.SuspectLevel = 0.95
	}
	if c.MinHistory == 0 {
		c.MinHistory = 10
	}
	if c.OutlierK == 0 {
		c.OutlierK = 3.5
	}
	if c.RobustK == 0 {
		c.RobustK = 3.5
	}
	return c
}

// Validate reports every problem at once.
func (c GateConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.Window < 3 {
		errs = append(errs, fmt.Errorf("gate: window %d: want >= 3", c.Window))
	}
	if !(c.Level > 0.5 && c.Level < 1) {
		errs = append(errs, fmt.Errorf("gate: level %v: want 0.5 < level < 1", c.Level))
	}
	if !(c.SuspectLevel > 0.5 && c.SuspectLevel <= c.Level) {
		errs = append(errs, fmt.Errorf("gate: suspect level %v: want 0.5 < suspect <= level", c.SuspectLevel))
	}
	if c.RobustK <= 1 {
		errs = append(errs, fmt.Errorf("gate: robust k %v: want > 1", c.RobustK))
	}
	if c.MinHistory < 3 {
		errs = append(errs, fmt.Errorf("gate: min history %d: want >= 3", c.MinHistory))
	}
	if err := c.ChangePoints.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// GateResult is the outcome of checking one new value against history.
type GateResult struct {
	Outcome GateOutcome `json:"outcome"`
	// Improved is true when x is beyond the fail limit on the better side.
	Improved bool `json:"improved,omitempty"`
	// P is the one-sided predictive probability of a value at least this
	// bad under the history's level (Student-t prediction distribution).
	P float64 `json:"p"`
	// FailLimit and SuspectLimit are in the metric's units.
	FailLimit    float64 `json:"fail_limit"`
	SuspectLimit float64 `json:"suspect_limit"`
	Mean         float64 `json:"mean"`
	StdDev       float64 `json:"std_dev"`
	// N is the number of history points used.
	N int `json:"n"`
	// CutAt is the index (into history) of the change point the window was
	// cut at, or -1.
	CutAt int `json:"cut_at"`
	// Outliers lists indices (into history) of flagged points in the
	// window; Excluded says whether they were left out of the limit.
	Outliers []int  `json:"outliers,omitempty"`
	Excluded bool   `json:"excluded,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// Gate checks a new value x against the history of a metric with a
// one-sided Student-t prediction interval, mean ± t(n-1, level)·s·√(1+1/n),
// on the side that is worse for dir. The window is the newest Window
// points, cut at the last change point so old levels are not mixed in;
// robust outliers are flagged (and left out only with ExcludeOutliers).
func Gate(history []float64, x float64, dir Direction, cfg GateConfig) (GateResult, error) {
	if err := cfg.Validate(); err != nil {
		return GateResult{}, err
	}
	if dir != LowerIsBetter && dir != HigherIsBetter {
		return GateResult{}, errors.New("gate: direction must be LowerIsBetter or HigherIsBetter")
	}
	cfg = cfg.withDefaults()
	var errs []error
	if isNaNOrInf(x) {
		errs = append(errs, fmt.Errorf("gate: new value is %v", x))
	}
	for i, v := range history {
		if isNaNOrInf(v) {
			errs = append(errs, fmt.Errorf("gate: history value %d is %v", i, v))
		} else if cfg.Log && v <= 0 {
			errs = append(errs, fmt.Errorf("gate: history value %d is %v, need > 0 for Log", i, v))
		}
	}
	if cfg.Log && x <= 0 {
		errs = append(errs, fmt.Errorf("gate: new value %v, need > 0 for Log", x))
	}
	if err := errors.Join(errs...); err != nil {
		return GateResult{}, err
	}
	res := GateResult{CutAt: -1, P: math.NaN()}
	start := max(0, len(history)-cfg.Window)
	if !cfg.KeepOldLevels {
		cps, err := ChangePoints(history[start:], cfg.ChangePoints)
		if err != nil {
			return res, err
		}
		if len(cps) > 0 {
			res.CutAt = start + cps[len(cps)-1].Index
			start = res.CutAt
		}
	}
	win := history[start:]
	tr := func(v float64) float64 { return v }
	inv := tr
	if cfg.Log {
		tr, inv = math.Log, math.Exp
	}
	var used []float64
	o := Outliers{}
	if cfg.OutlierK > 0 && MAD(win) > 0 {
		// With MAD = 0 (over half the history identical, e.g. quantized
		// percentiles) the fences would exclude every other value.
		o = MADOutliers(win, cfg.OutlierK)
	}
	skip := map[int]bool{}
	for _, i := range append(o.Low, o.High...) {
		skip[i] = cfg.ExcludeOutliers
		res.Outliers = append(res.Outliers, start+i)
	}
	res.Excluded = cfg.ExcludeOutliers && len(res.Outliers) > 0
	for i, v := range win {
		if !skip[i] {
			used = append(used, tr(v))
		}
	}
	res.N = len(used)
	if res.N < cfg.MinHistory {
		res.Reason = fmt.Sprintf("need >= %d history points, have %d", cfg.MinHistory, res.N)
		if res.CutAt >= 0 {
			res.Reason += fmt.Sprintf(" since the change point at index %d", res.CutAt)
		}
		return res, nil
	}
	sign := 1.0 // worse side
	if dir == HigherIsBetter {
		sign = -1
	}
	if cfg.Robust {
		med, sd := Median(used), MAD(used)
		res.Mean, res.StdDev = inv(med), sd
		res.FailLimit = inv(med + sign*cfg.RobustK*sd)
		res.SuspectLimit = inv(med + sign*(cfg.RobustK-1)*sd)
		var z float64
		switch {
		case sd > 0:
			z = sign * (tr(x) - med) / sd
		case tr(x) == med:
			z = 0
		default:
			z = math.Copysign(math.Inf(1), sign*(tr(x)-med))
		}
		res.P = distuv.UnitNormal.Survival(z)
		switch {
		case z >= cfg.RobustK:
			res.Outcome = GateFail
		case z >= cfg.RobustK-1:
			res.Outcome = GateSuspect
		default:
			res.Outcome = GatePass
			res.Improved = z <= -cfg.RobustK
		}
		return res, nil
	}
	m, s := stat.MeanStdDev(used, nil)
	n := float64(res.N)
	res.Mean, res.StdDev = inv(m), s
	scale := s * math.Sqrt(1+1/n)
	td := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}
	res.FailLimit = inv(m + sign*td.Quantile(cfg.Level)*scale)
	res.SuspectLimit = inv(m + sign*td.Quantile(cfg.SuspectLevel)*scale)
	var tWorse float64
	switch {
	case scale > 0:
		tWorse = sign * (tr(x) - m) / scale
	case tr(x) == m:
		tWorse = 0
	default:
		tWorse = math.Copysign(math.Inf(1), sign*(tr(x)-m))
	}
	res.P = td.Survival(tWorse)
	switch {
	case res.P <= 1-cfg.Level:
		res.Outcome = GateFail
	case res.P <= 1-cfg.SuspectLevel:
		res.Outcome = GateSuspect
	default:
		res.Outcome = GatePass
		res.Improved = td.CDF(tWorse) <= 1-cfg.Level
	}
	return res, nil
}
