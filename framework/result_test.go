package framework

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework/client"
)

// recordInto feeds the same stream of samples to recorders: sample k goes to
// recorder k mod len(recs) (the shard slicing), at grid interval k/perInterval.
func recordInto(t *testing.T, recs []*Recorder, epoch time.Time, n, perInterval int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	outcomes := []client.Outcome{client.OK, client.OK, client.OK, client.ToolError, client.RPCError, client.Timeout, client.Dropped, client.TransportError}
	for k := 0; k < n; k++ {
		rec := recs[k%len(recs)]
		o := outcomes[rng.IntN(len(outcomes))]
		s := Sample{Op: rng.IntN(2), Session: k % 6, Outcome: o, Code: -32000 - rng.IntN(3),
			Corrected:   time.Duration(rng.ExpFloat64()*5e6) + time.Microsecond,
			Uncorrected: time.Duration(rng.ExpFloat64()*2e6) + time.Microsecond,
			Lag:         time.Duration(rng.ExpFloat64() * 1e5)}
		if o == client.Dropped {
			s.Session = -1
		}
		rec.Record(k, s)
		if (k+1)%perInterval == 0 {
			i := k / perInterval
			for _, r := range recs {
				r.Rotate(epoch.Add(time.Duration(i)*time.Second), epoch.Add(time.Duration(i+1)*time.Second))
			}
		}
	}
}

func resultOf(rec *Recorder, epoch time.Time, scheduled uint64) *Result {
	res := &Result{Scenario: "s", Epoch: epoch, Interval: time.Second, Start: epoch, End: epoch.Add(10 * time.Second),
		LoadDuration: 10 * time.Second, Scheduled: scheduled, Offered: float64(scheduled), Parts: 1}
	rec.fill(res)
	return res
}

// N shards' merged result equals one process's result for the same
// recorded values: counts, codes, every histogram and every interval, and
// so every figure and verdict derived from them.
func TestMergedShardsEqualOneProcess(t *testing.T) {
	epoch := time.Unix(5000, 0)
	const n, per = 30000, 3000
	cfg := func(sessions int) RecorderConfig {
		return RecorderConfig{Ops: []string{"a", "b"}, Sessions: sessions, Epoch: epoch, Interval: time.Second}
	}
	one, err := NewRecorder(cfg(6))
	if err != nil {
		t.Fatal(err)
	}
	recordInto(t, []*Recorder{one}, epoch, n, per, 7)
	var shards []*Recorder
	for range 3 {
		r, err := NewRecorder(cfg(6))
		if err != nil {
			t.Fatal(err)
		}
		shards = append(shards, r)
	}
	recordInto(t, shards, epoch, n, per, 7)

	whole := resultOf(one, epoch, n)
	merged := resultOf(shards[0], epoch, n/3)
	for _, s := range shards[1:] {
		// Through JSON, as shard files travel.
		b, err := json.Marshal(resultOf(s, epoch, n/3))
		if err != nil {
			t.Fatal(err)
		}
		var back Result
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if err := merged.Merge(&back); err != nil {
			t.Fatal(err)
		}
	}
	if merged.Parts != 3 {
		t.Errorf("parts %d, want 3", merged.Parts)
	}
	if !reflect.DeepEqual(whole.ByOp, merged.ByOp) || !reflect.DeepEqual(whole.RPCCodes, merged.RPCCodes) || whole.Scheduled != merged.Scheduled {
		t.Errorf("counts differ:\n one   %v %v\n merged %v %v", whole.ByOp, whole.RPCCodes, merged.ByOp, merged.RPCCodes)
	}
	for name, pair := range map[string][2]*Histogram{
		"corrected":   {whole.Histograms.Corrected, merged.Histograms.Corrected},
		"uncorrected": {whole.Histograms.Uncorrected, merged.Histograms.Uncorrected},
		"lag":         {whole.Histograms.Lag, merged.Histograms.Lag},
	} {
		if !pair[0].Equals(pair[1].Histogram) {
			t.Errorf("%s histograms differ", name)
		}
	}
	if len(whole.Intervals) != len(merged.Intervals) {
		t.Fatalf("%d intervals vs %d merged", len(whole.Intervals), len(merged.Intervals))
	}
	for i := range whole.Intervals {
		a, b := whole.Intervals[i], merged.Intervals[i]
		if a.Index != b.Index || a.Counts != b.Counts || !reflect.DeepEqual(a.ByOp, b.ByOp) || a.Latency != b.Latency {
			t.Errorf("interval %d differs:\n one    %d %+v %+v\n merged %d %+v %+v", i, a.Index, a.Counts, a.Latency.Corrected, b.Index, b.Counts, b.Latency.Corrected)
		}
	}
	ths, err := ParseThresholds([]string{"p95 < 20ms over 3s", "error_rate < 50%", "throughput >= 1000/s"})
	if err != nil {
		t.Fatal(err)
	}
	ws, ms := Summarize(whole, ths), Summarize(merged, ths)
	if ws.Latency != ms.Latency || ws.Counts != ms.Counts || ws.AchievedRate != ms.AchievedRate || ws.ErrorRate != ms.ErrorRate {
		t.Errorf("summaries differ:\n one    %v\n merged %v", ws, ms)
	}
	for i := range ws.Thresholds {
		a, b := ws.Thresholds[i], ms.Thresholds[i]
		if a.Passed != b.Passed || a.Value != b.Value || a.WindowChecks != b.WindowChecks || a.WindowFailures != b.WindowFailures {
			t.Errorf("threshold %s: one %+v, merged %+v", a.Threshold.Expr, a, b)
		}
	}
	// Sessions: shard i recorded every third sample, so each shard saw
	// every session; their counts add up to the single process's.
	var one6, merged6 [6]uint64
	for i, c := range whole.Sessions {
		one6[i%6] += c.Answered
	}
	for i, c := range merged.Sessions {
		merged6[i%6] += c.Answered
	}
	if one6 != merged6 {
		t.Errorf("session answers %v vs merged %v", one6, merged6)
	}
}

func TestMergeRefusesResultsOfAnotherRun(t *testing.T) {
	a := &Result{Scenario: "a", Interval: time.Second, Epoch: time.Unix(1, 0)}
	b := &Result{Scenario: "b", Interval: 2 * time.Second, Epoch: time.Unix(2, 0)}
	err := a.Merge(b)
	if !errors.Is(err, ErrMergeMismatch) {
		t.Fatalf("err = %v, want ErrMergeMismatch", err)
	}
	for _, want := range []string{"scenario", "interval", "epoch"} {
		if !contains(err.Error(), want) {
			t.Errorf("error %q does not name the %s", err, want)
		}
	}
	if a.Scenario != "a" || a.Parts != 0 {
		t.Errorf("a changed: %+v", a)
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && (s[:len(sub)] == sub || contains(s[1:], sub)))
}
