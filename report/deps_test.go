package report

import (
	"go/parser"
	gotoken "go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportsFollowTheDependencyPolicy keeps report on its side of the
// package graph: it reads results and statistics, it does not run load, so
// it must not import the engine (framework, whose types are still in flux;
// a converter lives on the engine's side), the suites, chaos or the
// reference server.
func TestImportsFollowTheDependencyPolicy(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	const mod = "github.com/mcpstress/mcpstress/"
	forbidden := []string{"framework", "stress", "chaos", "mcptest", "cmd"}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(gotoken.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			rest, ok := strings.CutPrefix(p, mod)
			if !ok {
				continue
			}
			for _, bad := range forbidden {
				if rest == bad || strings.HasPrefix(rest, bad+"/") {
					t.Errorf("%s imports %s", f, p)
				}
			}
		}
	}
}
