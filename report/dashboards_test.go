package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// dashboardDir holds the Grafana dashboards built on the exporter's metrics.
const dashboardDir = "../deploy/grafana"

type grafanaDashboard struct {
	UID           string `json:"uid"`
	Title         string `json:"title"`
	SchemaVersion int    `json:"schemaVersion"`
	Templating    struct {
		List []struct {
			Name, Type string
			Query      any
		} `json:"list"`
	} `json:"templating"`
	Annotations struct {
		List []struct {
			Name string `json:"name"`
			Expr string `json:"expr"`
		} `json:"list"`
	} `json:"annotations"`
	Panels []struct {
		ID      int    `json:"id"`
		Type    string `json:"type"`
		Title   string `json:"title"`
		GridPos struct {
			X, Y, W, H int
		} `json:"gridPos"`
		Targets []struct {
			RefID string `json:"refId"`
			Expr  string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

// dashboardExprs loads every dashboard and returns its PromQL expressions
// (panel targets and annotations) by dashboard file.
func dashboardExprs(t *testing.T) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dashboardDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d grafanaDashboard
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		name := filepath.Base(f)
		if d.UID == "" || d.Title == "" || d.SchemaVersion < 30 || len(d.Panels) == 0 {
			t.Errorf("%s: uid %q title %q schemaVersion %d panels %d", name, d.UID, d.Title, d.SchemaVersion, len(d.Panels))
		}
		var vars []string
		for _, v := range d.Templating.List {
			vars = append(vars, v.Name)
		}
		if !slices.Contains(vars, "datasource") || !slices.Contains(vars, "suite") {
			t.Errorf("%s: template variables %v, want datasource and suite", name, vars)
		}
		ids := map[int]bool{}
		for _, p := range d.Panels {
			if ids[p.ID] {
				t.Errorf("%s: duplicate panel id %d", name, p.ID)
			}
			ids[p.ID] = true
			if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
				t.Errorf("%s: panel %q has grid %+v", name, p.Title, p.GridPos)
			}
			if p.Type != "row" && len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no query", name, p.Title)
			}
			for _, tg := range p.Targets {
				out[name] = append(out[name], tg.Expr)
			}
		}
		for _, a := range d.Annotations.List {
			if a.Expr != "" {
				out[name] = append(out[name], a.Expr)
			}
		}
	}
	return out
}

var metricRef = regexp.MustCompile(`\bmcpstress_[a-z_]+`)

func TestDashboardsQueryOnlyExportedMetrics(t *testing.T) {
	exprs := dashboardExprs(t)
	for _, want := range []string{"mcpstress-baseline.json", "mcpstress-scale.json", "mcpstress-chaos.json", "mcpstress-sustained.json"} {
		if len(exprs[want]) == 0 {
			t.Errorf("dashboard %s missing or without queries", want)
		}
	}
	known := map[string]bool{}
	for _, n := range MetricNames() {
		known[n] = true
	}
	// A classic histogram also exposes its _bucket, _sum and _count series.
	for _, s := range []string{"_bucket", "_sum", "_count"} {
		known[MetricRequestDuration+s] = true
	}
	used := map[string]bool{}
	for file, list := range exprs {
		for _, e := range list {
			refs := metricRef.FindAllString(e, -1)
			if len(refs) == 0 {
				t.Errorf("%s: %q queries no mcpstress metric", file, e)
			}
			for _, r := range refs {
				if !known[r] {
					t.Errorf("%s: %q uses %s, which the exporter does not register", file, e, r)
				}
				used[strings.TrimSuffix(r, "_bucket")] = true
			}
			if !strings.Contains(e, `suite="$suite"`) {
				t.Errorf("%s: %q is not filtered by suite", file, e)
			}
		}
	}
	for _, n := range MetricNames() {
		if !used[n] {
			t.Errorf("no dashboard shows %s", n)
		}
	}
}
