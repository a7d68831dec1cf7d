// Package profile holds the suites' plans as data: a profile per suite
// (<suite>.json: levels with sessions, rates and the seeds' latency and
// error ceilings, named criteria, and per-mode durations and phases), the
// zones of the seed's green/yellow/red bands, and the modes (quick, demo,
// short, extended) chosen by STRESS_TEST_MODE.
//
// The profiles under testdata/profiles are embedded in every binary that
// imports this package (see package mcpstress), so a compiled suite runs
// from any directory, on any machine or pod; $MCPSTRESS_PROFILES_DIR
// replaces them with a directory of edited ones.
package profile
