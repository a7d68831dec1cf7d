package framework

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Summary is a Result with everything derived from it (by Summarize, the
// one place that derives): rates, latency figures, the conservation check
// and the thresholds. It is what suites assert on and reports read; its
// JSON carries the Result's fields inline.
type Summary struct {
	Result

	// OfferedRate is what the plan asked for over LoadDuration (requests
	// per second); ScheduledRate is what the executor actually scheduled
	// (sent or dropped); AchievedRate is answered requests per second over
	// LoadDuration.
	OfferedRate   float64 `json:"offered_rate"`
	ScheduledRate float64 `json:"scheduled_rate"`
	AchievedRate  float64 `json:"achieved_rate"`

	// Counts is Scheduled split by outcome (the sum of ByOp); Conservation
	// holds when they agree.
	Counts       OutcomeCounts `json:"counts"`
	ErrorRate    float64       `json:"error_rate"`
	DropRate     float64       `json:"drop_rate"`
	FailureRate  float64       `json:"failure_rate"`
	Conservation Conservation  `json:"conservation"`

	// Latency summarises Histograms (corrected from the intended send time,
	// uncorrected from the actual send, and the schedule lag).
	Latency LatencySummary `json:"latency"`

	Thresholds []ThresholdResult `json:"thresholds,omitempty"`
}

// Conservation is the check sent = ok + tool errors + rpc errors + transport
// errors + timeouts + dropped + cancelled, where "sent" is every request the
// executor scheduled (dropped ones were scheduled but never sent).
type Conservation struct {
	Scheduled uint64 `json:"scheduled"`
	Accounted uint64 `json:"accounted"`
	Holds     bool   `json:"holds"`
}

func (c Conservation) Error() error {
	if c.Holds {
		return nil
	}
	return fmt.Errorf("conservation violated: %d scheduled but %d accounted for (ok+tool+rpc+transport+timeout+dropped+cancelled)", c.Scheduled, c.Accounted)
}

// Passed reports whether Problems is empty.
func (s *Summary) Passed() bool { return len(s.Problems()) == 0 }

// Problems lists what failed, one line each: a conservation violation, a run
// stopped early (unless AllowEarlyStop), sessions that failed to open, and
// every failed threshold (a latency threshold over no answered request
// fails with "no data").
func (s *Summary) Problems() []string {
	var out []string
	if err := s.Conservation.Error(); err != nil {
		out = append(out, err.Error())
	}
	if s.Aborted != "" && !s.AllowEarlyStop {
		out = append(out, "run stopped early: "+s.Aborted)
	}
	if s.Ramp.Failed > 0 {
		out = append(out, fmt.Sprintf("%d of %d sessions failed to open", s.Ramp.Failed, s.Ramp.Requested))
	}
	for _, t := range s.Thresholds {
		if !t.Passed {
			out = append(out, "threshold "+t.String())
		}
	}
	return out
}

// AnsweredPerSession lists the requests the server answered on each opened
// session (the seeds' message distribution test).
func (s *Summary) AnsweredPerSession() []uint64 {
	out := make([]uint64, len(s.Sessions))
	for i, c := range s.Sessions {
		out[i] = c.Answered
	}
	return out
}

// SessionSpread returns min, max and the coefficient of variation of the
// per-session answered counts.
func (s *Summary) SessionSpread() (lo, hi uint64, cv float64) {
	counts := s.AnsweredPerSession()
	if len(counts) == 0 {
		return 0, 0, 0
	}
	lo = math.MaxUint64
	var sum float64
	for _, c := range counts {
		lo, hi = min(lo, c), max(hi, c)
		sum += float64(c)
	}
	mean := sum / float64(len(counts))
	if mean == 0 {
		return lo, hi, 0
	}
	var ss float64
	for _, c := range counts {
		d := float64(c) - mean
		ss += d * d
	}
	return lo, hi, math.Sqrt(ss/float64(len(counts))) / mean
}

// String is a short human summary (a few lines).
func (s *Summary) String() string {
	var b strings.Builder
	c := s.Counts
	fmt.Fprintf(&b, "%s: %v, offered %.1f/s, achieved %.1f/s; scheduled %d = ok %d + tool %d + rpc %d + transport %d + timeout %d + dropped %d + cancelled %d",
		s.Scenario, s.LoadDuration.Round(time.Millisecond), s.OfferedRate, s.AchievedRate, s.Scheduled,
		c.OK, c.ToolError, c.RPCError, c.TransportError, c.Timeout, c.Dropped, c.Cancelled)
	if !s.Conservation.Holds {
		b.WriteString(" (CONSERVATION VIOLATED)")
	}
	l := s.Latency.Corrected
	u := s.Latency.Uncorrected
	fmt.Fprintf(&b, "\n  latency (from intended send): p50 %v p95 %v p99 %v p99.9 %v max %v", l.P50, l.P95, l.P99, l.P999, l.Max)
	fmt.Fprintf(&b, "\n  latency (from actual send):   p50 %v p95 %v p99 %v p99.9 %v max %v", u.P50, u.P95, u.P99, u.P999, u.Max)
	fmt.Fprintf(&b, "\n  schedule lag: p99 %v max %v; sessions %d/%d opened", s.Latency.Lag.P99, s.Latency.Lag.Max, s.Ramp.Opened, s.Ramp.Requested)
	for _, t := range s.Thresholds {
		fmt.Fprintf(&b, "\n  %s", t)
	}
	if s.Aborted != "" {
		fmt.Fprintf(&b, "\n  aborted: %s", s.Aborted)
	}
	for _, w := range s.Warnings {
		fmt.Fprintf(&b, "\n  warning: %s", w)
	}
	return b.String()
}

// ServerRSSGrowth is the server's resident memory at the end minus at the
// start, in bytes; ok is false when the server was not sampled.
func (s *Summary) ServerRSSGrowth() (growth int64, ok bool) {
	a, b := s.ResourcesStart, s.ResourcesEnd
	if a == nil || b == nil || a.Server == nil || b.Server == nil || a.Server.Err != "" || b.Server.Err != "" {
		return 0, false
	}
	return int64(b.Server.RSSBytes) - int64(a.Server.RSSBytes), true
}
