package report

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
)

// DetectEnvironment describes this machine and process: hostname, OS and
// architecture, CPUs, physical memory (from /proc/meminfo where present), Go
// version, and the git revision (the binary's VCS stamp, else $GITHUB_SHA).
// target and mode are copied in as given.
func DetectEnvironment(target, mode string) Environment {
	host, _ := os.Hostname()
	env := Environment{
		Hostname:  host,
		OS:        runtime.GOOS,
		Arch:      runtime.GOARCH,
		CPUs:      runtime.NumCPU(),
		GoVersion: runtime.Version(),
		Target:    target,
		Mode:      mode,
	}
	env.MemoryBytes = memTotal("/proc/meminfo")
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				env.GitRevision = s.Value
			}
		}
	}
	if env.GitRevision == "" {
		env.GitRevision = os.Getenv("GITHUB_SHA")
	}
	return env
}

// memTotal reads MemTotal from a meminfo file; 0 if unavailable.
func memTotal(path string) uint64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.ParseUint(fields[1], 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}
