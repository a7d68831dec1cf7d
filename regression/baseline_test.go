package regression

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recTB records what a Gatekeeper reports instead of failing this test.
type recTB struct {
	testing.TB
	errs, logs []string
}

func (r *recTB) Helper()                   {}
func (r *recTB) Error(a ...any)            { r.errs = append(r.errs, fmt.Sprint(a...)) }
func (r *recTB) Errorf(f string, a ...any) { r.errs = append(r.errs, fmt.Sprintf(f, a...)) }
func (r *recTB) Fatalf(f string, a ...any) { r.errs = append(r.errs, "FATAL "+fmt.Sprintf(f, a...)) }
func (r *recTB) Log(a ...any)              { r.logs = append(r.logs, fmt.Sprint(a...)) }
func (r *recTB) Logf(f string, a ...any)   { r.logs = append(r.logs, fmt.Sprintf(f, a...)) }

func TestGatekeeperUpdateThenCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "baselines", "suite.json")
	env := Env{GOOS: "linux", GOARCH: "amd64", CPUModel: "cpu", NumCPU: 2, MachineKind: "ci-2c"}
	base := []Samples{{latency, wobble(1000, 10)}, {throughput, wobble(5000, 10)}}

	missing := &recTB{TB: t}
	Gatekeeper{Path: path, Suite: "suite", Env: env}.Check(missing, base)
	if len(missing.errs) != 1 || !strings.Contains(missing.errs[0], "-update-baseline") {
		t.Errorf("missing baseline must fail with a hint: %v", missing.errs)
	}

	upd := &recTB{TB: t}
	Gatekeeper{Path: path, Suite: "suite", Env: env, Update: true}.Check(upd, base)
	if len(upd.errs) != 0 {
		t.Fatalf("update: %v", upd.errs)
	}
	b, err := LoadBaseline(path)
	if err != nil || b.Suite != "suite" || len(b.Metrics) != 2 || b.Env.MachineKind != "ci-2c" {
		t.Fatalf("round trip: %+v %v", b, err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp*")); len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}

	same := &recTB{TB: t}
	rep := Gatekeeper{Path: path, Suite: "suite", Env: env}.Check(same, []Samples{{latency, wobble(1000, 10)}, {throughput, wobble(5000, 10)}})
	if len(same.errs) != 0 || len(rep.Warnings) != 0 {
		t.Errorf("unchanged results: errors %v warnings %v", same.errs, rep.Warnings)
	}

	other := env
	other.MachineKind = "laptop"
	worse := &recTB{TB: t}
	rep = Gatekeeper{Path: path, Suite: "suite", Env: other}.Check(worse,
		[]Samples{{latency, scale(wobble(1000, 10), 1.3)}, {throughput, scale(wobble(5000, 10), 1.3)}})
	if len(worse.errs) != 1 || !strings.Contains(worse.errs[0], "p99") {
		t.Errorf("30%% slower latency must fail once (throughput improved): %v", worse.errs)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "machine kind") {
		t.Errorf("another machine kind must warn: %v", rep.Warnings)
	}
	if !strings.Contains(strings.Join(worse.logs, "\n"), "improvement") {
		t.Errorf("table not logged or improvement not shown: %v", worse.logs)
	}

	if err := os.WriteFile(path, []byte(`{"suite":"x","metrics":[{"metric":{"name":"a"},"values":[1]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadBaseline(path); err == nil || !strings.Contains(err.Error(), "direction") {
		t.Errorf("invalid baseline accepted: %v", err)
	}
}
