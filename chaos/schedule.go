package chaos

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// A Fault is anything a Schedule can switch on: Inject starts it (drawing
// any randomness from rnd, seeded by the schedule so a run replays) and
// returns how to end it. Process faults, proxy toxics and partitions,
// connection drops and the reference server's hooks all fit (see
// ToxicFault, PartitionFault, DropFault, Crash, Freeze, Hook).
type Fault interface {
	Inject(ctx context.Context, rnd *rand.Rand) (Injection, error)
}

// Injection is a fault in force: what it is (Kind and Detail go into its
// FaultEvent), how many connections it hit (when that means anything),
// and Heal, which ends it (nil for an instantaneous fault such as a
// reset).
type Injection struct {
	Kind   string
	Detail string
	Conns  int
	Heal   func(ctx context.Context) error
}

// healTimeout bounds a heal that runs after its schedule's context ended.
const healTimeout = 30 * time.Second

// ToxicFault adds a toxic to a proxy and removes it at the heal.
type ToxicFault struct {
	Proxy *Proxy
	Spec  ToxicSpec
}

func (f ToxicFault) Inject(context.Context, *rand.Rand) (Injection, error) {
	ev, err := f.Proxy.AddToxic(f.Spec)
	if err != nil {
		return Injection{}, err
	}
	return Injection{Kind: ev.Kind, Detail: ev.Detail, Conns: ev.Conns, Heal: func(context.Context) error {
		_, err := f.Proxy.RemoveToxic(f.Spec.Name)
		return err
	}}, nil
}

// PartitionFault partitions a proxy and heals it.
type PartitionFault struct{ Proxy *Proxy }

func (f PartitionFault) Inject(context.Context, *rand.Rand) (Injection, error) {
	ev, err := f.Proxy.Partition()
	if err != nil {
		return Injection{}, err
	}
	return Injection{Kind: ev.Kind, Detail: ev.Detail, Conns: ev.Conns, Heal: func(context.Context) error {
		_, err := f.Proxy.Heal()
		return err
	}}, nil
}

// NetnsPartition takes a namespace pair's link down and brings it up.
type NetnsPartition struct{ Netns *Netns }

func (f NetnsPartition) Inject(ctx context.Context, _ *rand.Rand) (Injection, error) {
	ev, err := f.Netns.Partition(ctx)
	if err != nil {
		return Injection{}, err
	}
	return Injection{Kind: ev.Kind, Detail: ev.Detail, Heal: func(ctx context.Context) error {
		_, err := f.Netns.Heal(ctx)
		return err
	}}, nil
}

// DropFault resets a fraction of a proxy's live connections (Proxy.Drop)
// with the schedule's seeded source; it is instantaneous.
type DropFault struct {
	Proxy    *Proxy
	Fraction float64
}

func (f DropFault) Inject(_ context.Context, rnd *rand.Rand) (Injection, error) {
	ev, err := f.Proxy.Drop(f.Fraction, rnd)
	if err != nil {
		return Injection{}, err
	}
	return Injection{Kind: ev.Kind, Detail: ev.Detail, Conns: ev.Conns}, nil
}

// Hook is a fault made of two functions: how the reference server's own
// fault hooks (mcptest.Server.SetFaults: a delay, a failing fraction, a
// blocked registry, a stall) or anything else outside this package are
// switched, without chaos importing them. On returns the detail for the
// event; Off may be nil.
type Hook struct {
	Kind string
	On   func(ctx context.Context, rnd *rand.Rand) (detail string, err error)
	Off  func(ctx context.Context) error
}

func (f Hook) Inject(ctx context.Context, rnd *rand.Rand) (Injection, error) {
	if f.On == nil {
		return Injection{}, fmt.Errorf("chaos: hook %q without On", f.Kind)
	}
	detail, err := f.On(ctx, rnd)
	if err != nil {
		return Injection{}, err
	}
	return Injection{Kind: f.Kind, Detail: detail, Heal: f.Off}, nil
}

// Range is a duration drawn uniformly from [Min, Max] — a server delay of
// 100–500 ms, say — with the injection's seeded source.
type Range struct{ Min, Max time.Duration }

// Pick draws from r with rnd (Min when rnd is nil or the range is empty).
func (r Range) Pick(rnd *rand.Rand) time.Duration {
	if rnd == nil || r.Max <= r.Min {
		return r.Min
	}
	return r.Min + time.Duration(rnd.Int64N(int64(r.Max-r.Min)+1))
}

// Schedule injects faults over a run: each Entry every Every for For,
// several entries at once if their times overlap. Every draw (jitter,
// and the rnd each injection gets) comes from Seed, per entry and
// injection, so a run replays and adding an entry changes no other's
// times.
type Schedule struct {
	Seed    uint64
	Entries []Entry
}

// Entry is one fault on a schedule.
type Entry struct {
	// Name labels the entry's events when the fault gives no kind.
	Name  string
	Fault Fault
	// Start is the first injection, from the schedule's start.
	Start time.Duration
	// Every is the period between injections; 0 injects once.
	Every time.Duration
	// For is how long each injection lasts before its heal; 0 heals at
	// once (for an instantaneous fault, nothing to heal).
	For time.Duration
	// Jitter delays each injection by a seeded draw in [0, Jitter); with
	// For it must fit in Every, so injections of one entry never overlap.
	Jitter time.Duration
	// Count caps the injections; 0 means as many as fit.
	Count int
}

// Validate reports every problem at once.
func (s Schedule) Validate() error {
	var errs []error
	for i, e := range s.Entries {
		name := cmp.Or(e.Name, fmt.Sprintf("entry %d", i))
		if e.Fault == nil {
			errs = append(errs, fmt.Errorf("chaos: schedule %s has no fault", name))
		}
		if e.Start < 0 || e.Every < 0 || e.For < 0 || e.Jitter < 0 || e.Count < 0 {
			errs = append(errs, fmt.Errorf("chaos: schedule %s: negative start, period, duration, jitter or count", name))
		}
		if e.Every > 0 && e.For+e.Jitter > e.Every {
			errs = append(errs, fmt.Errorf("chaos: schedule %s: For %v + Jitter %v exceed the period %v: injections would overlap", name, e.For, e.Jitter, e.Every))
		}
	}
	return errors.Join(errs...)
}

// Planned is one injection on a schedule: entry index, injection number
// (from 0), and its start and end from the schedule's start.
type Planned struct {
	Entry, N   int
	Start, End time.Duration
}

// rand is the source for injection n of entry i.
func (s Schedule) rand(i, n int) *rand.Rand {
	return rand.New(rand.NewPCG(s.Seed, uint64(i)<<32|uint64(n)))
}

// Plan lists the injections that start within total, by start time: a
// pure function of the schedule, so it can be checked before a run and
// compared after one. An injection that would end after total ends at
// total.
func (s Schedule) Plan(total time.Duration) []Planned {
	var out []Planned
	for i, e := range s.Entries {
		for n := 0; e.Count == 0 || n < e.Count; n++ {
			start := e.Start + time.Duration(n)*e.Every
			if e.Jitter > 0 {
				j := rand.New(rand.NewPCG(s.Seed, 1<<63|uint64(i)<<32|uint64(n))) // not the injection's stream
				start += time.Duration(j.Int64N(int64(e.Jitter)))
			}
			if start >= total {
				break
			}
			out = append(out, Planned{Entry: i, N: n, Start: start, End: min(start+e.For, total)})
			if e.Every == 0 {
				break
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Planned) int { return cmp.Compare(a.Start, b.Start) })
	return out
}

// Run carries out Plan(total) from now: each entry in its own goroutine,
// so entries overlap as planned. Each injection and its heal becomes one
// FaultEvent (At the injection, End the heal), passed to onEvent (which
// may be nil; it is called from several goroutines, one at a time) as
// each heals, and returned, by At. When ctx ends, every fault in force is
// healed (with a fresh bounded context) before Run returns, so nothing
// outlives it. A failed injection is recorded with its error in Detail
// and the schedule goes on; the errors are returned joined.
func (s Schedule) Run(ctx context.Context, total time.Duration, onEvent func(FaultEvent)) ([]FaultEvent, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	plan := s.Plan(total)
	var (
		mu     sync.Mutex
		events []FaultEvent
		errs   []error
		wg     sync.WaitGroup
	)
	record := func(ev FaultEvent, err error) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, ev)
		if err != nil {
			errs = append(errs, err)
		}
		if onEvent != nil {
			onEvent(ev)
		}
	}
	for i, e := range s.Entries {
		var mine []Planned
		for _, p := range plan {
			if p.Entry == i {
				mine = append(mine, p)
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, p := range mine {
				if !wait(ctx, time.Until(start.Add(p.Start))) {
					return
				}
				ev, err := s.inject(ctx, e, i, p, start)
				record(ev, err)
			}
		}()
	}
	wg.Wait()
	slices.SortStableFunc(events, func(a, b FaultEvent) int { return a.At.Compare(b.At) })
	return events, errors.Join(errs...)
}

// inject runs one planned injection to its heal.
func (s Schedule) inject(ctx context.Context, e Entry, i int, p Planned, start time.Time) (FaultEvent, error) {
	at := time.Now()
	inj, err := e.Fault.Inject(ctx, s.rand(i, p.N))
	kind := cmp.Or(inj.Kind, e.Name)
	if err != nil {
		return FaultEvent{Kind: kind, At: at, End: at, Detail: "injection failed: " + err.Error()},
			fmt.Errorf("chaos: %s injection %d: %w", cmp.Or(e.Name, kind), p.N, err)
	}
	ev := FaultEvent{Kind: kind, At: at, Conns: inj.Conns, Detail: inj.Detail}
	wait(ctx, time.Until(start.Add(p.End)))
	if inj.Heal != nil {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), healTimeout)
		err = inj.Heal(hctx)
		cancel()
		if err != nil {
			ev.Detail += "; heal failed: " + err.Error()
			err = fmt.Errorf("chaos: %s heal %d: %w", cmp.Or(e.Name, kind), p.N, err)
		}
	}
	ev.End = time.Now()
	return ev, err
}
