package regression

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Env fingerprints the machine a set of runs came from. Numbers from
// different machine kinds are not comparable; comparing them warns.
type Env struct {
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	CPUModel   string `json:"cpu_model"`
	NumCPU     int    `json:"num_cpu"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	MemBytes   uint64 `json:"mem_bytes"`
	GoVersion  string `json:"go_version"`
	// MachineKind is the class of host (e.g. "ci-runner-4c", "laptop"). It
	// comes from MCPSTRESS_MACHINE_KIND, else it is derived from the fields
	// above.
	MachineKind string `json:"machine_kind"`
	// ConfigHash identifies the workload configuration, set by the caller.
	ConfigHash string `json:"config_hash,omitempty"`
}

// MachineKindEnvVar overrides the derived machine kind.
const MachineKindEnvVar = "MCPSTRESS_MACHINE_KIND"

// CurrentEnv fingerprints the running machine. Fields it cannot read (no
// /proc) are left empty rather than guessed.
func CurrentEnv() Env {
	e := Env{
		GOOS:       runtime.GOOS,
		GOARCH:     runtime.GOARCH,
		NumCPU:     runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion:  runtime.Version(),
		CPUModel:   procField("/proc/cpuinfo", "model name"),
	}
	if mem := procField("/proc/meminfo", "MemTotal"); mem != "" {
		f := strings.Fields(mem) // "24600000 kB"
		if len(f) > 0 {
			if kb, err := strconv.ParseUint(f[0], 10, 64); err == nil {
				e.MemBytes = kb * 1024
			}
		}
	}
	e.MachineKind = os.Getenv(MachineKindEnvVar)
	if e.MachineKind == "" {
		e.MachineKind = e.derivedKind()
	}
	return e
}

func (e Env) derivedKind() string {
	cpu := e.CPUModel
	if cpu == "" {
		cpu = "unknown-cpu"
	}
	return fmt.Sprintf("%s/%s/%s/%dc/%dGiB", e.GOOS, e.GOARCH, cpu, e.NumCPU, (e.MemBytes+1<<29)>>30)
}

// Mismatches lists the fingerprint fields that differ between e and other,
// as "field: a != b" strings. An empty result means the same machine kind.
func (e Env) Mismatches(other Env) []string {
	var out []string
	add := func(field string, a, b any) {
		if a != b {
			out = append(out, fmt.Sprintf("%s: %v != %v", field, a, b))
		}
	}
	add("machine_kind", e.MachineKind, other.MachineKind)
	add("goos", e.GOOS, other.GOOS)
	add("goarch", e.GOARCH, other.GOARCH)
	add("cpu_model", e.CPUModel, other.CPUModel)
	add("num_cpu", e.NumCPU, other.NumCPU)
	add("gomaxprocs", e.GOMAXPROCS, other.GOMAXPROCS)
	add("config_hash", e.ConfigHash, other.ConfigHash)
	return out
}

func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
