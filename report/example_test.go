package report_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/mcpstress/mcpstress/report"
)

// A suite's TestMain builds the tree as tests finish and writes every
// format at the end.
func ExampleWriteAll() {
	started := time.Date(2026, 1, 27, 10, 0, 0, 0, time.UTC)
	b := report.NewBuilder("run-1", started, report.Environment{Target: "embedded", Mode: "quick"}, nil)

	t := report.NewTest("TestBaseline150Connections", report.StatusPassed, 10*time.Second).
		AddMetric("throughput", "msg/s", 4980, report.BetterHigher).
		AddMetric("latency_p95", "ms", 12.5, report.BetterLower).
		AddThreshold("p(95)<102ms", 12.5, "ms", true).
		AddCount("ok", 49800)
	b.AddResult("baseline", t)

	dir, err := os.MkdirTemp("", "reports")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	paths, err := report.WriteAll(dir, b.Snapshot())
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range paths {
		fmt.Println(filepath.Base(p))
	}
	// Output:
	// report.json
	// report.html
	// report.csv
	// intervals.csv
	// report.txt
	// junit.xml
	// summary.md
	// bench.txt
}

// Subscribers receive results as tests finish.
func ExampleBuilder_Subscribe() {
	b := report.NewBuilder("run-1", time.Now(), report.Environment{}, nil)
	sub := b.Subscribe(16)
	b.Progress("scale", "TestScale1K", report.Metric{Name: "sessions", Value: 1000})
	b.AddResult("scale", report.NewTest("TestScale1K", report.StatusPassed, time.Minute))
	b.Close()
	for e := range sub.C {
		fmt.Println(e.Type, e.Suite, e.Test)
	}
	// Output:
	// progress scale TestScale1K
	// result scale TestScale1K
}
