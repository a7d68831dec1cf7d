package framework

import (
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
