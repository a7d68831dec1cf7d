package stress

import (
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework/profile"
)

// Criterion reads a named number from a suite's profile; a missing one
// fails the test: criteria are data, never defaults made up in a suite.
func Criterion(tb testing.TB, p *profile.Profile, key string) float64 {
	tb.Helper()
	v, ok := p.Criteria[key]
	if !ok {
		tb.Fatalf("testdata/profiles/%s.json: criteria.%s is missing", p.Suite, key)
	}
	return v
}

// Phase reads a named phase of the plan's mode; a missing one fails the
// test, as a missing criterion does.
func Phase(tb testing.TB, pl profile.Plan, name string) time.Duration {
	tb.Helper()
	d, ok := pl.LookupPhase(name)
	if !ok {
		tb.Fatalf("testdata/profiles/%s.json: modes.%s.phases.%s is missing", pl.Profile.Suite, pl.Mode, name)
	}
	return d
}
