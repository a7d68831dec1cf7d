package kubernetes_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// The GitHub Actions form of a sharded run lives in the stress workflow:
// a setup job (the shared epoch), a matrix of shard jobs, and a merge job.
const workflowFile = "../../.github/workflows/stress.yml"

// The sharded run's jobs and artifacts in the workflow.
const (
	setupJob       = "shard-setup"
	shardJob       = "shard"
	mergeJob       = "shard-merge"
	resultsPrefix  = "shard-results-" // one artifact per shard: its MCPSTRESS_SHARD_DIR
	mergedArtifact = "reports-sharded"
)

type workflow struct {
	Jobs map[string]workflowJob `json:"jobs"`
}

type workflowJob struct {
	If       string            `json:"if"`
	Needs    needs             `json:"needs"`
	Env      map[string]string `json:"env"`
	Outputs  map[string]string `json:"outputs"`
	Strategy struct {
		FailFast *bool                      `json:"fail-fast"`
		Matrix   map[string]json.RawMessage `json:"matrix"`
	} `json:"strategy"`
	Steps []workflowStep `json:"steps"`
}

type workflowStep struct {
	ID   string         `json:"id"`
	Name string         `json:"name"`
	If   string         `json:"if"`
	Uses string         `json:"uses"`
	Run  string         `json:"run"`
	With map[string]any `json:"with"`
}

// needs is a job's needs: one name or a list.
type needs []string

func (n *needs) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*n = needs{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("needs: %w", err)
	}
	*n = many
	return nil
}

func loadWorkflow(t *testing.T) workflow {
	t.Helper()
	b, err := os.ReadFile(workflowFile)
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	// Not strict: the workflow schema is GitHub's, and this models only
	// what the checks below read. Duplicate keys are still errors.
	j, err := yaml.YAMLToJSONStrict(b)
	if err != nil {
		t.Fatalf("%s: %v", workflowFile, err)
	}
	if err := json.Unmarshal(j, &w); err != nil {
		t.Fatalf("%s: %v", workflowFile, err)
	}
	return w
}

func (j workflowJob) uses(action string) []workflowStep {
	var out []workflowStep
	for _, s := range j.Steps {
		if name, _, _ := strings.Cut(s.Uses, "@"); name == action {
			out = append(out, s)
		}
	}
	return out
}

func (s workflowStep) with(key string) string {
	v, ok := s.With[key]
	if !ok {
		return ""
	}
	return fmt.Sprint(v)
}

// matrixValues is a one-dimensional matrix's values, as strings.
func (j workflowJob) matrixValues(t *testing.T, key string) []string {
	t.Helper()
	raw, ok := j.Strategy.Matrix[key]
	if !ok {
		return nil
	}
	var vals []any
	if err := json.Unmarshal(raw, &vals); err != nil {
		t.Fatalf("matrix.%s is not a list: %v", key, err)
	}
	var out []string
	for _, v := range vals {
		out = append(out, fmt.Sprint(v))
	}
	return out
}

var expr = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)

// artifactNames expands an upload's name over the job's matrix.
func artifactNames(t *testing.T, j workflowJob, name string) []string {
	t.Helper()
	m := expr.FindStringSubmatch(name)
	if m == nil {
		return []string{name}
	}
	key, ok := strings.CutPrefix(m[1], "matrix.")
	if !ok {
		t.Fatalf("artifact name %q: only ${{ matrix.X }} is expanded here", name)
	}
	var out []string
	for _, v := range j.matrixValues(t, key) {
		out = append(out, strings.Replace(name, m[0], v, 1))
	}
	return out
}

func TestWorkflowJobsNeedExistingJobs(t *testing.T) {
	w := loadWorkflow(t)
	for _, name := range []string{"unit", "suite", "soak", setupJob, shardJob, mergeJob} {
		if _, ok := w.Jobs[name]; !ok {
			t.Errorf("%s has no job %s", workflowFile, name)
		}
	}
	for name, j := range w.Jobs {
		for _, n := range j.Needs {
			if _, ok := w.Jobs[n]; !ok {
				t.Errorf("job %s needs %s, which does not exist", name, n)
			}
		}
	}
}

func TestWorkflowShardedRun(t *testing.T) {
	w := loadWorkflow(t)
	setup, shard, merge := w.Jobs[setupJob], w.Jobs[shardJob], w.Jobs[mergeJob]

	t.Run("the sharded jobs are skipped without a shared target", func(t *testing.T) {
		for name, j := range map[string]workflowJob{setupJob: setup, shardJob: shard, mergeJob: merge} {
			if !strings.Contains(j.If, "vars.MCP_TARGET != ''") {
				t.Errorf("job %s: if %q does not skip it when vars.MCP_TARGET is unset", name, j.If)
			}
		}
		if got := shard.Env["MCP_TARGET"]; got != "${{ vars.MCP_TARGET }}" {
			t.Errorf("shard MCP_TARGET %q, want ${{ vars.MCP_TARGET }}: every shard loads the one shared server", got)
		}
	})

	t.Run("the epoch is computed once and passed to every shard", func(t *testing.T) {
		out, ok := setup.Outputs["epoch"]
		if !ok {
			t.Fatalf("job %s has no output epoch", setupJob)
		}
		m := regexp.MustCompile(`^\$\{\{\s*steps\.([\w-]+)\.outputs\.epoch\s*\}\}$`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("output epoch %q is not a step's output", out)
		}
		found := false
		for _, s := range setup.Steps {
			if s.ID == m[1] && strings.Contains(s.Run, "epoch=") && strings.Contains(s.Run, "GITHUB_OUTPUT") {
				found = true
			}
		}
		if !found {
			t.Errorf("no step %q of %s writes epoch= to $GITHUB_OUTPUT", m[1], setupJob)
		}
		if !slices.Contains(shard.Needs, setupJob) {
			t.Errorf("shard needs %v, want %s", shard.Needs, setupJob)
		}
		if got, want := shard.Env["MCPSTRESS_EPOCH"], "${{ needs."+setupJob+".outputs.epoch }}"; got != want {
			t.Errorf("shard MCPSTRESS_EPOCH %q, want %q", got, want)
		}
	})

	indexes := shard.matrixValues(t, "shard")
	t.Run("the matrix runs shards 0 to N-1, each told i/N", func(t *testing.T) {
		if len(indexes) < 2 {
			t.Fatalf("matrix.shard %v: want at least 2 shards", indexes)
		}
		for i, v := range indexes {
			if v != fmt.Sprint(i) {
				t.Errorf("matrix.shard %v: want 0..%d in order", indexes, len(indexes)-1)
				break
			}
		}
		if ff := shard.Strategy.FailFast; ff == nil || *ff {
			t.Error("shard strategy.fail-fast is not false: one failing shard would cancel the others")
		}
		got := shard.Env["MCPSTRESS_SHARD"]
		want := []string{"${{ matrix.shard }}/${{ strategy.job-total }}", fmt.Sprintf("${{ matrix.shard }}/%d", len(indexes))}
		if !slices.Contains(want, got) {
			t.Errorf("shard MCPSTRESS_SHARD %q, want one of %q", got, want)
		}
		if shard.Env["MCPSTRESS_SHARD_DIR"] == "" {
			t.Error("shard has no MCPSTRESS_SHARD_DIR")
		}
	})

	var uploaded []string // every artifact name of the workflow, matrices expanded
	for _, j := range w.Jobs {
		for _, s := range j.uses("actions/upload-artifact") {
			uploaded = append(uploaded, artifactNames(t, j, s.with("name"))...)
		}
	}
	t.Run("each shard uploads its results directory as its own artifact", func(t *testing.T) {
		var results []workflowStep
		for _, s := range shard.uses("actions/upload-artifact") {
			if strings.HasPrefix(s.with("name"), resultsPrefix) {
				results = append(results, s)
			}
		}
		if len(results) != 1 {
			t.Fatalf("shard has %d uploads named %s*, want 1", len(results), resultsPrefix)
		}
		s := results[0]
		if p := s.with("path"); p != "${{ env.MCPSTRESS_SHARD_DIR }}" && p != shard.Env["MCPSTRESS_SHARD_DIR"] {
			t.Errorf("shard uploads %q, not its MCPSTRESS_SHARD_DIR", p)
		}
		if !strings.Contains(s.If, "always()") {
			t.Errorf("shard results upload if %q: a failed shard's partial results must reach the merge too", s.If)
		}
		names := artifactNames(t, shard, s.with("name"))
		if len(slices.Compact(slices.Sorted(slices.Values(names)))) != len(indexes) {
			t.Errorf("shard results artifacts %q: want one distinct name per shard", names)
		}
	})

	t.Run("the merge downloads every shard's results into one directory and merges it", func(t *testing.T) {
		for _, n := range []string{setupJob, shardJob} {
			if !slices.Contains(merge.Needs, n) {
				t.Errorf("merge needs %v, want %s", merge.Needs, n)
			}
		}
		if !strings.Contains(merge.If, "always()") {
			t.Errorf("merge if %q: without always() a failed shard skips the merge, and nobody reports it missing", merge.If)
		}
		dl := merge.uses("actions/download-artifact")
		if len(dl) != 1 {
			t.Fatalf("merge has %d download-artifact steps, want 1", len(dl))
		}
		pattern := dl[0].with("pattern")
		if dl[0].with("merge-multiple") != "true" {
			t.Error("download-artifact without merge-multiple: true puts each shard in its own subdirectory")
		}
		var matched []string
		for _, a := range uploaded {
			if ok, err := path.Match(pattern, a); err != nil {
				t.Fatalf("pattern %q: %v", pattern, err)
			} else if ok {
				matched = append(matched, a)
			}
		}
		for _, i := range indexes {
			if !slices.Contains(matched, resultsPrefix+i) {
				t.Errorf("pattern %q does not download %s%s", pattern, resultsPrefix, i)
			}
		}
		if len(matched) != len(indexes) {
			t.Errorf("pattern %q matches %q: want exactly the %d shard results", pattern, matched, len(indexes))
		}
		dir := dl[0].with("path")
		var mergeRun string
		for _, s := range merge.Steps {
			if strings.Contains(s.Run, "go run ./cmd/mcpstress-merge") {
				mergeRun = s.Run
			}
		}
		if mergeRun == "" {
			t.Fatal("no step runs go run ./cmd/mcpstress-merge")
		}
		if !strings.Contains(mergeRun, "$MERGE_DIR") || !strings.HasSuffix(merge.Env["MERGE_DIR"], "/"+dir) {
			t.Errorf("merge runs %q with MERGE_DIR %q; the results are downloaded to %q", strings.TrimSpace(mergeRun), merge.Env["MERGE_DIR"], dir)
		}
		summary := false
		for _, s := range merge.Steps {
			if strings.Contains(s.Run, "summary.md") && strings.Contains(s.Run, "GITHUB_STEP_SUMMARY") && strings.Contains(s.If, "always()") {
				summary = true
			}
		}
		if !summary {
			t.Error("the merge does not append summary.md to $GITHUB_STEP_SUMMARY (also on failure)")
		}
		up := merge.uses("actions/upload-artifact")
		if len(up) != 1 || up[0].with("name") != mergedArtifact || up[0].with("path") != dir || !strings.Contains(up[0].If, "always()") {
			t.Errorf("the merge should upload %s from %s, also on failure; uploads: %+v", mergedArtifact, dir, up)
		}
	})

	t.Run("artifact names are unique", func(t *testing.T) {
		seen := map[string]bool{}
		for _, a := range uploaded {
			if seen[a] {
				t.Errorf("artifact %s uploaded twice", a)
			}
			seen[a] = true
		}
	})
}
