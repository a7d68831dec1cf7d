package framework

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestRunFollowsStagesToTheirEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := Scenario{Name: "stages", Sessions: 4, Workload: Workload{Ops: []Operation{Ping()}},
			Stages: &Stages{StartRate: 0, Stages: []Stage{{Duration: 2 * time.Second, Target: 100}, {Duration: time.Second, Target: 100}}}}
		sum := mustRun(t, t.Context(), &fakeServer{}, sc)
		// 0→100/s over 2 s is 100 hits, then 100 more in the hold.
		if sum.Scheduled != 200 || sum.Counts.OK != 200 || sum.LoadDuration != 3*time.Second {
			t.Errorf("scheduled %d ok %d over %v; want 200, 200, 3s", sum.Scheduled, sum.Counts.OK, sum.LoadDuration)
		}
		if len(sum.Intervals) != 3 || sum.Intervals[0].Counts.OK != 25 || sum.Intervals[1].Counts.OK != 75 || sum.Intervals[2].Counts.OK != 100 {
			t.Errorf("intervals: %d", len(sum.Intervals))
			for _, iv := range sum.Intervals {
				t.Logf("  %v", iv.Counts)
			}
		}
	})
}

func TestRunReportsProgressAndStoresSnapshotsOnDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snapshots.jsonl")
	synctest.Test(t, func(t *testing.T) {
		sc := pingScenario("progress", 2, 50, 5*time.Second)
		sc.Config = Config{Storage: StorageDisk, StoragePath: path, RetentionPeriod: 2 * time.Second}
		var lines []string
		var plan string
		sum, err := Run(t.Context(), fakeTarget{&fakeServer{}}, sc, RunOptions{
			Progress: func(p Progress) { lines = append(lines, p.String()) },
			Logf: func(format string, args ...any) {
				if plan == "" {
					plan = args[0].(string)
				}
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(lines) < 4 || !strings.Contains(lines[0], "rate=50/s") {
			t.Errorf("progress lines %q", lines)
		}
		if !strings.HasPrefix(plan, `plan "progress": open model, 2 sessions, 50 req/s for 5s`) {
			t.Errorf("plan %q", plan)
		}
		// Memory keeps the last 2 intervals; the disk keeps all 5.
		if len(sum.Intervals) != 2 || sum.IntervalsEvicted != 3 {
			t.Errorf("%d intervals in memory, %d evicted; want 2 and 3", len(sum.Intervals), sum.IntervalsEvicted)
		}
	})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n != 5 {
		t.Errorf("%d snapshots on disk, want 5", n)
	}
}
