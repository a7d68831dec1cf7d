package chaos

import (
	"errors"
	"fmt"
	"time"
)

// RatePoint is one collection interval of a load run: when it began and
// ended, how many requests were answered in it, and how many failed
// (errors, timeouts and drops). Lost counts the requests of the interval
// that were never answered even after the retries the scenario allows
// (MeasureImpact reports them; MeasureRecovery ignores them).
type RatePoint struct {
	Start, End time.Time
	Answered   uint64
	Failed     uint64
	Lost       uint64
}

// RecoveryOptions say how recovery is judged. Zero values take the
// defaults noted.
type RecoveryOptions struct {
	// Window is the sliding window the achieved rate is averaged over;
	// default 1s. It should span several intervals.
	Window time.Duration
	// Fraction of the pre-fault rate that counts as recovered; default 0.9.
	Fraction float64
	// BaselineFrom is where the pre-fault reference period starts (after
	// warm-up); the zero time means the first point.
	BaselineFrom time.Time
}

// Recovery is how a run came back from a fault at At.
type Recovery struct {
	At time.Time `json:"at"`
	// PreRate is the mean achieved rate (per second) before the fault,
	// over the reference period.
	PreRate float64 `json:"pre_rate"`
	// Threshold is Fraction × PreRate.
	Threshold float64 `json:"threshold"`
	// Recovered says whether a window after the fault reached Threshold;
	// Time is then from the fault to the end of the first such window (so
	// it includes one window length: the resolution of the measurement).
	Recovered bool          `json:"recovered"`
	Time      time.Duration `json:"time"`
	// FirstBack is from the fault to the end of the first single interval
	// after it whose rate reached Threshold (finer than Time, noisier); zero
	// when none did.
	FirstBack time.Duration `json:"first_back,omitempty"`
	// MinRate is the lowest windowed rate after the fault (the depth of the
	// collapse); Observed is how long after the fault the series runs.
	MinRate  float64       `json:"min_rate"`
	Observed time.Duration `json:"observed"`
	// FailedDuring counts failed requests from the fault until recovery (or
	// the end of the series).
	FailedDuring uint64 `json:"failed_during"`
	// Window and Fraction are the options in force.
	Window   time.Duration `json:"window"`
	Fraction float64       `json:"fraction"`
}

func (r Recovery) String() string {
	if !r.Recovered {
		return fmt.Sprintf("not recovered within %v of the fault: best %0.f/s of %0.f/s needed (pre-fault %0.f/s); %d failed requests",
			r.Observed.Round(time.Millisecond), r.MinRate, r.Threshold, r.PreRate, r.FailedDuring)
	}
	return fmt.Sprintf("recovered in %v (≥ %.0f%% of the pre-fault %.0f/s over %v, so at least one window long; first single interval back after %v; lowest window %.0f/s); %d failed requests in between",
		r.Time.Round(time.Millisecond), r.Fraction*100, r.PreRate, r.Window, r.FirstBack.Round(time.Millisecond), r.MinRate, r.FailedDuring)
}

// MeasureRecovery finds when the achieved rate came back after a fault at
// at. The reference rate is the mean over the points that lie wholly in
// [BaselineFrom, at). After the fault only windows made of whole points
// that start at or after at are considered, so pre-fault traffic never
// counts towards recovery; recovery is the end of the first window whose
// rate (answered over the window's span) is at least Fraction × the
// reference. Points must be in time order.
func MeasureRecovery(points []RatePoint, at time.Time, opts RecoveryOptions) (Recovery, error) {
	if opts.Window == 0 {
		opts.Window = time.Second
	}
	if opts.Fraction == 0 {
		opts.Fraction = 0.9
	}
	var errs []error
	if opts.Window < 0 {
		errs = append(errs, fmt.Errorf("chaos: recovery window %v is negative", opts.Window))
	}
	if !(opts.Fraction > 0 && opts.Fraction <= 1) {
		errs = append(errs, fmt.Errorf("chaos: recovery fraction %v is not in (0,1]", opts.Fraction))
	}
	for i := 1; i < len(points); i++ {
		if points[i].Start.Before(points[i-1].Start) || points[i].End.Before(points[i].Start) {
			errs = append(errs, fmt.Errorf("chaos: rate points out of order at %d", i))
			break
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Recovery{}, err
	}
	r := Recovery{At: at, Window: opts.Window, Fraction: opts.Fraction}
	var preN uint64
	var preSpan time.Duration
	for _, p := range points {
		if !p.Start.Before(opts.BaselineFrom) && !p.End.After(at) {
			preN += p.Answered
			preSpan += p.End.Sub(p.Start)
		}
	}
	if preSpan <= 0 {
		return r, errors.New("chaos: no whole interval before the fault to take the reference rate from")
	}
	r.PreRate = float64(preN) / preSpan.Seconds()
	r.Threshold = opts.Fraction * r.PreRate

	first := -1
	for i, p := range points {
		if p.End.After(at) {
			first = i
			break
		}
	}
	if first < 0 {
		return r, errors.New("chaos: no interval after the fault")
	}
	// The interval the fault fell into counts its failures but not towards
	// a window: it holds pre-fault traffic.
	r.MinRate = -1
	end := points[len(points)-1].End
	r.Observed = end.Sub(at)
	for i := first; i < len(points); i++ {
		r.FailedDuring += points[i].Failed
		if points[i].Start.Before(at) {
			continue
		}
		if span := points[i].End.Sub(points[i].Start); r.FirstBack == 0 && span > 0 && float64(points[i].Answered)/span.Seconds() >= r.Threshold {
			r.FirstBack = points[i].End.Sub(at)
		}
		// The window ending with point i: whole points from j to i,
		// starting at or after the fault, spanning at least Window.
		var n uint64
		var span time.Duration
		j := i
		for ; j >= first && !points[j].Start.Before(at); j-- {
			n += points[j].Answered
			span += points[j].End.Sub(points[j].Start)
			if span >= opts.Window-opts.Window/20 {
				break
			}
		}
		if span < opts.Window-opts.Window/20 {
			continue // not a full window after the fault yet
		}
		rate := float64(n) / span.Seconds()
		if r.MinRate < 0 || rate < r.MinRate {
			r.MinRate = rate
		}
		if rate >= r.Threshold {
			r.Recovered = true
			r.Time = points[i].End.Sub(at)
			return r, nil
		}
	}
	if r.MinRate < 0 {
		r.MinRate = 0
	}
	return r, nil
}
