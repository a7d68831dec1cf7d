package profile

import (
	"fmt"
	"os"
	"strings"
)

// Mode says how long and how hard the suites run. What each mode means for
// each suite (durations, levels, rates) is data in testdata/profiles.
type Mode string

const (
	// ModeQuick is ours, for CI and `go test`: seconds per test, the default.
	ModeQuick Mode = "quick"
	// ModeDemo is the seeds' STRESS_TEST_MODE=demo (about 10 minutes).
	ModeDemo Mode = "demo"
	// ModeShort is the seeds' STRESS_TEST_MODE=short (about 1 hour).
	ModeShort Mode = "short"
	// ModeExtended is the seeds' STRESS_TEST_MODE=extended (24 hours).
	ModeExtended Mode = "extended"
)

// ModeEnv is the environment variable that selects the mode, as in the seeds.
const ModeEnv = "STRESS_TEST_MODE"

// Modes lists every mode, shortest first.
func Modes() []Mode { return []Mode{ModeQuick, ModeDemo, ModeShort, ModeExtended} }

// ParseMode accepts a mode name (case-insensitive, surrounding space
// ignored).
func ParseMode(s string) (Mode, error) {
	m := Mode(strings.ToLower(strings.TrimSpace(s)))
	for _, k := range Modes() {
		if m == k {
			return m, nil
		}
	}
	return "", fmt.Errorf("%s=%q: want one of quick, demo, short, extended", ModeEnv, s)
}

// ModeFromEnv reads STRESS_TEST_MODE. Unset or empty means quick: in the
// seeds an unset mode ran the full duration, but under `go test` a forgotten
// variable must not start a 24 h run. short is testing.Short() (pass it in):
// -short caps any mode at quick.
func ModeFromEnv(short bool) (Mode, error) {
	v, ok := os.LookupEnv(ModeEnv)
	if !ok || strings.TrimSpace(v) == "" {
		return ModeQuick, nil
	}
	m, err := ParseMode(v)
	if err != nil {
		return "", err
	}
	if short {
		return ModeQuick, nil
	}
	return m, nil
}
