package chaos

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"
)

// recorder is a fault that records its injections and heals.
type recorder struct {
	mu            sync.Mutex
	inject, heals []time.Time
	draws         []uint64
	active        int
	fail          bool
}

func (f *recorder) Inject(_ context.Context, rnd *rand.Rand) (Injection, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return Injection{}, errors.New("refused")
	}
	f.inject = append(f.inject, time.Now())
	f.draws = append(f.draws, rnd.Uint64())
	f.active++
	return Injection{Kind: "rec", Heal: func(context.Context) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.heals = append(f.heals, time.Now())
		f.active--
		return nil
	}}, nil
}

func TestSchedulePlan(t *testing.T) {
	s := Schedule{Seed: 1, Entries: []Entry{
		{Name: "a", Fault: &recorder{}, Start: time.Second, Every: 2 * time.Second, For: 500 * time.Millisecond},
		{Name: "b", Fault: &recorder{}, Start: 1500 * time.Millisecond, For: time.Second},
		{Name: "c", Fault: &recorder{}, Every: time.Second, Count: 2},
	}}
	got := s.Plan(6 * time.Second)
	want := []Planned{
		{Entry: 2, N: 0, Start: 0, End: 0},
		{Entry: 0, N: 0, Start: time.Second, End: 1500 * time.Millisecond},
		{Entry: 2, N: 1, Start: time.Second, End: time.Second},
		{Entry: 1, N: 0, Start: 1500 * time.Millisecond, End: 2500 * time.Millisecond},
		{Entry: 0, N: 1, Start: 3 * time.Second, End: 3500 * time.Millisecond},
		{Entry: 0, N: 2, Start: 5 * time.Second, End: 5500 * time.Millisecond},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("plan\n got %+v\nwant %+v", got, want)
	}
	// An injection running past the end is cut at the end.
	if p := s.Plan(5200 * time.Millisecond); p[len(p)-1].End != 5200*time.Millisecond {
		t.Fatalf("last injection ends at %v", p[len(p)-1].End)
	}
}

func TestScheduleJitterReplaysFromTheSeed(t *testing.T) {
	mk := func(seed uint64) []Planned {
		return Schedule{Seed: seed, Entries: []Entry{{Fault: &recorder{}, Every: time.Second, For: 100 * time.Millisecond, Jitter: 500 * time.Millisecond}}}.Plan(10 * time.Second)
	}
	a, b, c := mk(7), mk(7), mk(8)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed planned differently")
	}
	if reflect.DeepEqual(a, c) {
		t.Fatal("another seed planned the same jitter")
	}
	for _, p := range a {
		if off := p.Start - time.Duration(p.N)*time.Second; off < 0 || off >= 500*time.Millisecond {
			t.Fatalf("injection %d jittered by %v, want [0, 500ms)", p.N, off)
		}
	}
}

func TestScheduleValidate(t *testing.T) {
	bad := Schedule{Entries: []Entry{
		{Name: "nil fault"},
		{Name: "overlap", Fault: &recorder{}, Every: time.Second, For: 800 * time.Millisecond, Jitter: 300 * time.Millisecond},
		{Name: "negative", Fault: &recorder{}, Start: -1},
	}}
	err := bad.Validate()
	if err == nil {
		t.Fatal("accepted")
	}
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 3 {
		t.Fatalf("%d problems reported, want all 3: %v", n, err)
	}
}

func TestScheduleRunInjectsOnTimeOverlapsAndHealsAtTheEnd(t *testing.T) {
	a, b := &recorder{}, &recorder{}
	s := Schedule{Seed: 3, Entries: []Entry{
		{Fault: a, Start: 50 * time.Millisecond, Every: 200 * time.Millisecond, For: 100 * time.Millisecond},
		{Fault: b, Start: 100 * time.Millisecond, For: time.Hour}, // still in force when the run ends
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	var seen int
	evs, err := s.Run(ctx, time.Hour, func(FaultEvent) { seen++ })
	if err != nil {
		t.Fatal(err)
	}
	// a: at 50, 250, 450 ms (the last cut short by the end); b: 100 ms to the end.
	if len(a.inject) != 3 || len(b.inject) != 1 || a.active != 0 || b.active != 0 {
		t.Fatalf("a injected %d (active %d), b %d (active %d)", len(a.inject), a.active, len(b.inject), b.active)
	}
	for i, at := range a.inject {
		want := time.Duration(50+200*i) * time.Millisecond
		if d := at.Sub(start) - want; d < 0 || d > 40*time.Millisecond {
			t.Errorf("injection %d at %v, planned %v", i, at.Sub(start), want)
		}
	}
	if len(evs) != 4 || seen != 4 {
		t.Fatalf("%d events (%d seen): %+v", len(evs), seen, evs)
	}
	for i, ev := range evs {
		if ev.Kind != "rec" || ev.End.Before(ev.At) || (i > 0 && ev.At.Before(evs[i-1].At)) {
			t.Fatalf("event %d: %+v", i, ev)
		}
	}
	// b overlapped a's second injection: several faults at once.
	if !(evs[1].At.Before(evs[2].At) && evs[1].End.After(evs[2].End)) {
		t.Fatalf("b (%v–%v) does not span a's second injection (%v–%v)", evs[1].At.Sub(start), evs[1].End.Sub(start), evs[2].At.Sub(start), evs[2].End.Sub(start))
	}
	// The injections' sources replay.
	a2 := &recorder{}
	_, _ = Schedule{Seed: 3, Entries: []Entry{{Fault: a2, Every: 10 * time.Millisecond, Count: 3}}}.Run(context.Background(), time.Second, nil)
	a3 := &recorder{}
	_, _ = Schedule{Seed: 3, Entries: []Entry{{Fault: a3, Every: 10 * time.Millisecond, Count: 3}}}.Run(context.Background(), time.Second, nil)
	if !reflect.DeepEqual(a2.draws, a3.draws) || a2.draws[0] == a2.draws[1] {
		t.Fatalf("draws %v and %v", a2.draws, a3.draws)
	}
}

func TestScheduleRecordsAFailedInjectionAndGoesOn(t *testing.T) {
	f := &recorder{fail: true}
	evs, err := Schedule{Entries: []Entry{{Name: "bad", Fault: f, Every: 10 * time.Millisecond, Count: 2}}}.Run(context.Background(), time.Second, nil)
	if err == nil || len(evs) != 2 || evs[0].Kind != "bad" {
		t.Fatalf("events %+v, err %v", evs, err)
	}
}

func TestScheduleDrivesProxyFaults(t *testing.T) {
	p := newProxy(t, startEcho(t))
	c, r := dialLines(t, p.Addr())
	if _, err := roundTrip(c, r, "up"); err != nil {
		t.Fatal(err)
	}
	s := Schedule{Seed: 1, Entries: []Entry{
		{Fault: ToxicFault{Proxy: p, Spec: ToxicSpec{Name: "lat", Toxic: Latency{Latency: 10 * time.Millisecond}}}, For: 50 * time.Millisecond},
		{Fault: PartitionFault{Proxy: p}, Start: 100 * time.Millisecond, For: 50 * time.Millisecond},
		{Fault: DropFault{Proxy: p, Fraction: 1}, Start: 200 * time.Millisecond},
		{Fault: Hook{Kind: "server_delay", On: func(_ context.Context, rnd *rand.Rand) (string, error) {
			return Range{Min: 100 * time.Millisecond, Max: 500 * time.Millisecond}.Pick(rnd).String(), nil
		}}},
	}}
	evs, err := s.Run(context.Background(), time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, ev := range evs {
		kinds[ev.Kind] = true
		if ev.End.IsZero() {
			t.Errorf("event %+v never ended", ev)
		}
	}
	for _, k := range []string{KindToxic, KindPartition, KindDrop, "server_delay"} {
		if !kinds[k] {
			t.Errorf("no %s event in %+v", k, evs)
		}
	}
	if len(p.Toxics()) != 0 || p.Partitioned() {
		t.Fatal("the schedule left faults in force")
	}
	if _, err := roundTrip(c, r, "after"); err == nil {
		t.Fatal("the dropped connection survived")
	}
}
