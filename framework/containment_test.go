package framework

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcpstress/mcpstress/framework/client"
)

func containedScenario(c *Containment) Scenario {
	sc := pingScenario("contained", 5, 100, 3*time.Second)
	sc.Containment = c
	sc.Config.MessageTimeout = 100 * time.Millisecond
	return sc
}

// Bounded retries turn transient transport failures into answers, and the
// counts stay exact: one scheduled request, one outcome, however many
// attempts.
func TestContainmentRetriesRecoverTransientFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &fakeServer{outcome: func(n uint64) client.Outcome {
			if n%3 == 0 {
				return client.TransportError
			}
			return client.OK
		}}
		sum := mustRun(t, t.Context(), srv, containedScenario(&Containment{Retries: 2}))
		c := sum.Containment
		if sum.Counts.OK != sum.Scheduled || c.Retries == 0 || c.Recovered != c.Retries || c.Attempts != sum.Scheduled+c.Retries {
			t.Errorf("counts %+v of %d scheduled; containment %+v", sum.Counts, sum.Scheduled, c)
		}
		// Without containment the same failures stay failures.
		plain := mustRun(t, t.Context(), &fakeServer{outcome: srv.outcome}, containedScenario(nil))
		if plain.Counts.TransportError == 0 || plain.Containment != (ContainmentStats{}) {
			t.Errorf("uncontained: %+v, %+v", plain.Counts, plain.Containment)
		}
	})
}

// Naive immediate retries against a failing server multiply the requests it
// gets; a breaker stops sending while it fails.
func TestContainmentNaiveRetriesAmplifyAndTheBreakerContains(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		failing := func(uint64) client.Outcome { return client.TransportError }
		naive := mustRun(t, t.Context(), &fakeServer{outcome: failing}, containedScenario(&Containment{Retries: 3}))
		if a := naive.Containment.Amplification(); a != 4 {
			t.Errorf("naive retries: amplification %v, want 4 (%+v)", a, naive.Containment)
		}
		srv := &fakeServer{outcome: failing}
		broken := mustRun(t, t.Context(), srv, containedScenario(&Containment{Retries: 1, BreakerFailures: 5, BreakerOpen: time.Second,
			Backoff: client.Backoff{Initial: 10 * time.Millisecond, Max: 100 * time.Millisecond}}))
		c := broken.Containment
		if c.BreakerOpened == 0 || c.Rejected == 0 || srv.calls.Load() >= broken.Scheduled/4 {
			t.Errorf("breaker: %+v; the server got %d calls for %d scheduled", c, srv.calls.Load(), broken.Scheduled)
		}
		if broken.Counts.TransportError != broken.Scheduled {
			t.Errorf("every request must still end as a failure: %+v of %d", broken.Counts, broken.Scheduled)
		}
	})
}

func TestContainmentValidate(t *testing.T) {
	if err := (Containment{Retries: -1, BreakerFailures: -1}).Validate(); err == nil {
		t.Error("bad containment accepted")
	}
}

// With AttemptTimeout a lost message is detected after one attempt's
// timeout, not the request's, and retried; the request timeout bounds all
// attempts together; OnAttempt sees every attempt.
func TestContainmentAttemptTimeoutDetectsLostMessagesAndBoundsTheRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const attempt = 20 * time.Millisecond
		// Every fifth message is lost: its answer never comes.
		lossy := &fakeServer{latency: func(n uint64) time.Duration {
			if n%5 == 4 {
				return time.Hour
			}
			return time.Millisecond
		}}
		var mu sync.Mutex
		var seen []Attempt
		observe := func(a Attempt) { mu.Lock(); seen = append(seen, a); mu.Unlock() }
		sc := containedScenario(&Containment{Retries: 2, AttemptTimeout: attempt})
		sum, err := Run(t.Context(), fakeTarget{lossy}, sc, RunOptions{OnAttempt: observe})
		if err != nil || !sum.Conservation.Holds {
			t.Fatalf("run: %v, %v", err, sum.Conservation.Error())
		}
		c := sum.Containment
		if sum.Counts.OK != sum.Scheduled || c.TimedOut == 0 || c.Retries != c.TimedOut || c.Recovered == 0 || c.Exhausted != 0 {
			t.Errorf("lossy: counts %+v of %d scheduled; containment %+v", sum.Counts, sum.Scheduled, c)
		}
		if uint64(len(seen)) != c.Attempts {
			t.Errorf("OnAttempt saw %d attempts, the stats count %d", len(seen), c.Attempts)
		}
		var retries uint64
		for _, a := range seen {
			if a.Outcome == client.Timeout && a.Ended.Sub(a.Sent) != attempt {
				t.Fatalf("a timed-out attempt was detected after %v, want %v", a.Ended.Sub(a.Sent), attempt)
			}
			if a.N > 0 {
				retries++
			}
		}
		if retries != c.Retries {
			t.Errorf("OnAttempt saw %d retries (N > 0), the stats count %d", retries, c.Retries)
		}

		// Every message lost: 10 retries of 40 ms cannot fit in a 100 ms
		// request timeout; the attempts stop at it and the request fails
		// for good.
		dead := &fakeServer{latency: func(uint64) time.Duration { return time.Hour }}
		sc = containedScenario(&Containment{Retries: 10, AttemptTimeout: 40 * time.Millisecond})
		sum = mustRun(t, t.Context(), dead, sc)
		c = sum.Containment
		// (Each session's one slot is held 100 ms a request, so most of the
		// schedule is dropped; every request sent timed out.)
		sent := sum.Counts.Timeout
		if sent == 0 || sent+sum.Counts.Dropped != sum.Scheduled || c.Exhausted != sent || c.Attempts != 3*sent {
			t.Errorf("dead: counts %+v of %d scheduled; containment %+v (want 3 attempts each: 40+40+20 ms)", sum.Counts, sum.Scheduled, c)
		}
		if max := sum.Latency.Uncorrected.Max; max > 110*time.Millisecond {
			t.Errorf("a request outlived its 100 ms timeout: max %v", max)
		}
	})
}

func TestContainmentValidateAttemptTimeout(t *testing.T) {
	if err := (Containment{AttemptTimeout: -time.Second}).Validate(); err == nil {
		t.Error("negative attempt_timeout accepted")
	}
}
