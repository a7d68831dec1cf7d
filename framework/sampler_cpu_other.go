//go:build !unix

package framework

import "time"

// selfCPUTime has no portable source outside unix; CPUPercent stays 0.
func selfCPUTime() (time.Duration, bool) { return 0, false }
