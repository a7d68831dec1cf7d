package framework

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mcpstress/mcpstress/framework/client"
)

// Result is what one run measured, as one value that merges exactly: counts
// by operation and outcome, JSON-RPC error codes, the three latency
// histograms, per-interval counts and histograms on a grid anchored at
// Epoch, and per-session counts. The same value comes from one process, from
// each of N shard processes, or from N pods; Merge adds them, and Summarize
// turns any of them into the Summary that suites, thresholds and reports
// read. Nothing in a Result is derived from another field of it.
type Result struct {
	Scenario    string `json:"scenario"`
	Model       Model  `json:"model"`
	Target      string `json:"target"`
	Description string `json:"description"`

	// Epoch anchors the interval grid: interval k covers
	// [Epoch+k·Interval, Epoch+(k+1)·Interval). A single process uses the
	// start of its load; shards share one epoch so their intervals align.
	Epoch    time.Time     `json:"epoch"`
	Interval time.Duration `json:"interval"`

	// Start and End bound the load phase (after the session ramp),
	// including the graceful stop; LoadDuration is how long requests were
	// scheduled.
	Start        time.Time     `json:"start"`
	End          time.Time     `json:"end"`
	LoadDuration time.Duration `json:"load_duration"`

	// Offered is how many requests the plan asked for over LoadDuration
	// (the pacer's hit count; for the closed model, what was scheduled);
	// Scheduled is every request the executor scheduled (sent or dropped).
	Offered   float64 `json:"offered"`
	Scheduled uint64  `json:"scheduled"`

	ByOp       map[string]OutcomeCounts `json:"by_op"`
	RPCCodes   map[int]uint64           `json:"rpc_codes,omitempty"`
	Histograms LatencySet               `json:"histograms"`

	// Intervals is the time series on the grid (the most recent
	// RetentionPeriod of it; IntervalsEvicted older ones were dropped from
	// memory).
	Intervals        []IntervalSnapshot `json:"intervals"`
	IntervalsEvicted int                `json:"intervals_evicted,omitempty"`

	// ResourcesStart and ResourcesEnd are the first and last resource
	// samples; every interval carries its own.
	ResourcesStart *ResourceSample `json:"resources_start,omitempty"`
	ResourcesEnd   *ResourceSample `json:"resources_end,omitempty"`

	Ramp RampStats `json:"ramp"`
	// Sessions holds, per opened session, how many requests the server
	// answered on it and their summed latency from the intended send: the
	// message-distribution test judges the server's answers, not the
	// dispatcher's even hand-out.
	Sessions []SessionCount `json:"sessions"`
	// Reconnects sums the sessions' reconnects (client.ReconnectCounter):
	// how often a broken session tried to come back and how often it did.
	Reconnects Reconnects `json:"reconnects"`
	// Containment is what the scenario's containment did (zero without
	// one): attempts, retries, breaker rejections.
	Containment ContainmentStats `json:"containment"`
	// Clamped counts latencies above 1 h recorded as 1 h.
	Clamped uint64 `json:"clamped,omitempty"`

	// Aborted says why the run stopped early ("" when it ran its course).
	Aborted string `json:"aborted,omitempty"`
	// AbortedBy is the expression of the threshold that stopped the run.
	AbortedBy string `json:"aborted_by,omitempty"`
	// AllowEarlyStop is copied from the scenario: the suite stops the run on
	// purpose, so Aborted is not a problem.
	AllowEarlyStop bool     `json:"allow_early_stop,omitempty"`
	Warnings       []string `json:"warnings,omitempty"`
	// ServerStderr is the tail of what the target's server processes wrote
	// to stderr (stdio targets). Run leaves it empty; the caller that owns
	// the stderr copy fills it in, as package stress does.
	ServerStderr string `json:"server_stderr,omitempty"`
	// Parts is how many results were merged into this one (1 for a single
	// run).
	Parts int `json:"parts"`
	// Slice is the part of the scenario this result measured (zero: all of
	// it, or a merge of every part).
	Slice Slice `json:"slice"`
	// Thresholds are the scenario's pass criteria, so that a merge of
	// slices is judged by the same ones (EvaluateThresholds).
	ThresholdExprs []string `json:"threshold_exprs,omitempty"`
}

// Reconnects counts reconnect attempts and successes over a run's sessions.
type Reconnects struct {
	Attempts  int64 `json:"attempts"`
	Succeeded int64 `json:"succeeded"`
}

// countReconnects sums the reconnect counters of the sessions that keep
// them.
func countReconnects(sessions []client.Session) Reconnects {
	var r Reconnects
	for _, s := range sessions {
		if c, ok := s.(client.ReconnectCounter); ok {
			r.Attempts += c.ReconnectAttempts()
			r.Succeeded += c.Reconnects()
		}
	}
	return r
}

// SessionCount is one session's answered requests and the sum of their
// latencies from the intended send time.
type SessionCount struct {
	Answered   uint64        `json:"answered"`
	LatencySum time.Duration `json:"latency_sum"`
}

// MeanLatency is LatencySum / Answered, zero when nothing was answered.
func (c SessionCount) MeanLatency() time.Duration {
	if c.Answered == 0 {
		return 0
	}
	return c.LatencySum / time.Duration(c.Answered)
}

// Counts is the sum of ByOp.
func (r *Result) Counts() OutcomeCounts {
	var c OutcomeCounts
	for _, oc := range r.ByOp {
		c.Add(oc)
	}
	return c
}

// ErrMergeMismatch is wrapped by Merge when two results cannot be one run.
var ErrMergeMismatch = errors.New("results do not belong to one run")

// Merge adds o into r: counts and histograms add exactly, intervals with the
// same grid index merge, sessions of o follow those of r (shards own
// disjoint sessions), the time span grows to cover both. It refuses results
// of another scenario or another interval length, reporting every mismatch
// at once; r is unchanged then.
func (r *Result) Merge(o *Result) error {
	var errs []error
	if r.Scenario != o.Scenario {
		errs = append(errs, fmt.Errorf("scenario %q vs %q", r.Scenario, o.Scenario))
	}
	if r.Interval != o.Interval {
		errs = append(errs, fmt.Errorf("interval %v vs %v", r.Interval, o.Interval))
	}
	if !r.Epoch.Equal(o.Epoch) {
		errs = append(errs, fmt.Errorf("epoch %v vs %v", r.Epoch, o.Epoch))
	}
	if r.Model != o.Model {
		errs = append(errs, fmt.Errorf("model %q vs %q", r.Model, o.Model))
	}
	if a, b := planOf(r.Description), planOf(o.Description); a != "" && b != "" && a != b {
		// The slices ran different plans (a rate each derived alone).
		errs = append(errs, fmt.Errorf("plans differ: %q vs %q", r.Description, o.Description))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrMergeMismatch, err)
	}
	if r.Parts == 0 {
		r.Parts = 1
	}
	r.Parts += max(o.Parts, 1)
	if r.Description == "" {
		r.Description = o.Description
	}
	if len(r.ThresholdExprs) == 0 {
		r.ThresholdExprs = o.ThresholdExprs
	}
	if r.Start.IsZero() || (!o.Start.IsZero() && o.Start.Before(r.Start)) {
		r.Start = o.Start
	}
	if o.End.After(r.End) {
		r.End = o.End
	}
	r.LoadDuration = max(r.LoadDuration, o.LoadDuration)
	r.Offered += o.Offered
	r.Scheduled += o.Scheduled
	if r.ByOp == nil {
		r.ByOp = map[string]OutcomeCounts{}
	}
	for op, c := range o.ByOp {
		oc := r.ByOp[op]
		oc.Add(c)
		r.ByOp[op] = oc
	}
	for code, n := range o.RPCCodes {
		if r.RPCCodes == nil {
			r.RPCCodes = map[int]uint64{}
		}
		r.RPCCodes[code] += n
	}
	intervals, err := mergeIntervals(r.Intervals, o.Intervals)
	if err != nil {
		return fmt.Errorf("merge intervals: %w", err)
	}
	r.Histograms = mergeSets(r.Histograms, o.Histograms)
	r.Intervals = intervals
	r.IntervalsEvicted = max(r.IntervalsEvicted, o.IntervalsEvicted)
	if r.ResourcesStart == nil {
		r.ResourcesStart = o.ResourcesStart
	}
	if r.ResourcesEnd == nil {
		r.ResourcesEnd = o.ResourcesEnd
	}
	r.Ramp.merge(o.Ramp)
	r.Sessions = append(r.Sessions, o.Sessions...)
	r.Clamped += o.Clamped
	r.Reconnects.Attempts += o.Reconnects.Attempts
	r.Reconnects.Succeeded += o.Reconnects.Succeeded
	r.Containment.add(o.Containment)
	if r.Aborted == "" {
		r.Aborted, r.AbortedBy = o.Aborted, o.AbortedBy
	}
	r.Warnings = append(r.Warnings, o.Warnings...)
	if o.ServerStderr != "" {
		r.ServerStderr += o.ServerStderr
	}
	return nil
}

// planOf is a run's description without its target (slices may measure
// their own servers, as a per-machine ceiling does).
func planOf(desc string) string {
	i := strings.Index(desc, " against ")
	if i < 0 {
		return desc
	}
	j := strings.Index(desc[i:], "; ")
	if j < 0 {
		return desc[:i]
	}
	return desc[:i] + desc[i+j:]
}

// mergeSets adds b into a copy of a (either may be empty).
func mergeSets(a, b LatencySet) LatencySet {
	out := newLatencySet()
	for _, s := range []LatencySet{a, b} {
		if s.Corrected != nil {
			out.Corrected.Merge(s.Corrected.Histogram)
		}
		if s.Uncorrected != nil {
			out.Uncorrected.Merge(s.Uncorrected.Histogram)
		}
		if s.Lag != nil {
			out.Lag.Merge(s.Lag.Histogram)
		}
	}
	return out
}

// mergeIntervals merges two series by grid index; the output is ordered by
// index.
func mergeIntervals(a, b []IntervalSnapshot) ([]IntervalSnapshot, error) {
	byIndex := make(map[int]int, len(a))
	out := make([]IntervalSnapshot, 0, len(a)+len(b))
	for _, s := range a {
		byIndex[s.Index] = len(out)
		out = append(out, s)
	}
	for _, s := range b {
		i, ok := byIndex[s.Index]
		if !ok {
			byIndex[s.Index] = len(out)
			out = append(out, s)
			continue
		}
		m, err := out[i].merged(s)
		if err != nil {
			return nil, fmt.Errorf("interval %d: %w", s.Index, err)
		}
		out[i] = m
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out, nil
}

// merged is s and o (the same grid interval of two shards) as one interval:
// counts and histograms add, the span covers both, throughput is
// recomputed from the sum.
func (s IntervalSnapshot) merged(o IntervalSnapshot) (IntervalSnapshot, error) {
	a, errA := s.HDR.Decode()
	b, errB := o.HDR.Decode()
	if err := errors.Join(errA, errB); err != nil {
		return IntervalSnapshot{}, err
	}
	m := s
	if o.Start.Before(m.Start) {
		m.Start = o.Start
	}
	if o.End.After(m.End) {
		m.End = o.End
	}
	m.Counts.Add(o.Counts)
	m.ByOp = make(map[string]OutcomeCounts, len(s.ByOp))
	for _, byOp := range []map[string]OutcomeCounts{s.ByOp, o.ByOp} {
		for op, c := range byOp {
			oc := m.ByOp[op]
			oc.Add(c)
			m.ByOp[op] = oc
		}
	}
	set := mergeSets(a, b)
	m.HDR, m.Latency = set.encode(), set.stats()
	if span := m.End.Sub(m.Start); span > 0 {
		m.Throughput = float64(m.Counts.Answered()) / span.Seconds()
	}
	m.Resources = mergeResources(s.Resources, o.Resources)
	return m, nil
}

// mergeResources combines two processes' samples of one interval: the
// generator's own figures (Self) add up over its processes, the server's
// sample is kept from whichever process took one.
func mergeResources(a, b *ResourceSample) *ResourceSample {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	m := *a
	if m.Server == nil {
		m.Server = b.Server
	}
	s, o := &m.Self, b.Self
	s.HeapBytes += o.HeapBytes
	s.LiveHeapBytes += o.LiveHeapBytes
	s.TotalBytes += o.TotalBytes
	s.Goroutines += o.Goroutines
	s.GCCycles += o.GCCycles
	s.CPUPercent += o.CPUPercent
	s.GCPauses += o.GCPauses
	s.GCPauseP50 = max(s.GCPauseP50, o.GCPauseP50)
	s.GCPauseP99 = max(s.GCPauseP99, o.GCPauseP99)
	s.GCPauseMax = max(s.GCPauseMax, o.GCPauseMax)
	s.GCCPUPct = max(s.GCCPUPct, o.GCCPUPct)
	return &m
}

// merge adds o's ramp into r's: counts add, the ramp lasted as long as the
// longer one, connect-time stats keep the worse tail (the full distribution
// is not kept), errors keep up to maxRampErrors kinds.
func (r *RampStats) merge(o RampStats) {
	r.Requested += o.Requested
	r.Opened += o.Opened
	r.Failed += o.Failed
	r.Duration = max(r.Duration, o.Duration)
	if o.Connect.Max > r.Connect.Max {
		r.Connect.Max = o.Connect.Max
	}
	if o.Connect.P99 > r.Connect.P99 {
		r.Connect.P99 = o.Connect.P99
	}
	r.Connect.Count += o.Connect.Count
	for k, v := range o.Errors {
		if r.Errors == nil {
			r.Errors = map[string]int{}
		}
		if _, ok := r.Errors[k]; ok || len(r.Errors) < maxRampErrors {
			r.Errors[k] += v
		}
	}
}

// Summarize computes everything a run's verdicts and reports read from r:
// rates, latency figures, the conservation check and every threshold (over
// the whole run, and over sliding windows of r's intervals). It is the one
// place these are derived, for a single run and a merged one alike.
func Summarize(r *Result, thresholds []Threshold) *Summary {
	s := &Summary{Result: *r}
	c := r.Counts()
	s.Counts = c
	s.ErrorRate, s.DropRate, s.FailureRate = c.ErrorRate(), c.DropRate(), c.FailureRate()
	s.Latency = r.Histograms.stats()
	if d := r.LoadDuration; d > 0 {
		s.AchievedRate = float64(c.Answered()) / d.Seconds()
		s.ScheduledRate = float64(r.Scheduled) / d.Seconds()
		s.OfferedRate = r.Offered / d.Seconds()
	}
	s.Conservation = Conservation{Scheduled: r.Scheduled, Accounted: c.Total(), Holds: r.Scheduled == c.Total()}
	s.Thresholds = EvaluateThresholds(r, thresholds)
	for _, w := range []string{hostDropsWarning(r.ResourcesStart, r.ResourcesEnd), hostStealWarning(r.ResourcesStart, r.ResourcesEnd)} {
		if w != "" && !slices.Contains(s.Warnings, w) {
			s.Warnings = append(slices.Clip(s.Warnings), w)
		}
	}
	return s
}

// Duration is End − Start: the load phase including the graceful stop.
func (r *Result) Duration() time.Duration { return r.End.Sub(r.Start) }

// FromIntervals makes r's totals (ByOp, Scheduled, Histograms) the sum of
// its intervals: for a result known only by its interval log (a shard that
// died, or a run still going that a parent merges live).
func (r *Result) FromIntervals() error {
	r.ByOp = map[string]OutcomeCounts{}
	r.Histograms = newLatencySet()
	var total OutcomeCounts
	for _, s := range r.Intervals {
		for op, c := range s.ByOp {
			oc := r.ByOp[op]
			oc.Add(c)
			r.ByOp[op] = oc
		}
		total.Add(s.Counts)
		set, err := s.HDR.Decode()
		if err != nil {
			return fmt.Errorf("interval %d: %w", s.Index, err)
		}
		r.Histograms = mergeSets(r.Histograms, set)
	}
	r.Scheduled = total.Total()
	return nil
}

// MergeIntervals merges series of several processes by grid index (see
// Merge).
func MergeIntervals(a, b []IntervalSnapshot) ([]IntervalSnapshot, error) { return mergeIntervals(a, b) }
