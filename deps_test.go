package mcpstress_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/mcpstress/mcpstress"

// policy is the whole dependency policy of the module, one rule per
// package (path relative to the module; "." is the root). A package may
// import only the module packages its rule allows (every package has a
// rule, so the layering holds transitively); module packages without a
// rule fail the test, so a new package has to take its place here; and
// forbidden lists what must not be reached even indirectly. Standard
// library and third-party imports are not restricted.
var policy = map[string]struct {
	allow     []string // module packages it may import
	leaf      bool     // imports nothing from the module
	forbidden []string // module packages it must not reach, even indirectly
	why       string
}{
	".":                     {leaf: true, why: "data only: the embedded profiles"},
	"wire":                  {leaf: true, why: "the wire format both the client and the reference server share"},
	"regression":            {leaf: true, why: "statistics on plain numbers"},
	"chaos":                 {leaf: true, why: "faults on plain values; any suite can feed it"},
	"verdict":               {leaf: true, why: "the judged-criterion type every layer shares"},
	"internal/tailbuf":      {leaf: true},
	"internal/modroot":      {leaf: true},
	"internal/atomicfile":   {leaf: true},
	"internal/loopbacktest": {leaf: true, why: "the loopback TCP server of tests"},
	"shard":                 {allow: []string{"framework", "internal/atomicfile"}, why: "the files and environment of a run split across processes; no report, no suite"},
	"framework/client":      {allow: []string{"wire", "internal/tailbuf"}, why: "the MCP client knows nothing of the engine"},
	"framework":             {allow: []string{"framework/client", "wire", "internal/tailbuf", "verdict"}, why: "the engine drives sessions; it knows no profile, report or suite"},
	"framework/profile":     {allow: []string{".", "framework", "framework/client", "wire", "internal/tailbuf", "verdict"}},
	"mcptest":               {allow: []string{"wire", "internal/tailbuf"}, why: "the reference server must not depend on the instrument that measures it"},
	"report":                {allow: []string{"verdict", "regression", "internal/atomicfile"}, forbidden: []string{"framework", "framework/client", "mcptest", "chaos", "adapter", "stress"}, why: "report reads results and statistics and never runs load"},
	"judge":                 {allow: []string{"framework", "framework/client", "report", "verdict", "regression", "chaos", "wire", "internal/tailbuf"}, why: "verdicts and report nodes from results; runs no load"},
	"adapter":               {allow: []string{"wire", "internal/tailbuf"}},
	"stress":                {allow: []string{".", "shard", "internal/atomicfile", "framework", "framework/client", "framework/profile", "report", "judge", "verdict", "regression", "chaos", "mcptest", "wire", "internal/tailbuf", "internal/modroot"}},
	"orchestrator":          {allow: []string{"report", "verdict", "regression"}, forbidden: []string{"framework", "framework/client", "mcptest", "chaos", "adapter", "stress"}, why: "steps as data, run and aggregated; a step brings its own load"},
	"cmd/mcpstress-server":  {allow: []string{"mcptest", "wire", "internal/tailbuf"}},
	"cmd/mcpstress-regress": {allow: []string{"regression"}},
	"cmd/mcpstress-report":  {allow: []string{"report", "verdict", "regression"}},
	"cmd/mcpstress-merge":   {allow: []string{"shard", "framework", "judge", "report", "verdict"}},
	"examples/sdkstdio":     {},
	"deploy/kubernetes":     {},
	"stress/protocol":       {allow: []string{".", "stress", "framework", "framework/client", "framework/profile", "report", "judge", "verdict", "regression", "chaos", "mcptest", "wire", "internal/tailbuf", "internal/modroot"}},
	"stress/baseline":       {allow: []string{"stress"}},
	"stress/engine":         {allow: []string{"stress"}},
}

type listed struct {
	ImportPath                string
	Deps                      []string
	Imports                   []string
	TestImports, XTestImports []string
}

// TestDependencyPolicy runs go list -deps over the module (with the stress
// tag, so the suites count) and checks every package against policy: leaves
// stay leaves, the engine knows no report, report runs no load, nothing
// outside the suites imports stress.
func TestDependencyPolicy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list over the module")
	}
	cmd := exec.Command("go", "list", "-tags", "stress", "-json=ImportPath,Deps,Imports,TestImports,XTestImports", "./...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		seen++
		rel := relative(p.ImportPath)
		rule, ok := policy[rel]
		if !ok {
			if strings.HasPrefix(rel, "stress/") {
				// A suite: it may use anything but another suite.
				for _, d := range moduleDeps(p.Deps) {
					// stress/protocol is a suite and the home of the
					// error-handling case table, which the integration
					// suite's ErrorHandling scenario runs.
					if strings.HasPrefix(d, "stress/") && !(d == "stress/protocol" && rel == "stress/integration") {
						t.Errorf("suite %s depends on suite %s", rel, d)
					}
				}
				continue
			}
			t.Errorf("package %s has no rule in the dependency policy (deps_test.go)", rel)
			continue
		}
		for _, d := range moduleDeps(p.Imports) {
			if rule.leaf || !slices.Contains(rule.allow, d) {
				t.Errorf("%s imports %s, which its rule does not allow (%s)", rel, d, rule.why)
			}
		}
		for _, d := range moduleDeps(p.Deps) {
			if slices.Contains(rule.forbidden, d) || ((d == "stress" || strings.HasPrefix(d, "stress/")) && !strings.HasPrefix(rel, "stress")) {
				t.Errorf("%s reaches %s (%s)", rel, d, rule.why)
			}
		}
		// Test code may reach further (the engine's benchmarks start the
		// reference server), but nothing outside the suites imports stress,
		// and report's tests run no load either.
		for _, imp := range append(append([]string{}, p.TestImports...), p.XTestImports...) {
			d, ok := strings.CutPrefix(imp, module+"/")
			if !ok {
				continue
			}
			if (d == "stress" || strings.HasPrefix(d, "stress/")) && !strings.HasPrefix(rel, "stress") {
				t.Errorf("%s's tests import %s: nothing outside the suites imports stress", rel, d)
			}
			if rel == "report" && (d == "framework" || strings.HasPrefix(d, "framework/") || d == "mcptest") {
				t.Errorf("report's tests import %s: report runs no load", d)
			}
		}
	}
	if seen < len(policy) {
		t.Errorf("go list found %d packages, fewer than the policy's %d rules: a package was removed without its rule", seen, len(policy))
	}
}

func relative(path string) string {
	if path == module {
		return "."
	}
	return strings.TrimPrefix(path, module+"/")
}

// moduleDeps keeps the module's own packages of a dependency list.
func moduleDeps(deps []string) []string {
	var out []string
	for _, d := range deps {
		if d == module || strings.HasPrefix(d, module+"/") {
			out = append(out, relative(d))
		}
	}
	return out
}
