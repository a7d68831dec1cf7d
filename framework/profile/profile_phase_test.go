package profile

import (
	"testing"
	"time"
)

func TestPlanLookupPhase(t *testing.T) {
	pl := Plan{ModePlan: ModePlan{Phases: map[string]Duration{"warmup": Duration(3 * time.Second)}}}
	tests := []struct {
		name   string
		want   time.Duration
		wantOK bool
	}{
		{"warmup", 3 * time.Second, true},
		{"memory_warmup", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := pl.LookupPhase(tt.name)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("LookupPhase(%q) = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// TestBaselineProfileCarriesItsMemoryAndDistributionFigures: the baseline
// suite reads these from the profile and has no defaults for them.
func TestBaselineProfileCarriesItsMemoryAndDistributionFigures(t *testing.T) {
	fsys, _, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range Modes() {
		pl, err := LoadProfile(fsys, "baseline", mode)
		if err != nil {
			t.Fatal(err)
		}
		for _, ph := range []string{"warmup", "memory_warmup", "memory_window", "recovery_window"} {
			if d, ok := pl.LookupPhase(ph); !ok || d <= 0 {
				t.Errorf("baseline %s: phase %s = %v (defined %v), want > 0", mode, ph, d, ok)
			}
		}
		if a, ok := pl.Profile.Criteria["distribution_p_min"]; !ok || a <= 0 || a >= 1 {
			t.Errorf("baseline %s: criteria.distribution_p_min = %v (defined %v), want in (0,1)", mode, a, ok)
		}
	}
}
