package framework

import (
	"reflect"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestSlicesPartitionHitsAndSessions(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7} {
		for _, total := range []int{0, 1, 5, 150, 15000} {
			got := 0
			next := 0
			for i := range n {
				s := Slice{Index: i, Count: n}
				if s.FirstSession(total) != next {
					t.Fatalf("%v of %d: first session %d, want %d", s, total, s.FirstSession(total), next)
				}
				got += s.Sessions(total)
				next += s.Sessions(total)
			}
			if got != total {
				t.Errorf("%d slices of %d sessions open %d", n, total, got)
			}
		}
		seen := map[uint64]int{}
		for i := range n {
			s := Slice{Index: i, Count: n}
			for j := range uint64(100) {
				k := s.Hit(j)
				if !s.Owns(k) {
					t.Fatalf("%v does not own its hit %d", s, k)
				}
				seen[k]++
			}
		}
		for k := range uint64(100 * n) {
			if seen[k] != 1 {
				t.Fatalf("N=%d: hit %d dealt %d times", n, k, seen[k])
			}
		}
	}
}

func TestParseSlice(t *testing.T) {
	good := map[string]Slice{"0/3": {0, 3}, " 2/3 ": {2, 3}, "0/1": {0, 1}}
	for in, want := range good {
		if s, err := ParseSlice(in); err != nil || s != want {
			t.Errorf("ParseSlice(%q) = %v, %v; want %v", in, s, err, want)
		}
	}
	for _, bad := range []string{"3/3", "-1/3", "1/0", "1", "a/b", ""} {
		if _, err := ParseSlice(bad); err == nil {
			t.Errorf("ParseSlice(%q) accepted", bad)
		}
	}
}

// Three slices of a run, started at one epoch against the same server and
// merged, make the run one process makes: the same hits with the same
// operations, the same counts, the same latencies (the fake server's clock
// is the bubble's, so both are exact), the same verdicts.
func TestThreeSlicesMergeIntoTheUnsplitRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := Scenario{Name: "sliced", Sessions: 9, Rate: 300, Duration: 2 * time.Second,
			Workload:   Workload{Ops: []Operation{Ping().WithWeight(2), ListTools()}},
			Thresholds: []string{"p95 < 50ms over 1s", "error_rate < 1%", "throughput >= 290/s"},
			Config:     Config{CollectionInterval: 500 * time.Millisecond}}
		latency := func(n uint64) time.Duration { return time.Duration(1+n%5) * time.Millisecond }

		whole, err := Run(t.Context(), fakeTarget{&fakeServer{latency: latency}}, sc, RunOptions{Epoch: time.Now().Add(time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		epoch := time.Now().Add(time.Second)
		parts := make([]*Summary, 3)
		var wg sync.WaitGroup
		for i := range parts {
			wg.Go(func() {
				sum, err := Run(t.Context(), fakeTarget{&fakeServer{latency: latency}}, sc, RunOptions{Slice: Slice{Index: i, Count: 3}, Epoch: epoch})
				if err != nil {
					t.Error(err)
				}
				parts[i] = sum
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		merged := parts[0].Result
		for _, p := range parts[1:] {
			if err := merged.Merge(&p.Result); err != nil {
				t.Fatal(err)
			}
		}
		ths, err := ParseThresholds(merged.ThresholdExprs)
		if err != nil {
			t.Fatal(err)
		}
		got := Summarize(&merged, ths)
		if got.Scheduled != whole.Scheduled || got.Counts != whole.Counts || !reflect.DeepEqual(got.ByOp, whole.ByOp) {
			t.Errorf("merged %d %+v %v, unsplit %d %+v %v", got.Scheduled, got.Counts, got.ByOp, whole.Scheduled, whole.Counts, whole.ByOp)
		}
		if got.Latency != whole.Latency {
			t.Errorf("latency merged %+v, unsplit %+v", got.Latency.Corrected, whole.Latency.Corrected)
		}
		if got.OfferedRate != whole.OfferedRate || got.AchievedRate != whole.AchievedRate {
			t.Errorf("rates merged %v/%v, unsplit %v/%v", got.OfferedRate, got.AchievedRate, whole.OfferedRate, whole.AchievedRate)
		}
		if len(got.Sessions) != 9 || len(got.Intervals) != len(whole.Intervals) {
			t.Errorf("%d sessions, %d intervals merged; unsplit %d, %d", len(got.Sessions), len(got.Intervals), len(whole.Sessions), len(whole.Intervals))
		}
		for i := range got.Thresholds {
			a, b := got.Thresholds[i], whole.Thresholds[i]
			if a.Passed != b.Passed || a.Value != b.Value || a.WindowChecks != b.WindowChecks {
				t.Errorf("%s: merged %v, unsplit %v", a.Threshold.Expr, a, b)
			}
		}
	})
}
