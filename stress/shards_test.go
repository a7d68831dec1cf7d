package stress_test

import (
	"context"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/stress"
)

func echoScenario(name string, d time.Duration) framework.Scenario {
	return framework.Scenario{Name: name, Sessions: 30, Rate: 600, Duration: d, Pipeline: 8, // a busy machine queues, it does not drop
		Workload:   framework.Workload{Ops: []framework.Operation{framework.CallTool("echo", map[string]any{"message": "s"}).WithWeight(3), framework.ListTools()}},
		Thresholds: []string{"error_rate < 1%", "throughput >= 550/s", "p99 < 500ms over 1s"},
		Config:     framework.Config{CollectionInterval: 250 * time.Millisecond}}
}

// A run split over 3 local shard processes agrees with the unsplit run:
// the same hits with the same operations, every one answered, latencies
// within the machine's noise, the same verdicts.
func TestLocalShardsAgreeWithAnUnsplitRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts shard processes")
	}
	whole := stress.RunWith(t, "", echoScenario("unsplit", 2*time.Second), stress.Options{})
	split := stress.RunWith(t, "", echoScenario("unsplit", 2*time.Second), stress.Options{Shards: 3})
	if split.Parts != 3 || !split.Slice.Whole() {
		t.Fatalf("parts %d slice %v, want 3 merged into the whole", split.Parts, split.Slice)
	}
	if split.Scheduled != whole.Scheduled || split.Scheduled != 1200 {
		t.Errorf("scheduled %d split, %d unsplit, want 1200 both", split.Scheduled, whole.Scheduled)
	}
	for op, c := range whole.ByOp {
		if s := split.ByOp[op]; s.Total() != c.Total() {
			t.Errorf("%s: %d split, %d unsplit (the same hits must get the same operation)", op, s.Total(), c.Total())
		}
	}
	if float64(split.Counts.Answered()) < 0.99*float64(split.Scheduled) || len(split.Sessions) != 30 || split.Ramp.Opened != 30 {
		t.Errorf("split: %d answered of %d, %d sessions (%d opened)", split.Counts.Answered(), split.Scheduled, len(split.Sessions), split.Ramp.Opened)
	}
	if p, q := split.Latency.Corrected.P50, whole.Latency.Corrected.P50; p > 5*q+2*time.Millisecond {
		t.Errorf("p50 %v split, %v unsplit", p, q)
	}
	if len(split.Intervals) < 7 || split.Intervals[0].Resources == nil || split.Intervals[0].Resources.Server == nil {
		t.Errorf("%d merged intervals; the first without the server's sample: %+v", len(split.Intervals), split.Intervals[0].Resources)
	}
	for i := range whole.Thresholds {
		if a, b := split.Thresholds[i], whole.Thresholds[i]; a.Passed != b.Passed {
			t.Errorf("%s: split %v, unsplit %v", a.Threshold.Expr, a, b)
		}
	}
}

// Stopping the parent stops every shard: each writes what it measured,
// in-flight requests counted as cancelled, and the merged run says it
// stopped early with every request still accounted for.
func TestStoppingTheParentStopsEveryShard(t *testing.T) {
	if testing.Short() {
		t.Skip("starts shard processes")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sc := echoScenario("stopped", 20*time.Second)
	start := time.Now()
	sum := stress.RunWith(t, "", sc, stress.Options{Shards: 2, NoFail: true, Context: ctx,
		Progress: func(p framework.Progress) {
			if p.Elapsed >= time.Second {
				cancel()
			}
		}})
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("the stop took %v: the shards did not stop", d)
	}
	if sum.Aborted == "" || !sum.Conservation.Holds || sum.Parts != 2 {
		t.Errorf("aborted %q, conservation %v, parts %d", sum.Aborted, sum.Conservation, sum.Parts)
	}
	if sum.Scheduled == 0 || sum.Scheduled >= uint64(sc.Rate*20) {
		t.Errorf("scheduled %d: want the part of the plan before the stop", sum.Scheduled)
	}
}

// The embedded server as two processes sharing one port: both are sampled
// and summed, and the run is served as by one.
func TestTheEmbeddedServerAsSeveralProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	sum := stress.RunWith(t, "", echoScenario("two-servers", time.Second), stress.Options{ServerProcesses: 2})
	end := sum.ResourcesEnd
	if end == nil || end.Server == nil || end.Server.Processes != 2 || end.Server.RSSBytes == 0 {
		t.Fatalf("server sample %+v, want two processes summed", end)
	}
	if sum.Counts.Answered() != sum.Scheduled {
		t.Errorf("%d answered of %d", sum.Counts.Answered(), sum.Scheduled)
	}
}
