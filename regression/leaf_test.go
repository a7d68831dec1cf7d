package regression

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestIsALeafPackage enforces the dependency policy: the package (not its
// tests) imports only the standard library, gonum and (for histogram
// helpers) hdrhistogram-go.
func TestIsALeafPackage(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			first := strings.SplitN(path, "/", 2)[0]
			if strings.Contains(first, ".") && !strings.HasPrefix(path, "gonum.org/v1/gonum/") && path != "github.com/HdrHistogram/hdrhistogram-go" {
				t.Errorf("%s imports %s: regression may import only the standard library, gonum and hdrhistogram-go", f, path)
			}
		}
	}
}
