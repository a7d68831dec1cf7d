// Package engine holds the accuracy tests of the load engine itself, run
// against the reference server behind the stress build tag:
//
//	STRESS_TEST_MODE=quick go test -tags stress -v ./stress/engine/
//
// TestOpenLoopAccuracy checks that an open-model run achieves its offered
// rate (5,000 req/s for 10 s, within 1%); TestCoordinatedOmission checks that
// a 1 s server stall during a 1,000 req/s run shows in the corrected p99 and
// not in the uncorrected one. Quick mode shortens both runs but keeps the
// checks meaningful.
package engine
