// Package modroot finds the module's root directory (the one holding
// go.mod) above the working directory: the one place the suites, their
// tests and the benchmarks look for it. A compiled suite binary run outside
// a checkout has none, and says so with ok = false.
package modroot

import (
	"os"
	"path/filepath"
)

// Find walks up from the working directory (a test runs in its package's
// directory) to the first directory holding go.mod.
func Find() (dir string, ok bool) {
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// Or returns Find's directory, or fallback when there is none.
func Or(fallback string) string {
	if dir, ok := Find(); ok {
		return dir
	}
	return fallback
}
