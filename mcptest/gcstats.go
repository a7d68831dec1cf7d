package mcptest

import (
	"math"
	"runtime/metrics"
	"time"
)

// GCStats are the reference server's own garbage-collection figures, read
// from runtime/metrics when /stats is asked: what a load test cannot see
// from outside the process (its RSS and CPU it can). Pauses are the
// stop-the-world pauses since the process started; a suite takes the
// difference of two snapshots for an interval.
type GCStats struct {
	Cycles uint64 `json:"cycles"`
	// Pauses is how many GC pauses there were; the quantiles are of all of
	// them (bucket upper bounds of the runtime's histogram).
	Pauses   uint64        `json:"pauses"`
	PauseP50 time.Duration `json:"pauseP50"`
	PauseP99 time.Duration `json:"pauseP99"`
	PauseMax time.Duration `json:"pauseMax"`
	// PauseBuckets and PauseCounts are the runtime's pause histogram
	// (seconds, upper bounds; counts), for differences over an interval.
	PauseBuckets []float64 `json:"pauseBuckets,omitempty"`
	PauseCounts  []uint64  `json:"pauseCounts,omitempty"`
	// HeapBytes is the live and unswept heap now.
	HeapBytes uint64 `json:"heapBytes"`
	// GCCPUSeconds is the CPU spent in GC since start.
	GCCPUSeconds float64 `json:"gcCPUSeconds"`
}

// readGCStats reads the process's GC figures.
func readGCStats() GCStats {
	samples := []metrics.Sample{
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/sched/pauses/total/gc:seconds"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/cpu/classes/gc/total:cpu-seconds"},
	}
	metrics.Read(samples)
	var g GCStats
	if v := samples[0].Value; v.Kind() == metrics.KindUint64 {
		g.Cycles = v.Uint64()
	}
	if v := samples[1].Value; v.Kind() == metrics.KindFloat64Histogram {
		h := v.Float64Histogram()
		g.PauseCounts = append([]uint64(nil), h.Counts...)
		g.PauseBuckets = append([]float64(nil), h.Buckets[1:]...) // upper bounds
		for i, b := range g.PauseBuckets {
			if math.IsInf(b, 1) { // JSON has no +Inf: the open last bucket keeps its lower bound
				g.PauseBuckets[i] = h.Buckets[i]
			}
		}
		for _, c := range h.Counts {
			g.Pauses += c
		}
		g.PauseP50, g.PauseP99, g.PauseMax = pauseQuantiles(h.Counts, h.Buckets, g.Pauses)
	}
	if v := samples[2].Value; v.Kind() == metrics.KindUint64 {
		g.HeapBytes = v.Uint64()
	}
	if v := samples[3].Value; v.Kind() == metrics.KindFloat64 {
		g.GCCPUSeconds = v.Float64()
	}
	return g
}

// pauseQuantiles reads p50, p99 and the largest pause from the runtime's
// histogram (upper bounds of the buckets reached; the last bucket is open,
// so its lower bound stands for it).
func pauseQuantiles(counts []uint64, buckets []float64, n uint64) (p50, p99, maxP time.Duration) {
	if n == 0 {
		return 0, 0, 0
	}
	upper := func(i int) time.Duration {
		b := buckets[i+1]
		if b > 1e9 {
			b = buckets[i]
		}
		return time.Duration(b * float64(time.Second))
	}
	r50, r99 := (n+1)/2, (n*99+99)/100
	var seen uint64
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
	return p50, p99, maxP
}
