package framework

import (
	"fmt"
	"strconv"
	"strings"
)

// Slice is part Index of Count of a scenario: the unit of scale. Hit k of
// the scenario's pacer belongs to slice k mod Count, and the sessions are
// dealt out in contiguous blocks, so Count processes (local shards, pods of
// a Kubernetes Indexed Job, jobs of a CI matrix) each run one slice from a
// shared epoch and their Results merge into exactly the run one process
// would have made. Hit numbers stay global, so each hit's operation is the
// one it would have been unsplit. The zero Slice is the whole scenario.
type Slice struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// ParseSlice reads "i/N" (0-based i, as MCPSTRESS_SHARD has it).
func ParseSlice(s string) (Slice, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Slice{}, fmt.Errorf("slice %q: want i/N, e.g. 0/3", s)
	}
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if err1 != nil || err2 != nil {
		return Slice{}, fmt.Errorf("slice %q: want i/N with whole numbers, e.g. 0/3", s)
	}
	sl := Slice{Index: i, Count: n}
	return sl, sl.Validate()
}

// Validate checks 0 <= Index < Count (the zero Slice is valid: the whole).
func (s Slice) Validate() error {
	if s == (Slice{}) {
		return nil
	}
	if s.Count < 1 || s.Index < 0 || s.Index >= s.Count {
		return fmt.Errorf("slice %d/%d: want 0 <= i < N", s.Index, s.Count)
	}
	return nil
}

// Whole reports whether the slice is the whole scenario.
func (s Slice) Whole() bool { return s.Count <= 1 }

func (s Slice) String() string {
	if s.Whole() {
		return "0/1"
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

func (s Slice) n() uint64 { return uint64(max(s.Count, 1)) }

// Hit is the global number of the slice's j-th hit.
func (s Slice) Hit(j uint64) uint64 { return j*s.n() + uint64(s.Index) }

// Owns reports whether hit k belongs to the slice.
func (s Slice) Owns(k uint64) bool { return k%s.n() == uint64(s.Index) }

// Sessions is how many of total sessions the slice opens: total/N, one more
// for the first total%N slices.
func (s Slice) Sessions(total int) int {
	if s.Whole() {
		return total
	}
	n := total / s.Count
	if s.Index < total%s.Count {
		n++
	}
	return n
}

// FirstSession is the global index of the slice's first session.
func (s Slice) FirstSession(total int) int {
	if s.Whole() {
		return 0
	}
	q, r := total/s.Count, total%s.Count
	return s.Index*q + min(s.Index, r)
}

// Share is the slice's part of a planned hit count: the hits k < hits with
// k mod N == Index, counted on the integral (so the shares sum to hits).
func (s Slice) Share(hits float64) float64 {
	if s.Whole() {
		return hits
	}
	return hits / float64(s.Count)
}
