package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/mcptest"
	"github.com/mcpstress/mcpstress/report"
	"github.com/mcpstress/mcpstress/shard"
)

// shardRun runs n slices of one scenario against srv in this process, as
// n shard processes would, writing their files into dir.
func shardRun(t *testing.T, srv *mcptest.Server, dir string, n int, thresholds ...string) {
	t.Helper()
	epoch := time.Now().Add(500 * time.Millisecond)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sl := framework.Slice{Index: i, Count: n}
			sc := framework.Scenario{Name: "merge-test", Sessions: 6, Rate: 300, Duration: 1500 * time.Millisecond,
				Workload:   framework.Workload{Ops: []framework.Operation{framework.CallTool("echo", map[string]any{"message": "m"})}},
				Thresholds: thresholds,
				Config: framework.Config{CollectionInterval: 250 * time.Millisecond, Storage: framework.StorageDisk,
					StoragePath: shard.IntervalsPath(dir, "merge-test", sl)}}
			tgt, err := client.ParseTarget(srv.Target(), client.Options{})
			if err != nil {
				t.Error(err)
				return
			}
			sum, err := framework.Run(t.Context(), tgt, sc, framework.RunOptions{Slice: sl, Epoch: epoch})
			if err != nil {
				t.Error(err)
				return
			}
			if err := shard.WriteResult(dir, &sum.Result); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

func merge(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String() + errb.String()
}

func TestMergeJudgesTheMergedRun(t *testing.T) {
	srv := mcptest.StartServer(t, mcptest.Options{})
	dir := t.TempDir()
	shardRun(t, srv, dir, 3, "error_rate < 1%", "throughput >= 250/s", "p99 < 1s over 500ms")

	code, out := merge(t, dir)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	f, err := os.Open(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := report.ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	tests := rep.Run.Suites[0].Children
	if len(tests) != 1 || tests[0].Status != report.StatusPassed {
		t.Fatalf("report: %+v\n%s", tests, out)
	}
	if !strings.Contains(out, "3 slices merged") || !strings.Contains(out, "✓ throughput >= 250/s") {
		t.Errorf("output:\n%s", out)
	}
	// The merged count is every shard's count: 3 × 150 hits per 1.5 s at
	// 300/s over the three slices is 450.
	if m, ok := tests[0].Metric("total_messages"); !ok || m.Value != 450 {
		t.Errorf("total_messages %v, want 450", m)
	}

	t.Run("a failed merged threshold fails the merge", func(t *testing.T) {
		d := t.TempDir()
		shardRun(t, srv, d, 2, "throughput >= 1000/s")
		if code, out := merge(t, d); code != 1 || !strings.Contains(out, "✗ throughput >= 1000/s") {
			t.Errorf("exit %d, want 1:\n%s", code, out)
		}
	})
	t.Run("a shard that died is reported and fails the merge", func(t *testing.T) {
		d := t.TempDir()
		shardRun(t, srv, d, 3, "error_rate < 1%")
		if err := os.Remove(shard.ResultPath(d, "merge-test", framework.Slice{Index: 1, Count: 3})); err != nil {
			t.Fatal(err)
		}
		code, out := merge(t, d)
		if code != 1 || !strings.Contains(out, "slice 1/3 did not finish") {
			t.Errorf("exit %d, want 1 naming the dead slice:\n%s", code, out)
		}
		// Its share is still counted: what it logged, the rest as transport
		// errors, so the merged count holds.
		if !strings.Contains(out, "✓ every request accounted for") {
			t.Errorf("conservation broken by the dead slice:\n%s", out)
		}
	})
	t.Run("a missing shard is reported and fails the merge", func(t *testing.T) {
		d := t.TempDir()
		shardRun(t, srv, d, 3)
		sl := framework.Slice{Index: 2, Count: 3}
		os.Remove(shard.ResultPath(d, "merge-test", sl))
		os.Remove(shard.IntervalsPath(d, "merge-test", sl))
		if code, out := merge(t, d); code != 1 || !strings.Contains(out, "slice 2/3 is missing") {
			t.Errorf("exit %d, want 1 naming the missing slice:\n%s", code, out)
		}
	})
	t.Run("nothing to merge is a usage error", func(t *testing.T) {
		if code, out := merge(t, t.TempDir()); code != 2 || !strings.Contains(out, "no .result.json") {
			t.Errorf("exit %d, want 2:\n%s", code, out)
		}
		if code, _ := merge(t); code != 2 {
			t.Errorf("no DIR: exit %d, want 2", code)
		}
	})
	t.Run("a corrupt result is reported", func(t *testing.T) {
		d := t.TempDir()
		shardRun(t, srv, d, 2)
		p := shard.ResultPath(d, "merge-test", framework.Slice{Index: 0, Count: 2})
		b, _ := json.Marshal(map[string]any{"scenario": 5})
		os.WriteFile(p, b, 0o644)
		code, out := merge(t, d)
		if code == 0 || !strings.Contains(out, "unreadable") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
}
