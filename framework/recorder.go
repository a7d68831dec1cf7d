package framework

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/mcpstress/mcpstress/framework/client"
)

// Sample is how one scheduled request ended, as the executor hands it to the
// recorder. Durations come from the executor's clock:
//   - Corrected is from the intended send time to the end (wrk2's
//     correction for coordinated omission);
//   - Uncorrected is from the actual send to the end (the service time);
//   - Lag is from the intended to the actual send.
type Sample struct {
	Op          int // index into the recorder's operation names
	Session     int // index of the session that sent it; -1 if never sent
	Outcome     client.Outcome
	Code        int // JSON-RPC error code for RPCError
	Corrected   time.Duration
	Uncorrected time.Duration
	Lag         time.Duration
}

// HasLatency says which outcomes carry a latency worth a histogram:
// requests the server answered, and timeouts (recorded at the moment they
// were abandoned, a lower bound, so a stall shows). Transport errors are
// left out because a refused connection "answers" in microseconds and would
// flatter the percentiles; dropped and cancelled requests have no end.
func HasLatency(o client.Outcome) bool {
	switch o {
	case client.OK, client.ToolError, client.RPCError, client.Timeout:
		return true
	}
	return false
}

// RecorderConfig sizes a Recorder. Zero values: Stripes = 2×GOMAXPROCS
// (capped at 64); Retention = 0 keeps every interval in memory (set it for
// long runs); Window = 0 keeps no interval histograms for sliding windows;
// Epoch zero anchors the interval grid at the first Rotate's start;
// Interval zero numbers intervals in order.
type RecorderConfig struct {
	// Ops names the operations; Sample.Op indexes it.
	Ops []string
	// Sessions is the number of sessions, for per-session counts.
	Sessions int
	// Stripes is the number of independent recording slots in this
	// process (per-worker histogram sets, each behind its own mutex; not
	// the process shards of a distributed run). Workers map onto stripes by
	// index; more stripes mean less contention and more memory (≈560 KB
	// each, twice: one recording, one spare for rotation).
	Stripes int
	// Epoch and Interval define the grid on which intervals are numbered
	// (IntervalSnapshot.Index), so results of several processes align.
	Epoch    time.Time
	Interval time.Duration
	// Retention is how many interval snapshots stay in memory; older ones
	// are dropped from memory (and were written to Storage if set).
	Retention int
	// Window is how many most recent interval histogram sets to keep for
	// sliding-window thresholds.
	Window int
	// Storage, when set, receives every interval snapshot as one JSON line
	// as soon as it is taken.
	Storage io.Writer
}

// maxCodes bounds the distinct JSON-RPC error codes kept per interval.
const maxCodes = 64

// OtherCodes is the key under which RPC errors are counted once more than
// 64 distinct codes have been seen in one interval.
const OtherCodes = math.MinInt32

// Recorder collects samples from many goroutines. Recording is a shard's
// mutex and three histogram increments; exact counters are plain integers
// under the same mutex. Rotate folds the stripes into an interval snapshot
// and the cumulative totals.
type Recorder struct {
	ops      []string
	stripes  []recStripe
	sessions []sessionCounter
	clamped  atomic.Uint64
	grid     time.Duration

	mu        sync.Mutex // guards everything below
	cum       LatencySet
	cumCounts [][client.NumOutcomes]uint64
	cumCodes  map[int]uint64
	interval  LatencySet
	series    []IntervalSnapshot
	evicted   int
	window    []windowEntry // ring, oldest first after rotation
	windowCap int
	retention int
	storage   io.Writer
	storeErr  error
	last      time.Time
	epoch     time.Time
	next      int // index of the next interval when grid is zero
}

// sessionCounter is one session's answered requests and their summed
// corrected latency, updated without a lock.
type sessionCounter struct {
	answered   atomic.Uint64
	latencySum atomic.Int64
}

// windowEntry is one interval kept for sliding windows: only the non-empty
// buckets of its histograms (a few KB, not 560 KB), so a long window stays
// small; merging re-records each bucket exactly as Histogram.Merge does.
type windowEntry struct {
	corrected, uncorrected, lag []hdrhistogram.Bar
	counts                      [][client.NumOutcomes]uint64
	span                        time.Duration
}

func sparseOf(h *Histogram) []hdrhistogram.Bar {
	var out []hdrhistogram.Bar
	if h.TotalCount() == 0 {
		return nil
	}
	for _, b := range h.Distribution() {
		if b.Count > 0 {
			out = append(out, b)
		}
	}
	return out
}

func addSparse(h *Histogram, bars []hdrhistogram.Bar) {
	for _, b := range bars {
		_ = h.RecordValues(b.From, b.Count) // From is in range: it came from the same geometry
	}
}

type recStripe struct {
	mu     sync.Mutex
	set    LatencySet
	spare  LatencySet
	counts [][client.NumOutcomes]uint64
	codes  map[int]uint64
	_      [64]byte // keep neighbouring stripes' mutexes off one cache line
}

// NewRecorder returns a recorder; every problem with cfg is reported at once.
func NewRecorder(cfg RecorderConfig) (*Recorder, error) {
	var errs []error
	if len(cfg.Ops) == 0 {
		errs = append(errs, errors.New("recorder: at least one operation name is required"))
	}
	if cfg.Sessions < 0 {
		errs = append(errs, fmt.Errorf("recorder: sessions must be >= 0, got %d", cfg.Sessions))
	}
	if cfg.Stripes < 0 || cfg.Retention < 0 || cfg.Window < 0 || cfg.Interval < 0 {
		errs = append(errs, errors.New("recorder: stripes, retention, window and interval must be >= 0"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Stripes == 0 {
		cfg.Stripes = min(2*runtime.GOMAXPROCS(0), 64)
	}
	r := &Recorder{
		ops:       append([]string(nil), cfg.Ops...),
		stripes:   make([]recStripe, cfg.Stripes),
		sessions:  make([]sessionCounter, cfg.Sessions),
		epoch:     cfg.Epoch,
		grid:      cfg.Interval,
		cum:       newLatencySet(),
		cumCounts: make([][client.NumOutcomes]uint64, len(cfg.Ops)),
		cumCodes:  map[int]uint64{},
		interval:  newLatencySet(),
		windowCap: cfg.Window,
		storage:   cfg.Storage,
	}
	r.series = make([]IntervalSnapshot, 0, min(cfg.Retention, 4096))
	r.retention = cfg.Retention
	for i := range r.stripes {
		s := &r.stripes[i]
		s.set, s.spare = newLatencySet(), newLatencySet()
		s.counts = make([][client.NumOutcomes]uint64, len(cfg.Ops))
		s.codes = map[int]uint64{}
	}
	return r, nil
}

// Ops returns the operation names.
func (r *Recorder) Ops() []string { return append([]string(nil), r.ops...) }

// Record adds one sample. worker picks the stripe (any integer; workers that
// record concurrently should use different values).
func (r *Recorder) Record(worker int, s Sample) {
	if worker < 0 {
		worker = -worker
	}
	sh := &r.stripes[worker%len(r.stripes)]
	op := s.Op
	if op < 0 || op >= len(r.ops) {
		op = 0 // cannot happen from the executors; never lose the count
	}
	if int(s.Outcome) >= client.NumOutcomes {
		s.Outcome = client.TransportError // a session bug must not panic or lose the count
	}
	var clamped bool
	sh.mu.Lock()
	sh.counts[op][s.Outcome]++
	if s.Outcome == client.RPCError {
		code := s.Code
		if _, seen := sh.codes[code]; !seen && len(sh.codes) >= maxCodes {
			code = OtherCodes // a server inventing codes must not grow memory
		}
		sh.codes[code]++
	}
	if HasLatency(s.Outcome) {
		c1 := sh.set.Corrected.recordDuration(s.Corrected)
		c2 := sh.set.Uncorrected.recordDuration(s.Uncorrected)
		c3 := sh.set.Lag.recordDuration(s.Lag)
		clamped = c1 || c2 || c3
	}
	sh.mu.Unlock()
	if clamped {
		r.clamped.Add(1)
	}
	if s.Session >= 0 && s.Session < len(r.sessions) && answered(s.Outcome) {
		c := &r.sessions[s.Session]
		c.answered.Add(1)
		c.latencySum.Add(int64(s.Corrected))
	}
}

// IntervalSnapshot is one collection interval.
type IntervalSnapshot struct {
	Start      time.Time                `json:"start"`
	End        time.Time                `json:"end"`
	Counts     OutcomeCounts            `json:"counts"`
	ByOp       map[string]OutcomeCounts `json:"by_op"`
	Throughput float64                  `json:"throughput"` // answered requests per second
	Latency    LatencySummary           `json:"latency"`
	// Index is the interval's place on the run's grid (see
	// Result.Epoch): intervals of several shards with one index merge.
	Index int `json:"index"`
	// HDR is the interval's three histograms, encoded (a few KB where a
	// live histogram holds 188 KB), for sliding-window thresholds over a
	// merged result and for HDR interval logs.
	HDR EncodedSet `json:"hdr"`
	// Resources is filled by the sampler when one runs.
	Resources *ResourceSample `json:"resources,omitempty"`
}

// Rotate closes the interval that ended at now: it folds every shard into an
// interval snapshot, adds it to the cumulative totals, appends it to the
// series and the sliding window, and writes it to storage if configured.
func (r *Recorder) Rotate(start, now time.Time) IntervalSnapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	counts := make([][client.NumOutcomes]uint64, len(r.ops))
	codes := map[int]uint64{}
	for i := range r.stripes {
		sh := &r.stripes[i]
		sh.mu.Lock()
		sh.set, sh.spare = sh.spare, sh.set
		shCounts := sh.counts
		sh.counts = make([][client.NumOutcomes]uint64, len(r.ops))
		shCodes := sh.codes
		if len(shCodes) > 0 {
			sh.codes = map[int]uint64{}
		}
		sh.mu.Unlock()
		r.interval.merge(sh.spare)
		sh.spare.reset()
		for op := range shCounts {
			for o := range shCounts[op] {
				counts[op][o] += shCounts[op][o]
			}
		}
		for c, n := range shCodes {
			codes[c] += n
		}
	}
	r.cum.merge(r.interval)
	for op := range counts {
		for o := range counts[op] {
			r.cumCounts[op][o] += counts[op][o]
		}
	}
	for c, n := range codes {
		r.cumCodes[c] += n
	}

	snap := IntervalSnapshot{Start: start, End: now, Index: r.index(start), ByOp: map[string]OutcomeCounts{}, Latency: r.interval.stats()}
	for op, name := range r.ops {
		oc := OutcomeCounts{}
		oc.add(counts[op])
		snap.ByOp[name] = oc
		snap.Counts.add(counts[op])
	}
	if span := now.Sub(start); span > 0 {
		snap.Throughput = float64(snap.Counts.Answered()) / span.Seconds()
	}
	snap.HDR = r.interval.encode()

	// A final rotation at the same instant as the last tick holds nothing:
	// it is not an interval.
	keep := now.After(start) || snap.Counts.Total() > 0
	if keep && r.windowCap > 0 {
		if len(r.window) == r.windowCap {
			copy(r.window, r.window[1:])
			r.window = r.window[:len(r.window)-1]
		}
		r.window = append(r.window, windowEntry{
			corrected:   sparseOf(r.interval.Corrected),
			uncorrected: sparseOf(r.interval.Uncorrected),
			lag:         sparseOf(r.interval.Lag),
			counts:      counts,
			span:        now.Sub(start),
		})
	}
	r.interval.reset()

	if keep {
		r.series = append(r.series, snap)
	}
	if r.retention > 0 && len(r.series) > r.retention {
		drop := len(r.series) - r.retention
		r.evicted += drop
		r.series = append(r.series[:0], r.series[drop:]...)
	}
	if keep && r.storage != nil && r.storeErr == nil {
		b, err := json.Marshal(snap)
		if err == nil {
			b = append(b, '\n')
			_, err = r.storage.Write(b)
		}
		r.storeErr = err
	}
	r.last = now
	return snap
}

// Window merges the last n intervals (fewer if fewer exist) into one
// histogram set and counts, for sliding-window thresholds. span is the time
// they cover.
func (r *Recorder) Window(n int) (set LatencySet, counts OutcomeCounts, span time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	set = newLatencySet()
	if n > len(r.window) {
		n = len(r.window)
	}
	for _, e := range r.window[len(r.window)-n:] {
		addSparse(set.Corrected, e.corrected)
		addSparse(set.Uncorrected, e.uncorrected)
		addSparse(set.Lag, e.lag)
		for _, c := range e.counts {
			counts.add(c)
		}
		span += e.span
	}
	return set, counts, span
}

// Totals returns copies of the cumulative histograms and counts as of the
// last Rotate.
func (r *Recorder) Totals() (LatencySet, OutcomeCounts, map[string]OutcomeCounts, map[int]uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var total OutcomeCounts
	byOp := map[string]OutcomeCounts{}
	for op, name := range r.ops {
		oc := OutcomeCounts{}
		oc.add(r.cumCounts[op])
		byOp[name] = oc
		total.add(r.cumCounts[op])
	}
	codes := make(map[int]uint64, len(r.cumCodes))
	for c, n := range r.cumCodes {
		codes[c] = n
	}
	return r.cum.clone(), total, byOp, codes
}

// fill copies what the recorder holds into res: counts by operation, error
// codes, the cumulative histograms, the interval series and the
// per-session counts.
func (r *Recorder) fill(res *Result) {
	set, _, byOp, codes := r.Totals()
	res.ByOp, res.Histograms = byOp, set
	res.RPCCodes = nil
	if len(codes) > 0 {
		res.RPCCodes = codes
	}
	res.Intervals, res.IntervalsEvicted = r.Series()
	res.Sessions = r.Sessions()
	res.Clamped = r.Clamped()
}

// Series returns the retained interval snapshots and how many older ones
// were evicted from memory.
func (r *Recorder) Series() ([]IntervalSnapshot, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]IntervalSnapshot(nil), r.series...), r.evicted
}

// attachResources stores a resource sample on the most recent snapshot.
func (r *Recorder) attachResources(rs ResourceSample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.series) > 0 {
		r.series[len(r.series)-1].Resources = &rs
	}
}

// index places an interval starting at start on the grid: the nearest grid
// line, so a tick a few milliseconds late keeps its index. Without a grid
// intervals are numbered in order.
func (r *Recorder) index(start time.Time) int {
	if r.grid <= 0 {
		r.next++
		return r.next - 1
	}
	if r.epoch.IsZero() {
		r.epoch = start
	}
	return max(int((start.Sub(r.epoch)+r.grid/2)/r.grid), 0)
}

// Sessions returns, per session, the requests answered on it and their
// summed corrected latency.
func (r *Recorder) Sessions() []SessionCount {
	out := make([]SessionCount, len(r.sessions))
	for i := range r.sessions {
		c := &r.sessions[i]
		out[i] = SessionCount{Answered: c.answered.Load(), LatencySum: time.Duration(c.latencySum.Load())}
	}
	return out
}

// answered says which outcomes the server answered.
func answered(o client.Outcome) bool {
	return o == client.OK || o == client.ToolError || o == client.RPCError
}

// Clamped is how many samples had a latency above 1 h, recorded as 1 h.
func (r *Recorder) Clamped() uint64 { return r.clamped.Load() }

// StorageError is the first error writing snapshots to storage, if any.
func (r *Recorder) StorageError() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.storeErr
}

// OutcomeCounts counts requests by outcome; every field is exact.
type OutcomeCounts struct {
	OK             uint64 `json:"ok"`
	ToolError      uint64 `json:"tool_error"`
	RPCError       uint64 `json:"rpc_error"`
	TransportError uint64 `json:"transport_error"`
	Timeout        uint64 `json:"timeout"`
	Dropped        uint64 `json:"dropped"`
	Cancelled      uint64 `json:"cancelled"`
}

func (c *OutcomeCounts) add(a [client.NumOutcomes]uint64) {
	c.OK += a[client.OK]
	c.ToolError += a[client.ToolError]
	c.RPCError += a[client.RPCError]
	c.TransportError += a[client.TransportError]
	c.Timeout += a[client.Timeout]
	c.Dropped += a[client.Dropped]
	c.Cancelled += a[client.Cancelled]
}

// Add adds o to c.
func (c *OutcomeCounts) Add(o OutcomeCounts) {
	c.add(o.array())
}

func (c OutcomeCounts) array() [client.NumOutcomes]uint64 {
	var a [client.NumOutcomes]uint64
	a[client.OK], a[client.ToolError], a[client.RPCError], a[client.TransportError] = c.OK, c.ToolError, c.RPCError, c.TransportError
	a[client.Timeout], a[client.Dropped], a[client.Cancelled] = c.Timeout, c.Dropped, c.Cancelled
	return a
}

// Get returns the count of one outcome.
func (c OutcomeCounts) Get(o client.Outcome) uint64 {
	if int(o) >= client.NumOutcomes {
		return 0
	}
	return c.array()[o]
}

// Total is the sum over every outcome: the right-hand side of the
// conservation equation.
func (c OutcomeCounts) Total() uint64 {
	var t uint64
	for _, n := range c.array() {
		t += n
	}
	return t
}

// Answered counts requests the server answered: OK, tool errors and JSON-RPC
// errors. Throughput is answered requests per second.
func (c OutcomeCounts) Answered() uint64 { return c.OK + c.ToolError + c.RPCError }

// Errors counts failed requests that were sent: tool errors, JSON-RPC
// errors, transport errors and timeouts (not dropped or cancelled ones).
func (c OutcomeCounts) Errors() uint64 {
	return c.ToolError + c.RPCError + c.TransportError + c.Timeout
}

// ErrorRate is Errors over the requests that were sent and ended (every
// outcome but dropped and cancelled); 0 when there were none. It leaves
// dropped requests out on purpose (the server never saw them): judge those
// with DropRate, or both together with FailureRate.
func (c OutcomeCounts) ErrorRate() float64 {
	ended := c.OK + c.Errors()
	if ended == 0 {
		return 0
	}
	return float64(c.Errors()) / float64(ended)
}

// FailureRate is what a user saw fail: errors, timeouts and dropped requests
// over every scheduled request that was not cancelled by the end of the run;
// 0 when there were none. Unlike ErrorRate it counts drops.
func (c OutcomeCounts) FailureRate() float64 {
	t := c.Total() - c.Cancelled
	if t == 0 {
		return 0
	}
	return float64(c.Errors()+c.Dropped) / float64(t)
}

// DropRate is Dropped over every scheduled request; 0 when there were none.
func (c OutcomeCounts) DropRate() float64 {
	t := c.Total()
	if t == 0 {
		return 0
	}
	return float64(c.Dropped) / float64(t)
}

// sortedCodes lists JSON-RPC codes in ascending order, for stable output.
func sortedCodes(m map[int]uint64) []int {
	out := make([]int, 0, len(m))
	for c := range m {
		out = append(out, c)
	}
	sort.Ints(out)
	return out
}
