package framework

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// ResourceSample is one reading of the resources of the server process (when
// the framework started it and knows its PID) and of the test process itself.
type ResourceSample struct {
	At     time.Time      `json:"at"`
	Server *ProcessSample `json:"server,omitempty"`
	Self   SelfSample     `json:"self"`
	Host   *HostSample    `json:"host,omitempty"`
}

// ProcessSample is read from /proc/<pid>: of one server process, or summed
// over a server that runs as several processes (SO_REUSEPORT), Processes of
// them. CPUPercent is over the time since the previous sample (100 = one
// core busy); it is 0 in the first sample.
type ProcessSample struct {
	PID        int     `json:"pid"`
	Processes  int     `json:"processes,omitempty"`
	RSSBytes   uint64  `json:"rss_bytes"`
	CPUPercent float64 `json:"cpu_percent"`
	OpenFDs    int     `json:"open_fds"`
	Threads    int     `json:"threads"`
	// Err says why the process could not be read (it exited, /proc is not
	// mounted); the other fields are then zero.
	Err string `json:"error,omitempty"`
}

// SelfSample is the test process: memory, goroutines and GC from
// runtime/metrics, CPU from the kernel's accounting (getrusage).
type SelfSample struct {
	HeapBytes uint64 `json:"heap_bytes"` // live and unswept heap objects
	// LiveHeapBytes is the heap the last GC found live: it moves only at
	// a GC and holds no garbage, so its trend is what the process retains
	// (the heap figures above saw-tooth between collections).
	LiveHeapBytes uint64 `json:"live_heap_bytes,omitempty"`
	TotalBytes    uint64 `json:"total_bytes"` // all memory mapped by the Go runtime
	Goroutines    uint64 `json:"goroutines"`
	GCCycles      uint64 `json:"gc_cycles"` // cumulative
	// CPUPercent is user+system CPU time the process used since the
	// previous sample over the wall time between them (100 = one core
	// busy); 0 in the first sample and where getrusage is unavailable.
	CPUPercent float64 `json:"cpu_percent"`
	// GCCPUPct is the share of the runtime's available CPU (GOMAXPROCS ×
	// wall, /cpu/classes/total) spent in GC since the previous sample, from
	// /cpu/classes/gc/total ÷ /cpu/classes/total. The runtime updates both
	// at GC, so it is 0 when no GC ran in between.
	GCCPUPct   float64       `json:"gc_cpu_percent"`
	GCPauses   uint64        `json:"gc_pauses"` // pauses in this interval
	GCPauseP50 time.Duration `json:"gc_pause_p50"`
	GCPauseP99 time.Duration `json:"gc_pause_p99"`
	GCPauseMax time.Duration `json:"gc_pause_max"`
}

// Sampler takes ResourceSamples; it keeps the previous reading so it can
// turn cumulative CPU times and pause histograms into per-interval figures.
// It is used from one goroutine.
type Sampler struct {
	pids     []int
	procRoot string
	// clockHz is the unit of utime/stime in /proc/<pid>/stat: Linux's
	// USER_HZ, which the kernel fixes at 100 for user space on every ABI Go
	// supports (whatever CONFIG_HZ is), so it is not read from sysconf.
	clockHz float64
	samples []metrics.Sample
	index   map[string]int

	prevAt      time.Time
	prevProc    map[int]procReading // per server pid, until it changes
	prevSelfCPU time.Duration
	selfCPUOK   bool
	prevCPU     float64
	prevGCCPU   float64
	prevPauses  []uint64
}

const (
	metricHeap       = "/memory/classes/heap/objects:bytes"
	metricLiveHeap   = "/gc/heap/live:bytes"
	metricTotal      = "/memory/classes/total:bytes"
	metricGoroutines = "/sched/goroutines:goroutines"
	metricGCCycles   = "/gc/cycles/total:gc-cycles"
	metricCPUTotal   = "/cpu/classes/total:cpu-seconds"
	metricCPUGC      = "/cpu/classes/gc/total:cpu-seconds"
	metricGCPauses   = "/sched/pauses/total/gc:seconds"
)

// procReading is a server process's CPU ticks when it was last read.
type procReading struct {
	at    time.Time
	ticks float64
}

// NewSampler returns a sampler for the server's processes pids (none, or
// 0: the server is not ours to measure, only the test process is sampled).
// A server of several processes is summed.
func NewSampler(pids ...int) *Sampler {
	s := &Sampler{procRoot: "/proc", clockHz: 100, index: map[string]int{}, prevProc: map[int]procReading{}}
	s.SetPIDs(pids...)
	supported := map[string]bool{}
	for _, d := range metrics.All() {
		supported[d.Name] = true
	}
	for _, name := range []string{metricHeap, metricLiveHeap, metricTotal, metricGoroutines, metricGCCycles, metricCPUTotal, metricCPUGC, metricGCPauses} {
		if supported[name] {
			s.index[name] = len(s.samples)
			s.samples = append(s.samples, metrics.Sample{Name: name})
		}
	}
	return s
}

// SetPID switches the sampled server process (a restarted server has a new
// PID); the next sample of it starts its CPU figure afresh. 0 stops
// sampling the server.
func (s *Sampler) SetPID(pid int) { s.SetPIDs(pid) }

// SetPIDs switches the sampled server processes; zeros are left out.
func (s *Sampler) SetPIDs(pids ...int) {
	s.pids = s.pids[:0]
	for _, p := range pids {
		if p > 0 {
			s.pids = append(s.pids, p)
		}
	}
}

// PID is the (first) server process being sampled (0: none).
func (s *Sampler) PID() int {
	if len(s.pids) == 0 {
		return 0
	}
	return s.pids[0]
}

// Sample reads everything now.
func (s *Sampler) Sample(now time.Time) ResourceSample {
	out := ResourceSample{At: now, Self: s.self(now), Host: s.host()}
	if len(s.pids) > 0 {
		p := s.processes(now)
		out.Server = &p
	}
	s.prevAt = now
	return out
}

// processes sums the server's processes; a sample fails only when none of
// them could be read (a server of several processes with one killed is
// still measured, and Processes says how many were).
func (s *Sampler) processes(now time.Time) ProcessSample {
	if len(s.pids) == 1 {
		p := s.process(s.pids[0], now)
		if p.Err == "" {
			p.Processes = 1
		}
		return p
	}
	sum := ProcessSample{PID: s.pids[0]}
	var errs []string
	for _, pid := range s.pids {
		p := s.process(pid, now)
		if p.Err != "" {
			errs = append(errs, fmt.Sprintf("pid %d: %s", pid, p.Err))
			continue
		}
		sum.Processes++
		sum.RSSBytes += p.RSSBytes
		sum.CPUPercent += p.CPUPercent
		sum.OpenFDs += p.OpenFDs
		sum.Threads += p.Threads
	}
	if sum.Processes == 0 {
		sum.Err = strings.Join(errs, "; ")
	}
	return sum
}

func (s *Sampler) value(name string) (metrics.Value, bool) {
	i, ok := s.index[name]
	if !ok {
		return metrics.Value{}, false
	}
	return s.samples[i].Value, true
}

func (s *Sampler) u64(name string) uint64 {
	if v, ok := s.value(name); ok && v.Kind() == metrics.KindUint64 {
		return v.Uint64()
	}
	return 0
}

func (s *Sampler) f64(name string) float64 {
	if v, ok := s.value(name); ok && v.Kind() == metrics.KindFloat64 {
		return v.Float64()
	}
	return 0
}

func (s *Sampler) self(now time.Time) SelfSample {
	metrics.Read(s.samples)
	out := SelfSample{
		HeapBytes:     s.u64(metricHeap),
		LiveHeapBytes: s.u64(metricLiveHeap),
		TotalBytes:    s.u64(metricTotal),
		Goroutines:    s.u64(metricGoroutines),
		GCCycles:      s.u64(metricGCCycles),
	}
	selfCPU, selfOK := selfCPUTime()
	cpu, gc := s.f64(metricCPUTotal), s.f64(metricCPUGC)
	if !s.prevAt.IsZero() {
		if wall := now.Sub(s.prevAt).Seconds(); wall > 0 && selfOK && s.selfCPUOK && selfCPU >= s.prevSelfCPU {
			out.CPUPercent = 100 * (selfCPU - s.prevSelfCPU).Seconds() / wall
		}
		if dt := cpu - s.prevCPU; dt > 0 {
			out.GCCPUPct = 100 * (gc - s.prevGCCPU) / dt
		}
	}
	s.prevSelfCPU, s.selfCPUOK = selfCPU, selfOK
	s.prevCPU, s.prevGCCPU = cpu, gc
	if v, ok := s.value(metricGCPauses); ok && v.Kind() == metrics.KindFloat64Histogram {
		h := v.Float64Histogram()
		delta := make([]uint64, len(h.Counts))
		for i, c := range h.Counts {
			delta[i] = c
			if i < len(s.prevPauses) {
				delta[i] = c - s.prevPauses[i]
			}
		}
		s.prevPauses = append(s.prevPauses[:0], h.Counts...)
		out.GCPauses, out.GCPauseP50, out.GCPauseP99, out.GCPauseMax = pauseStats(delta, h.Buckets)
	}
	return out
}

// pauseStats reads count, p50, p99 and max from a runtime/metrics histogram
// (counts[i] falls in [buckets[i], buckets[i+1])); each quantile is the
// upper bound of its bucket, so it never understates a pause.
func pauseStats(counts []uint64, buckets []float64) (n uint64, p50, p99, maxP time.Duration) {
	for _, c := range counts {
		n += c
	}
	if n == 0 {
		return 0, 0, 0, 0
	}
	upper := func(i int) time.Duration {
		b := buckets[i+1]
		if math.IsInf(b, 1) {
			b = buckets[i]
		}
		return time.Duration(b * float64(time.Second))
	}
	var seen uint64
	r50, r99 := (n+1)/2, uint64(math.Ceil(float64(n)*0.99))
	for i, c := range counts {
		if c == 0 {
			continue
		}
		before := seen
		seen += c
		if before < r50 && seen >= r50 {
			p50 = upper(i)
		}
		if before < r99 && seen >= r99 {
			p99 = upper(i)
		}
		maxP = upper(i)
	}
	return n, p50, p99, maxP
}

func (s *Sampler) process(pid int, now time.Time) ProcessSample {
	p := ProcessSample{PID: pid}
	dir := fmt.Sprintf("%s/%d", s.procRoot, pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		p.Err = err.Error()
		return p
	}
	ticks, threads, rssPages, err := parseProcStat(stat)
	if err != nil {
		p.Err = err.Error()
		return p
	}
	p.Threads = threads
	p.RSSBytes = rssPages * uint64(os.Getpagesize())
	if status, err := os.ReadFile(dir + "/status"); err == nil {
		if kb, ok := statusField(status, "VmRSS:"); ok {
			p.RSSBytes = kb * 1024
		}
	}
	if ents, err := os.ReadDir(dir + "/fd"); err == nil {
		p.OpenFDs = len(ents)
	}
	if prev, ok := s.prevProc[pid]; ok {
		if wall := now.Sub(prev.at).Seconds(); wall > 0 && ticks >= prev.ticks {
			p.CPUPercent = 100 * (ticks - prev.ticks) / s.clockHz / wall
		}
	}
	s.prevProc[pid] = procReading{at: now, ticks: ticks}
	return p
}

// parseProcStat reads utime+stime (clock ticks), num_threads and rss (pages)
// from /proc/<pid>/stat. The command name may hold spaces and parentheses, so
// fields are counted after the last ')'.
func parseProcStat(b []byte) (ticks float64, threads int, rssPages uint64, err error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, 0, fmt.Errorf("proc stat: no command field in %q", b)
	}
	f := strings.Fields(string(b[i+1:]))
	// After ')': state(3) ppid(4) ... utime(14) stime(15) ... num_threads(20) ... rss(24).
	field := func(n int) (uint64, error) {
		idx := n - 3
		if idx < 0 || idx >= len(f) {
			return 0, fmt.Errorf("proc stat: field %d missing", n)
		}
		return strconv.ParseUint(f[idx], 10, 64)
	}
	ut, e1 := field(14)
	st, e2 := field(15)
	th, e3 := field(20)
	rss, e4 := field(24)
	for _, e := range []error{e1, e2, e3, e4} {
		if e != nil {
			return 0, 0, 0, e
		}
	}
	return float64(ut + st), int(th), rss, nil
}

// statusField reads a "Name:   123 kB" line of /proc/<pid>/status.
func statusField(b []byte, name string) (uint64, bool) {
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, name); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				return 0, false
			}
			v, err := strconv.ParseUint(f[0], 10, 64)
			return v, err == nil
		}
	}
	return 0, false
}
