//go:build stress

package stress_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpstress/mcpstress/internal/modroot"
	"github.com/mcpstress/mcpstress/report"
)

// compileBaseline builds the baseline suite's test binary, as a shard on
// another machine or a Kubernetes pod would receive it.
func compileBaseline(t *testing.T) string {
	t.Helper()
	root, ok := modroot.Find()
	if !ok {
		t.Skip("needs the module's source to compile the suite")
	}
	bin := filepath.Join(t.TempDir(), "baseline.test")
	cmd := exec.Command("go", "test", "-c", "-tags", "stress", "-o", bin, "./stress/baseline")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go test -c: %v\n%s", err, out)
	}
	return bin
}

// runFromTempDir runs the compiled suite with a temporary directory as its
// working directory, so nothing of the checkout can be found from it.
func runFromTempDir(t *testing.T, bin string, env []string, args ...string) (string, string, error) {
	t.Helper()
	wd, reports := t.TempDir(), t.TempDir()
	cmd := exec.Command(bin, args...)
	cmd.Dir = wd
	cmd.Env = append(os.Environ(), "STRESS_TEST_MODE=quick", "MCPSTRESS_REPORT_DIR="+reports, "MCP_TARGET=")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return string(out), reports, err
}

func TestCompiledSuiteRunsFromATemporaryDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and runs the baseline suite")
	}
	bin := compileBaseline(t)

	t.Run("the embedded profiles are used", func(t *testing.T) {
		out, reports, err := runFromTempDir(t, bin, nil, "-test.run", "^TestBaselineErrorRate$", "-test.v")
		if err != nil {
			t.Fatalf("the compiled suite failed from a temporary directory: %v\n%s", err, out)
		}
		if !strings.Contains(out, "plan: ") || !strings.Contains(out, "--- PASS: TestBaselineErrorRate") {
			t.Fatalf("no plan or no passing test in the output:\n%s", out)
		}
		b, err := os.ReadFile(filepath.Join(reports, "report.json"))
		if err != nil {
			t.Fatalf("no report.json: %v", err)
		}
		rep, err := report.ReadJSON(strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		if s := rep.Summary; s.TotalTests == 0 || s.PassedTests == 0 || s.FailedTests > 0 {
			t.Fatalf("report summary %+v", s)
		}
	})

	t.Run("a profile directory override replaces them", func(t *testing.T) {
		dir := t.TempDir()
		root, _ := modroot.Find()
		b, err := os.ReadFile(filepath.Join(root, "testdata", "profiles", "baseline.json"))
		if err != nil {
			t.Fatal(err)
		}
		var p map[string]any
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		p["description"] = "edited by the portable-suite test"
		p["not_a_profile_field"] = true // strict decoding must reject it
		edited, _ := json.Marshal(p)
		if err := os.WriteFile(filepath.Join(dir, "baseline.json"), edited, 0o644); err != nil {
			t.Fatal(err)
		}
		out, _, err := runFromTempDir(t, bin, []string{"MCPSTRESS_PROFILES_DIR=" + dir}, "-test.run", "^TestBaselineErrorRate$", "-test.v")
		if err == nil || !strings.Contains(out, "not_a_profile_field") || !strings.Contains(out, dir) {
			t.Fatalf("an invalid override was not read or not reported (err %v):\n%s", err, out)
		}
	})
}
