package judge

import (
	"fmt"
	"math"
	"time"

	"github.com/mcpstress/mcpstress/chaos"
	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/verdict"
)

// RunChecks are the checks every test that judges a run makes, whichever
// test ran it: every scheduled request is accounted for, every requested
// session opened (and at least one), and the run completed its plan unless
// the scenario stops it on purpose. A run that fails one of them fails
// every test that judges it.
func RunChecks(sum *framework.Summary) []verdict.Check {
	out := []verdict.Check{Accounted(sum), SessionsOpened(sum, sum.Ramp.Requested)}
	if sum.Aborted != "" && !sum.AllowEarlyStop {
		out = append(out, verdict.Check{Expr: "the run completed its planned duration", Metric: "load_duration",
			Measured: sum.LoadDuration.Seconds(), Unit: "s", Detail: "aborted: " + sum.Aborted})
	}
	return out
}

// Accounted checks conservation: scheduled == ok + tool + rpc + transport +
// timeout + dropped + cancelled. Nothing scheduled is no data.
func Accounted(sum *framework.Summary) verdict.Check {
	c := verdict.Check{
		Expr:     "every request accounted for (scheduled == ok + errors + timeouts + dropped + cancelled)",
		Metric:   "accounted",
		Measured: float64(sum.Conservation.Accounted),
		Pass:     sum.Conservation.Holds,
		Detail:   fmt.Sprintf("%d scheduled, %d accounted", sum.Conservation.Scheduled, sum.Conservation.Accounted),
	}
	if sum.Scheduled == 0 {
		c.NoData, c.Measured, c.Detail = true, math.NaN(), "nothing was scheduled"
	}
	return c
}

// SessionsOpened checks that want sessions opened; zero opened always
// fails.
func SessionsOpened(sum *framework.Summary, want int) verdict.Check {
	r := sum.Ramp
	c := verdict.Check{
		Expr:     fmt.Sprintf("sessions opened == %d", want),
		Metric:   "sessions_opened",
		Measured: float64(r.Opened),
		Pass:     r.Opened == want && r.Opened > 0,
		Detail:   fmt.Sprintf("%d of %d opened in %v", r.Opened, r.Requested, r.Duration.Round(time.Millisecond)),
	}
	if len(r.Errors) > 0 {
		c.Detail += fmt.Sprintf("; errors: %v", r.Errors)
	}
	return c
}

// Undelivered checks errors plus drops among every scheduled request that
// was not cancelled at the stop: a message the client could not even send
// is a failed message too.
func Undelivered(sum *framework.Summary, maxRate float64) verdict.Check {
	c := sum.Counts
	chk := verdict.Check{
		Expr:   fmt.Sprintf("undelivered (errors + dropped) < %g%% of scheduled", maxRate*100),
		Metric: "undelivered_rate",
		Unit:   "%",
		Detail: fmt.Sprintf("%d errors (tool %d, rpc %d, transport %d, timeout %d) + %d dropped of %d scheduled (%d cancelled at the stop)",
			c.Errors(), c.ToolError, c.RPCError, c.TransportError, c.Timeout, c.Dropped, sum.Scheduled, c.Cancelled),
	}
	denom := sum.Scheduled - min(c.Cancelled, sum.Scheduled)
	if denom == 0 {
		chk.NoData, chk.Measured = true, math.NaN()
		return chk
	}
	rate := float64(c.Errors()+c.Dropped) / float64(denom)
	chk.Measured, chk.Pass = 100*rate, rate < maxRate
	return chk
}

// Distribution tests the requests the server answered on each session
// against equal shares (see Uniformity). Too few answers to test is no
// data, a failure.
func Distribution(sum *framework.Summary, alpha float64) (verdict.Check, Uniformity) {
	chk := verdict.Check{Expr: fmt.Sprintf("answered per session consistent with equal shares (p >= %g)", alpha), Metric: "distribution_p"}
	u, err := SessionUniformity(sum.AnsweredPerSession())
	if err != nil {
		chk.NoData, chk.Measured, chk.Detail = true, math.NaN(), err.Error()
		return chk, u
	}
	chk.Measured = min(u.PValue, u.ExtremePValue)
	chk.Pass = !u.Rejects(alpha)
	chk.Detail = u.String() + "; H0: each answered request lands on a session uniformly at random (the engine's longest-idle dispatch is more even, so only starved, slowed or hogging sessions reject)"
	if lo, hi, ok := sessionLatencySpread(sum.Sessions); ok {
		chk.Detail += fmt.Sprintf("; mean latency per session %v–%v", lo.Round(time.Microsecond), hi.Round(time.Microsecond))
	}
	return chk, u
}

// sessionLatencySpread is the lowest and highest per-session mean latency.
func sessionLatencySpread(ss []framework.SessionCount) (lo, hi time.Duration, ok bool) {
	for _, s := range ss {
		if s.Answered == 0 {
			continue
		}
		m := s.MeanLatency()
		if !ok {
			lo, hi, ok = m, m, true
		}
		lo, hi = min(lo, m), max(hi, m)
	}
	return lo, hi, ok
}

// MemorySpec says how a run's server memory is judged: the trend over
// [From, To] extrapolated to Horizon must stay under GrowthMaxMB, and the
// peak RSS under MaxMB (zero: no ceiling). Target names the server for the
// reason given when its memory cannot be read.
type MemorySpec struct {
	From, To    time.Time
	Horizon     time.Duration
	GrowthMaxMB float64
	MaxMB       float64
	Target      string
	// Note is added to the growth check's detail (how the window was
	// chosen for the mode).
	Note string
}

// Memory judges the server's RSS growth by the least-squares slope over the
// spec's window, and its peak. A server that is not a process the suite
// started cannot be judged: both checks are skipped with that reason,
// never passed. Too few samples is no data, a failure.
func Memory(sum *framework.Summary, spec MemorySpec) ([]verdict.Check, MemoryTrend) {
	growth := verdict.Check{Expr: fmt.Sprintf("server memory growth over %v < %g MB (least-squares slope)", spec.Horizon, spec.GrowthMaxMB),
		Metric: "memory_growth", Unit: "MB"}
	ceiling := verdict.Check{Expr: fmt.Sprintf("server RSS < %g MB", spec.MaxMB), Metric: "memory_usage", Unit: "MB"}
	trend, err := ServerMemoryTrend(sum.Intervals, spec.From, spec.To, spec.Horizon)
	switch {
	case err == ErrServerNotSampled:
		reason := fmt.Sprintf("server memory not observable for target %s: it is not a process this suite started", spec.Target)
		growth.Skip, ceiling.Skip = reason, reason
		return []verdict.Check{growth, ceiling}, trend
	case err != nil:
		growth.NoData, growth.Measured, growth.Detail = true, math.NaN(), err.Error()
	default:
		growth.Measured, growth.Pass = trend.GrowthMB, trend.GrowthMB < spec.GrowthMaxMB
		growth.Detail = trend.String()
		if spec.Note != "" {
			growth.Detail += "; " + spec.Note
		}
	}
	out := []verdict.Check{growth}
	if spec.MaxMB > 0 {
		peak := math.NaN()
		for _, s := range sum.Intervals {
			if r := s.Resources; r != nil && r.Server != nil && r.Server.Err == "" {
				if math.IsNaN(peak) {
					peak = 0
				}
				peak = max(peak, mb(r.Server.RSSBytes))
			}
		}
		ceiling.Measured, ceiling.Pass, ceiling.Detail = peak, peak < spec.MaxMB, "peak of the interval samples"
		out = append(out, ceiling)
	}
	return out, trend
}

// Recovery checks a recovery time against maxTime; a server that did not
// recover in the observed time fails with that time.
func Recovery(r chaos.Recovery, what string, maxTime time.Duration) verdict.Check {
	c := verdict.Check{Expr: fmt.Sprintf("recovery after %s < %v", what, maxTime), Metric: "recovery_time", Unit: "s", Detail: r.String()}
	if !r.Recovered {
		c.Measured, c.Pass = r.Observed.Seconds(), false
		return c
	}
	c.Measured, c.Pass = r.Time.Seconds(), r.Time < maxTime
	return c
}

// CeilingMeasured checks that a ceiling run (stress.Ceiling) measured
// something with every session open: a level judged against no ceiling is
// judged on nothing.
func CeilingMeasured(c *framework.Summary, sessions int) verdict.Check {
	chk := verdict.Check{Expr: fmt.Sprintf("the ceiling was measured at %d sessions", sessions), Metric: "ceiling_rate",
		Unit: "msg/s", Measured: c.AchievedRate,
		Pass:   c.Ramp.Opened == sessions && c.Counts.Answered() > 0 && c.Conservation.Holds,
		Detail: fmt.Sprintf("raw echo, closed loop, %d sessions opened, %d round trips in %v", c.Ramp.Opened, c.Counts.Answered(), c.LoadDuration)}
	if c.Counts.Answered() == 0 {
		chk.NoData, chk.Measured = true, math.NaN()
	}
	return chk
}
