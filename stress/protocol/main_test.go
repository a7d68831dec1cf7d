//go:build !stress

package protocol

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain of the unit tests; with -tags stress, suite_main_test.go's runs
// them under the suite harness (which checks for leaks too).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
