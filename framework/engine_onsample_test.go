package framework

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcpstress/mcpstress/framework/client"
)

// Every scheduled request reaches OnSample exactly once, with the outcome
// the recorder counted and a latency only where the histograms keep one.
func TestOnSampleSeesEveryScheduledRequestOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &fakeServer{
			latency: func(n uint64) time.Duration {
				if n%7 == 3 {
					return 80 * time.Millisecond // a slot stays busy: later hits drop
				}
				return time.Millisecond
			},
			outcome: func(n uint64) client.Outcome {
				switch n % 5 {
				case 1:
					return client.ToolError
				case 2:
					return client.RPCError
				case 3:
					return client.TransportError
				}
				return client.OK
			},
		}
		sc := pingScenario("on-sample", 2, 200, 2*time.Second)
		var mu sync.Mutex
		var seen [client.NumOutcomes]uint64
		latencyWhereNone := 0
		sum, err := Run(t.Context(), fakeTarget{srv}, sc, RunOptions{
			OnSample: func(op string, o client.Outcome, latency time.Duration) {
				mu.Lock()
				defer mu.Unlock()
				if op != "ping" {
					t.Errorf("op %q, want ping", op)
				}
				seen[o]++
				if !HasLatency(o) && latency != 0 {
					latencyWhereNone++
				}
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		var got OutcomeCounts
		got.add(seen)
		if got != sum.Counts {
			t.Errorf("OnSample saw %+v, the recorder counted %+v", got, sum.Counts)
		}
		if got.Total() != sum.Scheduled {
			t.Errorf("OnSample saw %d requests, %d were scheduled", got.Total(), sum.Scheduled)
		}
		for _, o := range []client.Outcome{client.OK, client.ToolError, client.RPCError, client.TransportError, client.Dropped} {
			if got.Get(o) == 0 {
				t.Errorf("no %v request: the test does not cover that class", o)
			}
		}
		if latencyWhereNone != 0 {
			t.Errorf("%d samples without a latency class carried one", latencyWhereNone)
		}
	})
}
