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
	Outcome     Outcome
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
func HasLatency(o Outcome) bool {
	switch o {
	case OK, ToolError, RPCError, Timeout:
		return true
	}
	return false
}

// RecorderConfig sizes a Recorder. Zero values: Shards = 2×GOMAXPROCS
// (capped at 64); Retention = 0 keeps every interval in memory (set it for
// long runs); Window = 0 keeps no interval histograms for sliding windows.
type RecorderConfig struct {
	// Ops names the operations; Sample.Op indexes it.
	Ops []string
	// Sessions is the number of sessions, for per-session counts.
	Sessions int
	// Shards is the number of independent recording slots (per-worker
	// histogram sets, each behind its own mutex). Workers map onto shards by
	// index; more shards mean less contention and more memory (≈560 KB
	// each, twice: one recording, one spare for rotation).
	Shards int
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
// under the same mutex. Rotate folds the shards into an interval snapshot
// and the cumulative totals.
type Recorder struct {
	ops      []string
	shards   []recShard
	sessions []atomic.Uint64
	clamped  atomic.Uint64

	mu        sync.Mutex // guards everything below
	cum       LatencySet
	cumCounts [][NumOutcomes]uint64
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
}

// windowEntry is one interval kept for sliding windows: only the non-empty
// buckets of its histograms (a few KB, not 560 KB), so a long window stays
// small; merging re-records each bucket exactly as Histogram.Merge does.
type windowEntry struct {
	corrected, uncorrected, lag []hdrhistogram.Bar
	counts                      [][NumOutcomes]uint64
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

type recShard struct {
	mu     sync.Mutex
	set    LatencySet
	spare  LatencySet
	counts [][NumOutcomes]uint64
	codes  map[int]uint64
	_      [64]byte // keep neighbouring shards' mutexes off one cache line
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
	if cfg.Shards < 0 || cfg.Retention < 0 || cfg.Window < 0 {
		errs = append(errs, errors.New("recorder: shards, retention and window must be >= 0"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Shards == 0 {
		cfg.Shards = min(2*runtime.GOMAXPROCS(0), 64)
	}
	r := &Recorder{
		ops:       append([]string(nil), cfg.Ops...),
		shards:    make([]recShard, cfg.Shards),
		sessions:  make([]atomic.Uint64, cfg.Sessions),
		cum:       newLatencySet(),
		cumCounts: make([][NumOutcomes]uint64, len(cfg.Ops)),
		cumCodes:  map[int]uint64{},
		interval:  newLatencySet(),
		windowCap: cfg.Window,
		storage:   cfg.Storage,
	}
	r.series = make([]IntervalSnapshot, 0, min(cfg.Retention, 4096))
	r.retention = cfg.Retention
	for i := range r.shards {
		s := &r.shards[i]
		s.set, s.spare = newLatencySet(), newLatencySet()
		s.counts = make([][NumOutcomes]uint64, len(cfg.Ops))
		s.codes = map[int]uint64{}
	}
	return r, nil
}

// Ops returns the operation names.
func (r *Recorder) Ops() []string { return append([]string(nil), r.ops...) }

// Record adds one sample. worker picks the shard (any integer; workers that
// record concurrently should use different values).
func (r *Recorder) Record(worker int, s Sample) {
	if worker < 0 {
		worker = -worker
	}
	sh := &r.shards[worker%len(r.shards)]
	op := s.Op
	if op < 0 || op >= len(r.ops) {
		op = 0 // cannot happen from the executors; never lose the count
	}
	if int(s.Outcome) >= NumOutcomes {
		s.Outcome = TransportError // a session bug must not panic or lose the count
	}
	var clamped bool
	sh.mu.Lock()
	sh.counts[op][s.Outcome]++
	if s.Outcome == RPCError {
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
	if s.Session >= 0 && s.Session < len(r.sessions) && s.Outcome != Dropped {
		r.sessions[s.Session].Add(1)
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
	// CorrectedHDR is the interval's corrected-latency histogram in the
	// HdrHistogram V2 compressed encoding (base64), a few hundred bytes, for
	// HDR interval logs (hdrhistogram.Decode reads it).
	CorrectedHDR string `json:"corrected_hdr,omitempty"`
	// Resources is filled by the sampler when one runs.
	Resources *ResourceSample `json:"resources,omitempty"`
}

// Rotate closes the interval that ended at now: it folds every shard into an
// interval snapshot, adds it to the cumulative totals, appends it to the
// series and the sliding window, and writes it to storage if configured.
func (r *Recorder) Rotate(start, now time.Time) IntervalSnapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	counts := make([][NumOutcomes]uint64, len(r.ops))
	codes := map[int]uint64{}
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		sh.set, sh.spare = sh.spare, sh.set
		shCounts := sh.counts
		sh.counts = make([][NumOutcomes]uint64, len(r.ops))
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

	snap := IntervalSnapshot{Start: start, End: now, ByOp: map[string]OutcomeCounts{}, Latency: r.interval.stats()}
	for op, name := range r.ops {
		oc := OutcomeCounts{}
		oc.add(counts[op])
		snap.ByOp[name] = oc
		snap.Counts.add(counts[op])
	}
	if span := now.Sub(start); span > 0 {
		snap.Throughput = float64(snap.Counts.Answered()) / span.Seconds()
	}
	if enc, err := r.interval.Corrected.Encode(hdrhistogram.V2CompressedEncodingCookieBase); err == nil {
		snap.CorrectedHDR = string(enc)
	}

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

// SessionCounts returns how many requests each session sent.
func (r *Recorder) SessionCounts() []uint64 {
	out := make([]uint64, len(r.sessions))
	for i := range r.sessions {
		out[i] = r.sessions[i].Load()
	}
	return out
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

func (c *OutcomeCounts) add(a [NumOutcomes]uint64) {
	c.OK += a[OK]
	c.ToolError += a[ToolError]
	c.RPCError += a[RPCError]
	c.TransportError += a[TransportError]
	c.Timeout += a[Timeout]
	c.Dropped += a[Dropped]
	c.Cancelled += a[Cancelled]
}

// Add adds o to c.
func (c *OutcomeCounts) Add(o OutcomeCounts) {
	c.add(o.array())
}

func (c OutcomeCounts) array() [NumOutcomes]uint64 {
	var a [NumOutcomes]uint64
	a[OK], a[ToolError], a[RPCError], a[TransportError] = c.OK, c.ToolError, c.RPCError, c.TransportError
	a[Timeout], a[Dropped], a[Cancelled] = c.Timeout, c.Dropped, c.Cancelled
	return a
}

// Get returns the count of one outcome.
func (c OutcomeCounts) Get(o Outcome) uint64 {
	if int(o) >= NumOutcomes {
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
