package report

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeClock advances by step on every reading.
type fakeClock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

func TestBuilderCollectsConcurrentResultsAndStreamsThem(t *testing.T) {
	clock := &fakeClock{t: fixtureStart, step: time.Millisecond}
	b := NewBuilder("r", fixtureStart, Environment{}, clock.now)
	sub := b.Subscribe(1000)
	const workers, perWorker = 8, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				n := NewTest(fmt.Sprintf("T%d_%d", w, i), StatusPassed, time.Second).AddMetric("rate", "msg/s", float64(i), BetterHigher)
				b.Progress(fmt.Sprintf("suite%d", w%2), n.Name, Metric{Name: "rate", Value: float64(i)})
				b.AddResult(fmt.Sprintf("suite%d", w%2), n)
				n.Metrics[0].Value = -1 // the builder must have its own copy
			}
		}()
	}
	wg.Wait()
	b.AddFault("suite0", FaultEvent{Kind: "crash", Start: time.Second})
	b.Warn("", "run warning")
	b.Close()

	counts := map[EventType]int{}
	for e := range sub.C {
		counts[e.Type]++
		if e.Type == EventResult && e.Node.Metrics[0].Value < 0 {
			t.Errorf("event node shares memory with the caller: %+v", e.Node.Metrics)
		}
	}
	total := workers * perWorker
	if counts[EventResult] != total || counts[EventProgress] != total || counts[EventFault] != 1 || counts[EventWarning] != 1 || sub.Dropped() != 0 {
		t.Errorf("events %v dropped %d; want %d results, %d progress, 1 fault, 1 warning, 0 dropped", counts, sub.Dropped(), total, total)
	}
	r := b.Snapshot()
	got := r.Totals()
	faults := 0
	for _, s := range r.Suites {
		if s.Name == "suite0" {
			faults = len(s.Faults)
		}
	}
	if got.Tests != total || got.Passed != total || len(r.Suites) != 2 || faults != 1 || len(r.Warnings) != 1 {
		t.Errorf("snapshot totals %+v, %d suites, %d faults on suite0", got, len(r.Suites), faults)
	}
	r.Walk(func(_ []string, n *Node) {
		if m, ok := n.Metric("rate"); ok && m.Value < 0 {
			t.Errorf("%s: stored result was modified by the caller", n.Name)
		}
	})
	if r.Duration <= 0 {
		t.Errorf("snapshot duration %v", r.Duration)
	}
}

func TestSlowSubscriberCountsDroppedEventsWithoutBlocking(t *testing.T) {
	b := NewBuilder("r", fixtureStart, Environment{}, nil)
	sub := b.Subscribe(2)
	for i := range 10 {
		b.Progress("s", "t", Metric{Name: "i", Value: float64(i)})
	}
	if got := sub.Dropped(); got != 8 {
		t.Errorf("dropped %d, want 8", got)
	}
	sub.Close()
	sub.Close() // idempotent
	n := 0
	for range sub.C {
		n++
	}
	if n != 2 {
		t.Errorf("received %d buffered events, want 2", n)
	}
	b.Progress("s", "t") // no subscribers left: must not panic
}
