package profile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/mcpstress/mcpstress"
	"github.com/mcpstress/mcpstress/framework"
)

// Duration is a time.Duration that reads and writes JSON as text ("10m",
// "85ms"), for hand-written profiles.
type Duration time.Duration

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON implements json.Unmarshaler; it accepts "1m30s" or a number
// of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("duration: want a string like \"10s\": %w", err)
		}
		*d = Duration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Profile is one suite's figures from the seeds, and what each mode makes of
// them. It is data (testdata/profiles/<suite>.json), never code, so the
// figures are reviewed in one place.
type Profile struct {
	Suite       string `json:"suite"`
	Description string `json:"description"`
	// Source points at where the figures come from (seed and section).
	Source string `json:"source"`
	// PrometheusPort is the suite's metrics endpoint in the seed (baseline
	// 9090, scale 9091, chaos 9092, sustained 9093, cascading 9094).
	PrometheusPort int `json:"prometheus_port,omitempty"`
	// Levels are load levels with their targets (baseline has one, scale
	// six).
	Levels []Level `json:"levels,omitempty"`
	// Scenarios are fault scenarios with their parameters and targets
	// (chaos, cascading).
	Scenarios []FaultScenario `json:"scenarios,omitempty"`
	// Criteria are the suite's pass criteria as named numbers; the key
	// carries the unit (e.g. "memory_growth_mb", "recovery_s").
	Criteria map[string]float64 `json:"criteria,omitempty"`
	// Thresholds are the criteria the engine checks itself.
	Thresholds []string `json:"thresholds,omitempty"`
	// Modes says what each mode runs; all four must be present.
	Modes map[Mode]ModePlan `json:"modes"`
	// Notes record where a seed figure cannot be met as written and why.
	Notes []string `json:"notes,omitempty"`
}

// Level is one load level: sessions, offered rate, and the seed's targets.
// Latency targets are ceilings: a faster server passes.
type Level struct {
	Name     string   `json:"name"`
	Sessions int      `json:"sessions"`
	Rate     float64  `json:"rate"`               // target messages per second
	MinRate  float64  `json:"min_rate,omitempty"` // minimum acceptable
	MaxRate  float64  `json:"max_rate,omitempty"` // maximum acceptable, when bounded
	P50      Duration `json:"p50,omitempty"`
	P95      Duration `json:"p95,omitempty"`
	P99      Duration `json:"p99,omitempty"`
	Max      Duration `json:"max,omitempty"`
	// P95Ceiling is the p95 target plus its tolerance band (baseline: 85 ms
	// +20% = 102 ms), the figure actually checked.
	P95Ceiling Duration `json:"p95_ceiling,omitempty"`
	ErrorRate  float64  `json:"error_rate,omitempty"` // maximum, a fraction
	// Slots is the engine's Scenario.Pipeline for the level: requests each
	// session may be handed at once (0 = 1). With one request on the wire
	// per connection, the others wait inside the session and that wait
	// counts in the corrected latency (from the intended send time), so a
	// short stall of the load generator is measured rather than turned into
	// drops; a request is dropped only when every slot is taken.
	Slots int `json:"slots,omitempty"`
}

// FaultScenario is one failure scenario's figures.
type FaultScenario struct {
	Name        string             `json:"name"`
	Description string             `json:"description"`
	Params      map[string]float64 `json:"params,omitempty"`
	Targets     map[string]float64 `json:"targets,omitempty"`
}

// ModePlan is what one mode runs.
type ModePlan struct {
	// Duration is the length of the main load (per test; per level when
	// LevelDuration is zero and there are levels, the suite decides).
	Duration Duration `json:"duration"`
	// LevelDuration is how long each level runs (scale).
	LevelDuration Duration `json:"level_duration,omitempty"`
	// Levels names the levels this mode runs; empty means all.
	Levels []string `json:"levels,omitempty"`
	// Phases are named durations (warmup, baseline, failure, recovery,
	// memory window, fault period, ...).
	Phases map[string]Duration `json:"phases,omitempty"`
	// Note explains what the mode changes from the seed.
	Note string `json:"note,omitempty"`
}

// Validate reports every problem in the profile.
func (p *Profile) Validate() error {
	var errs []error
	name := p.Suite
	if p.Suite == "" {
		errs = append(errs, errors.New("profile: suite is required"))
		name = "?"
	}
	levels := map[string]bool{}
	for i, l := range p.Levels {
		if l.Name == "" {
			errs = append(errs, fmt.Errorf("profile %s: level %d: name is required", name, i))
		}
		if levels[l.Name] {
			errs = append(errs, fmt.Errorf("profile %s: level %q defined twice", name, l.Name))
		}
		levels[l.Name] = true
		if l.Sessions <= 0 || l.Rate <= 0 {
			errs = append(errs, fmt.Errorf("profile %s: level %q: sessions and rate must be > 0", name, l.Name))
		}
		if l.MinRate < 0 || (l.MaxRate > 0 && l.MaxRate < l.MinRate) {
			errs = append(errs, fmt.Errorf("profile %s: level %q: min_rate/max_rate out of order", name, l.Name))
		}
		if l.ErrorRate < 0 || l.ErrorRate > 1 {
			errs = append(errs, fmt.Errorf("profile %s: level %q: error_rate must be a fraction", name, l.Name))
		}
	}
	for i, s := range p.Scenarios {
		if s.Name == "" {
			errs = append(errs, fmt.Errorf("profile %s: scenario %d: name is required", name, i))
		}
	}
	if _, err := framework.ParseThresholds(p.Thresholds); err != nil {
		errs = append(errs, fmt.Errorf("profile %s: %w", name, err))
	}
	for _, m := range Modes() {
		mp, ok := p.Modes[m]
		if !ok {
			errs = append(errs, fmt.Errorf("profile %s: mode %s is missing", name, m))
			continue
		}
		if mp.Duration <= 0 {
			errs = append(errs, fmt.Errorf("profile %s: mode %s: duration must be > 0", name, m))
		}
		if mp.LevelDuration < 0 {
			errs = append(errs, fmt.Errorf("profile %s: mode %s: level_duration must be >= 0", name, m))
		}
		for _, l := range mp.Levels {
			if !levels[l] {
				errs = append(errs, fmt.Errorf("profile %s: mode %s: unknown level %q", name, m, l))
			}
		}
		for ph, d := range mp.Phases {
			if d <= 0 {
				errs = append(errs, fmt.Errorf("profile %s: mode %s: phase %q must be > 0", name, m, ph))
			}
		}
	}
	for m := range p.Modes {
		if _, err := ParseMode(string(m)); err != nil {
			errs = append(errs, fmt.Errorf("profile %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// Level returns the named level.
func (p *Profile) Level(name string) (Level, bool) {
	for _, l := range p.Levels {
		if l.Name == name {
			return l, true
		}
	}
	return Level{}, false
}

// Plan is a profile resolved for one mode.
type Plan struct {
	Profile *Profile
	Mode    Mode
	ModePlan
}

// RunLevels returns the levels the mode runs, in profile order.
func (pl Plan) RunLevels() []Level {
	if len(pl.ModePlan.Levels) == 0 {
		return append([]Level(nil), pl.Profile.Levels...)
	}
	want := map[string]bool{}
	for _, l := range pl.ModePlan.Levels {
		want[l] = true
	}
	var out []Level
	for _, l := range pl.Profile.Levels {
		if want[l.Name] {
			out = append(out, l)
		}
	}
	return out
}

// Phase returns a named phase duration, or def when the mode has none.
func (pl Plan) Phase(name string, def time.Duration) time.Duration {
	if d, ok := pl.Phases[name]; ok {
		return d.D()
	}
	return def
}

// LookupPhase returns the named phase and whether the mode defines it, for
// a suite whose phase is data that must not fall back to a default.
func (pl Plan) LookupPhase(name string) (time.Duration, bool) {
	d, ok := pl.Phases[name]
	return d.D(), ok
}

// String is the plan printed at the start of a suite.
func (pl Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s mode): duration %v", pl.Profile.Suite, pl.Mode, pl.Duration.D())
	if pl.LevelDuration > 0 {
		fmt.Fprintf(&b, ", %v per level", pl.LevelDuration.D())
	}
	for _, l := range pl.RunLevels() {
		fmt.Fprintf(&b, "; %s: %d sessions at %.0f/s", l.Name, l.Sessions, l.Rate)
	}
	if len(pl.Phases) > 0 {
		names := make([]string, 0, len(pl.Phases))
		for n := range pl.Phases {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(&b, "; %s %v", n, pl.Phases[n].D())
		}
	}
	if len(pl.Profile.Thresholds) > 0 {
		fmt.Fprintf(&b, "; thresholds: %s", strings.Join(pl.Profile.Thresholds, ", "))
	}
	if pl.Note != "" {
		fmt.Fprintf(&b, " (%s)", pl.Note)
	}
	return b.String()
}

// ReadProfile reads and validates <suite>.json from fsys.
func ReadProfile(fsys fs.FS, suite string) (*Profile, error) {
	b, err := fs.ReadFile(fsys, suite+".json")
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w", suite, err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("profile %s: %w", suite, err)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// LoadProfile reads suite's profile from fsys and resolves it for mode.
func LoadProfile(fsys fs.FS, suite string, mode Mode) (Plan, error) {
	if _, err := ParseMode(string(mode)); err != nil {
		return Plan{}, err
	}
	p, err := ReadProfile(fsys, suite)
	if err != nil {
		return Plan{}, err
	}
	return Plan{Profile: p, Mode: mode, ModePlan: p.Modes[mode]}, nil
}

// ProfilesDirEnv names a directory of profile files (<suite>.json,
// zones.json) that replaces the embedded copy, for users who edit the
// profiles without rebuilding.
const ProfilesDirEnv = "MCPSTRESS_PROFILES_DIR"

// Files returns the profiles and where they come from: the directory named
// by $MCPSTRESS_PROFILES_DIR when it is set, else the copy of
// testdata/profiles embedded in the binary (package mcpstress), so a
// compiled suite runs from any working directory.
func Files() (fsys fs.FS, source string, err error) {
	if dir := strings.TrimSpace(os.Getenv(ProfilesDirEnv)); dir != "" {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, "", fmt.Errorf("$%s: %w", ProfilesDirEnv, err)
		}
		if !st.IsDir() {
			return nil, "", fmt.Errorf("$%s: %s is not a directory", ProfilesDirEnv, dir)
		}
		return os.DirFS(dir), dir, nil
	}
	sub, err := fs.Sub(mcpstress.Profiles, "testdata/profiles")
	if err != nil {
		return nil, "", err // cannot happen: the pattern is fixed at build time
	}
	return sub, "embedded testdata/profiles", nil
}

// Load reads suite's profile from Files and resolves it for mode.
func Load(suite string, mode Mode) (Plan, error) {
	fsys, source, err := Files()
	if err != nil {
		return Plan{}, err
	}
	pl, err := LoadProfile(fsys, suite, mode)
	if err != nil {
		return Plan{}, fmt.Errorf("%w (profiles from %s)", err, source)
	}
	return pl, nil
}

// Scenario builds the load scenario of one level for this mode: the level's
// sessions and rate, the mode's level duration (or its duration), the
// workload given, and thresholds from the level's targets (throughput at
// least MinRate, latency ceilings, error rate, drop rate) plus the
// profile's own. MaxRate is not a threshold here: the scenario is open
// model, whose achieved rate cannot exceed the offered one, so the check
// could not fail; a caller that switches to the closed model may add it. Callers adjust the result (ramp, config) before
// running.
//
// The drop ceiling is the level's error-rate ceiling: the seed counts
// "failed messages", and a request the engine had to drop (no free session
// slot at its intended time) is a message the user never got answered, so
// it may be no more frequent than an error. error_rate itself leaves drops
// out (the server never saw them), hence the separate threshold.
func (pl Plan) Scenario(level Level, wl framework.Workload) framework.Scenario {
	d := pl.LevelDuration.D()
	if d == 0 {
		d = pl.Duration.D()
	}
	sc := framework.Scenario{
		Name:     pl.Profile.Suite + "/" + level.Name,
		Sessions: level.Sessions,
		Pipeline: level.Slots,
		Rate:     level.Rate,
		Duration: d,
		Workload: wl,
	}
	seen := map[string]bool{}
	add := func(format string, a ...any) {
		e := fmt.Sprintf(format, a...)
		if !seen[e] {
			seen[e] = true
			sc.Thresholds = append(sc.Thresholds, e)
		}
	}
	if level.MinRate > 0 {
		add("throughput >= %g/s", level.MinRate)
	}
	if level.P50 > 0 {
		add("p50 <= %v", level.P50.D())
	}
	switch {
	case level.P95Ceiling > 0:
		add("p95 <= %v", level.P95Ceiling.D())
	case level.P95 > 0:
		add("p95 <= %v", level.P95.D())
	}
	if level.P99 > 0 {
		add("p99 <= %v", level.P99.D())
	}
	if level.Max > 0 {
		add("max <= %v", level.Max.D())
	}
	if level.ErrorRate > 0 {
		add("error_rate < %g%%", level.ErrorRate*100)
		add("drop_rate < %g%%", level.ErrorRate*100)
	}
	for _, t := range pl.Profile.Thresholds {
		if th, err := framework.ParseThreshold(t); err == nil {
			if th.Metric == "throughput" && (th.Op == "<" || th.Op == "<=") && th.Value >= level.Rate {
				continue // cannot fail in the open model (see above)
			}
			// Skip the profile's copy of a level figure already added.
			dup := false
			for _, have := range sc.Thresholds {
				if h, err := framework.ParseThreshold(have); err == nil && h.Metric == th.Metric && h.Percentile == th.Percentile && h.Op == th.Op && h.Latency == th.Latency && h.Value == th.Value {
					dup = true
				}
			}
			if !dup {
				add("%s", t)
			}
		}
	}
	return sc
}
