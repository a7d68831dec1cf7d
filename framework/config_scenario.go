package framework

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Model is how load is generated.
type Model string

const (
	// OpenModel sends at the pacer's intended times whatever the server does
	// (arrival rate); the default.
	OpenModel Model = "open"
	// ClosedModel has each session slot send its next request after the
	// previous answer plus ThinkTime. Its latency cannot be corrected for
	// coordinated omission: the summary says so in its warnings.
	ClosedModel Model = "closed"
)

// MaxWindowIntervals bounds a sliding-window threshold, in collection
// intervals (1 h at the default 1 s), so the window's memory stays bounded.
const MaxWindowIntervals = 3600

// Scenario is one load run as plain data. Zero values: Model "" is open;
// Pipeline 0 is 1; ConnectRate 0 opens sessions as fast as ConnectConcurrency
// allows; ConnectConcurrency 0 is 64; GracefulStop 0 is Config.MessageTimeout.
type Scenario struct {
	Name  string `json:"name"`
	Model Model  `json:"model,omitempty"`
	// Sessions is how many MCP sessions (connections) to open and hold.
	Sessions int `json:"sessions"`
	// Pipeline is how many engine slots each session has: how many of its
	// requests may be handed to it at once. Slots beyond the client's own
	// ClientOptions.Pipeline wait inside the session for the wire; that wait
	// counts in the corrected latency (from the intended time) but not in
	// the uncorrected one (from the actual send), as in wrk2.
	Pipeline int `json:"pipeline,omitempty"`

	// Open model: exactly one of Rate (constant, requests per second),
	// Stages, or Pacer (any Pacer, not serialised).
	Rate   float64 `json:"rate,omitempty"`
	Stages *Stages `json:"stages,omitempty"`
	Pacer  Pacer   `json:"-"`

	// Duration is how long load is generated (after the session ramp). It
	// may be zero for an open model whose pacer ends by itself (Stages).
	Duration time.Duration `json:"duration,omitempty"`
	// ThinkTime is the closed model's pause between an answer and the next
	// request of the same slot.
	ThinkTime time.Duration `json:"think_time,omitempty"`

	// ConnectRate is the session ramp: sessions opened per second.
	ConnectRate float64 `json:"connect_rate,omitempty"`
	// ConnectConcurrency bounds connects in flight during the ramp.
	ConnectConcurrency int `json:"connect_concurrency,omitempty"`

	Workload Workload `json:"workload"`
	// Thresholds are pass criteria in the grammar of ParseThreshold.
	Thresholds []string `json:"thresholds,omitempty"`
	// Containment, when set, retries requests that time out or fail in
	// transport and puts a circuit breaker in front of the target (see
	// Containment); nil: a failed request ends there.
	Containment *Containment `json:"containment,omitempty"`
	// GracefulStop is how long in-flight requests may finish after the load
	// duration before they are cancelled.
	GracefulStop time.Duration `json:"graceful_stop,omitempty"`
	// AllowEarlyStop says the caller stops the run on purpose (by
	// cancelling its context before the duration ends, e.g. a chaos suite
	// that ends load when a fault is seen): a run stopped early is then not
	// a problem of the Summary. Thresholds with "abort" still fail.
	AllowEarlyStop bool `json:"allow_early_stop,omitempty"`

	Config Config `json:"config"`
}

// Validate reports every problem with the scenario at once, including those
// of its pacer, workload, thresholds and config.
func (sc Scenario) Validate() error {
	var errs []error
	cfg := sc.Config.WithDefaults()
	if err := sc.Config.Validate(); err != nil {
		errs = append(errs, err)
	}
	if sc.Sessions <= 0 {
		errs = append(errs, fmt.Errorf("scenario %q: sessions must be > 0, got %d", sc.Name, sc.Sessions))
	} else if sc.Sessions > cfg.MaxConnections {
		errs = append(errs, fmt.Errorf("scenario %q: sessions %d exceed max_connections %d", sc.Name, sc.Sessions, cfg.MaxConnections))
	}
	if sc.Pipeline < 0 {
		errs = append(errs, fmt.Errorf("scenario %q: pipeline must be >= 0, got %d", sc.Name, sc.Pipeline))
	}
	if sc.Duration < 0 {
		errs = append(errs, fmt.Errorf("scenario %q: duration must be >= 0, got %v", sc.Name, sc.Duration))
	}
	if sc.ThinkTime < 0 || sc.GracefulStop < 0 {
		errs = append(errs, fmt.Errorf("scenario %q: think_time and graceful_stop must be >= 0", sc.Name))
	}
	if sc.ConnectRate < 0 || math.IsNaN(sc.ConnectRate) || math.IsInf(sc.ConnectRate, 0) {
		errs = append(errs, fmt.Errorf("scenario %q: connect_rate must be a finite number >= 0, got %v", sc.Name, sc.ConnectRate))
	}
	if sc.ConnectConcurrency < 0 {
		errs = append(errs, fmt.Errorf("scenario %q: connect_concurrency must be >= 0, got %d", sc.Name, sc.ConnectConcurrency))
	}
	switch sc.Model {
	case "", OpenModel:
		n := 0
		if sc.Rate != 0 {
			n++
			if sc.Rate < 0 || math.IsNaN(sc.Rate) || math.IsInf(sc.Rate, 0) {
				errs = append(errs, fmt.Errorf("scenario %q: rate must be a finite number > 0, got %v", sc.Name, sc.Rate))
			}
		}
		if sc.Stages != nil {
			n++
			if err := sc.Stages.Validate(); err != nil {
				errs = append(errs, fmt.Errorf("scenario %q: %w", sc.Name, err))
			}
		}
		if sc.Pacer != nil {
			n++
			if v, ok := sc.Pacer.(interface{ Validate() error }); ok {
				if err := v.Validate(); err != nil {
					errs = append(errs, fmt.Errorf("scenario %q: %w", sc.Name, err))
				}
			}
		}
		if n != 1 {
			errs = append(errs, fmt.Errorf("scenario %q: the open model needs exactly one of rate, stages or pacer, got %d", sc.Name, n))
		}
		if sc.Duration == 0 && sc.Stages == nil && sc.Pacer == nil {
			errs = append(errs, fmt.Errorf("scenario %q: duration is required with a constant rate", sc.Name))
		}
		if sc.ThinkTime != 0 {
			errs = append(errs, fmt.Errorf("scenario %q: think_time applies to the closed model only", sc.Name))
		}
	case ClosedModel:
		if sc.Rate != 0 || sc.Stages != nil || sc.Pacer != nil {
			errs = append(errs, fmt.Errorf("scenario %q: the closed model takes no rate, stages or pacer", sc.Name))
		}
		if sc.Duration == 0 {
			errs = append(errs, fmt.Errorf("scenario %q: duration is required for the closed model", sc.Name))
		}
	default:
		errs = append(errs, fmt.Errorf("scenario %q: model must be open or closed, got %q", sc.Name, sc.Model))
	}
	if err := sc.Workload.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("scenario %q: %w", sc.Name, err))
	}
	if sc.Containment != nil {
		if err := sc.Containment.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("scenario %q: %w", sc.Name, err))
		}
	}
	ths, err := ParseThresholds(sc.Thresholds)
	if err != nil {
		errs = append(errs, fmt.Errorf("scenario %q: %w", sc.Name, err))
	}
	for _, th := range ths {
		if th.Metric == "throughput" && (th.Op == "<" || th.Op == "<=") && (sc.Model == "" || sc.Model == OpenModel) && sc.Rate > 0 && th.Value >= sc.Rate {
			// Answered requests can never outnumber the pacer's hits.
			errs = append(errs, fmt.Errorf("scenario %q: threshold %q cannot fail: the open model offers %g/s, so the achieved rate never exceeds it (a throughput ceiling means something in the closed model)", sc.Name, th.Expr, sc.Rate))
		}
		if cfg.CollectionInterval > 0 && th.Window > 0 && th.Window/cfg.CollectionInterval > MaxWindowIntervals {
			errs = append(errs, fmt.Errorf("scenario %q: threshold %q: a window of %v is more than %d collection intervals of %v (lengthen collection_interval)",
				sc.Name, th.Expr, th.Window, MaxWindowIntervals, cfg.CollectionInterval))
		}
	}
	return errors.Join(errs...)
}

// pacer returns the open model's plan.
func (sc Scenario) pacer() Pacer {
	switch {
	case sc.Pacer != nil:
		return sc.Pacer
	case sc.Stages != nil:
		return *sc.Stages
	default:
		// Rate per second as Freq per Per with nanosecond precision.
		per := time.Duration(math.Round(1e9 / sc.Rate))
		if sc.Rate == math.Trunc(sc.Rate) && sc.Rate <= 1e9 {
			return ConstantRate{Freq: int(sc.Rate), Per: time.Second}
		}
		return ConstantRate{Freq: 1, Per: per}
	}
}

// loadDuration is how long the executor schedules: Duration, or the pacer's
// own length when Duration is zero.
func (sc Scenario) loadDuration() time.Duration {
	if sc.Duration > 0 {
		return sc.Duration
	}
	if sc.Stages != nil {
		return sc.Stages.Duration()
	}
	return 0
}

// Describe says what the run will do in one paragraph, printed at its
// start.
func (sc Scenario) Describe(target string) string {
	cfg := sc.Config.WithDefaults()
	var b strings.Builder
	model := sc.Model
	if model == "" {
		model = OpenModel
	}
	fmt.Fprintf(&b, "plan %q: %s model, %d sessions", sc.Name, model, sc.Sessions)
	if sc.ConnectRate > 0 {
		fmt.Fprintf(&b, " (ramp %.0f/s)", sc.ConnectRate)
	}
	switch {
	case model == ClosedModel:
		fmt.Fprintf(&b, ", think %v", sc.ThinkTime)
	case sc.Stages != nil:
		fmt.Fprintf(&b, ", %d stages from %.0f/s", len(sc.Stages.Stages), sc.Stages.StartRate)
	case sc.Pacer != nil:
		fmt.Fprintf(&b, ", pacer %T", sc.Pacer)
	default:
		fmt.Fprintf(&b, ", %.0f req/s", sc.Rate)
	}
	fmt.Fprintf(&b, " for %v against %s; ops", sc.loadDuration(), target)
	for _, o := range sc.Workload.Ops {
		fmt.Fprintf(&b, " %s×%d", o.Name(), o.Weight)
	}
	fmt.Fprintf(&b, "; interval %v, timeout %v", cfg.CollectionInterval, cfg.MessageTimeout)
	if len(sc.Thresholds) > 0 {
		fmt.Fprintf(&b, "; thresholds %s", strings.Join(sc.Thresholds, ", "))
	}
	return b.String()
}
