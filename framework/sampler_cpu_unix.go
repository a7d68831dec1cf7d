//go:build unix

package framework

import (
	"syscall"
	"time"
)

// selfCPUTime is the user+system CPU time this process has used, from
// getrusage(RUSAGE_SELF): every thread, measured by the kernel.
func selfCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
