package report

import (
	"os"
	"runtime/debug"

	"github.com/mcpstress/mcpstress/regression"
)

// DetectEnvironment describes this machine and process. The machine (OS,
// architecture, CPUs and CPU model, physical memory, Go version, machine
// kind) is regression.CurrentEnv's, the module's one reader of it, so a
// report and a regression baseline describe a machine alike. The hostname
// and the git revision (the binary's VCS stamp, else $GITHUB_SHA) are added
// here; target and mode are copied in as given.
func DetectEnvironment(target, mode string) Environment {
	m := regression.CurrentEnv()
	host, _ := os.Hostname()
	return Environment{
		Hostname:    host,
		OS:          m.GOOS,
		Arch:        m.GOARCH,
		CPUs:        m.NumCPU,
		CPUModel:    m.CPUModel,
		MemoryBytes: m.MemBytes,
		GoVersion:   m.GoVersion,
		MachineKind: m.MachineKind,
		Target:      target,
		Mode:        mode,
		GitRevision: gitRevision(),
	}
}

// gitRevision is the binary's VCS stamp, else $GITHUB_SHA.
func gitRevision() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				return s.Value
			}
		}
	}
	return os.Getenv("GITHUB_SHA")
}
