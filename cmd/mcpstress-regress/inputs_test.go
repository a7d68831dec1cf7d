package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/regression"
	"github.com/mcpstress/mcpstress/report"
)

func reportRun(started time.Time, p95, throughput float64) *report.Run {
	t := report.NewTest("TestLatency", report.StatusPassed, time.Second)
	t.AddMetric("p95", "ms", p95, report.BetterLower).AddMetric("throughput", "msg/s", throughput, report.BetterHigher).
		AddMetric("sessions", "", 150, "")
	sub := report.NewSubtest("burst phase", report.StatusPassed, time.Second)
	sub.AddMetric("p99 latency", "ms", p95*2, report.BetterLower)
	t.AddChild(sub)
	return &report.Run{ID: "r", Started: started, Suites: []*report.Node{report.NewSuite("baseline", t)}}
}

func writeReport(t *testing.T, path string, r *report.Run) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := report.WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReportJSONKeysMatchReport: the command's own reader of report.json
// keys metrics exactly as package report does.
func TestReportJSONKeysMatchReport(t *testing.T) {
	r := reportRun(time.Now(), 10, 5000)
	p := filepath.Join(t.TempDir(), "report.json")
	writeReport(t, p, r)
	s, err := loadSide([]string{p})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := report.RegressionSamples(r)
	got := s.set.Samples()
	names := func(ss []regression.Samples) []string {
		var out []string
		for _, x := range ss {
			out = append(out, fmt.Sprintf("%s %s %v %v", x.Metric.Name, x.Metric.Unit, x.Metric.Direction, x.Values))
		}
		return out
	}
	if !slices.Equal(names(got), names(want)) {
		t.Errorf("command keys\n%v\nreport keys\n%v", names(got), names(want))
	}
}

func TestCompareReportsAndBenchFiles(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 6))
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	stored := filepath.Join(dir, "baselines", "baseline")
	for i := range 12 {
		writeReport(t, filepath.Join(stored, fmt.Sprintf("%02d.json", i)), reportRun(t0.Add(time.Duration(i)*time.Hour),
			10*(1+0.03*rng.NormFloat64()), 5000*(1+0.01*rng.NormFloat64())))
	}
	few := filepath.Join(dir, "few")
	for i := range 3 {
		writeReport(t, filepath.Join(few, fmt.Sprintf("%02d.json", i)), reportRun(t0.Add(time.Duration(i)*time.Hour), 10, 5000))
	}
	slower := filepath.Join(dir, "slower", "report.json")
	writeReport(t, slower, reportRun(t0.Add(48*time.Hour), 15, 4000))
	faster := filepath.Join(dir, "faster", "report.json")
	writeReport(t, faster, reportRun(t0.Add(48*time.Hour), 6, 6000))

	bench := func(name string, p95 ...float64) string {
		var b strings.Builder
		b.WriteString("goos: linux\nUnit p95-ms better=lower\n")
		for _, v := range p95 {
			fmt.Fprintf(&b, "BenchmarkBaseline/TestLatency-2\t1\t%g p95-ms\n", v)
		}
		return write(t, name, b.String())
	}
	oldBench := bench("old.txt", 10, 10.2, 9.9, 10.1, 10, 9.8, 10.3, 10, 10.1, 9.9)
	newBench := bench("new.txt", 13, 13.2, 12.9, 13.1, 13, 12.8, 13.3, 13, 13.1, 12.9)

	tests := []struct {
		name string
		args []string
		want int
		out  string
	}{
		{"a slower report.json against 12 stored runs is a regression", []string{"compare", stored, "--", slower}, exitRegression, "REGRESSION"},
		{"a faster one is an improvement and exits 0", []string{"compare", stored, "--", faster}, exitOK, "improvement"},
		{"3 stored runs are inconclusive", []string{"compare", few, "--", slower}, exitInconclusive, "need >= 10 history points, have 3"},
		{"bench.txt sets compare directly", []string{"compare", oldBench, "--", newBench}, exitRegression, "Baseline/TestLatency/p95-ms"},
		{"one side empty", []string{"compare", stored, "--"}, exitInconclusive, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			err := run(tt.args, &b)
			if got := exitCode(err); got != tt.want {
				t.Fatalf("exit %d (%v), want %d\n%s", got, err, tt.want, b.String())
			}
			if !strings.Contains(b.String(), tt.out) {
				t.Errorf("output lacks %q:\n%s", tt.out, b.String())
			}
			t.Log("\n" + b.String())
		})
	}
}
