package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

func TestJUnitParsesWithCountsAndFailureMessages(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, fixtureRun(t)); err != nil {
		t.Fatal(err)
	}
	var got JUnitSuites
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("junit.xml does not parse: %v", err)
	}
	if got.Tests != 8 || got.Failures != 1 || got.Errors != 1 || got.Skipped != 1 || len(got.Suites) != 3 {
		t.Fatalf("totals tests=%d failures=%d errors=%d skipped=%d suites=%d; want 8 1 1 1 3",
			got.Tests, got.Failures, got.Errors, got.Skipped, len(got.Suites))
	}
	cases := map[string]JUnitCase{}
	for _, s := range got.Suites {
		sum := 0
		for _, c := range s.Cases {
			cases[s.Name+"/"+c.Name] = c
			sum++
		}
		if sum != s.Tests {
			t.Errorf("suite %s: tests=%d but %d cases", s.Name, s.Tests, sum)
		}
	}
	mem := cases["baseline/TestBaselineMemoryStability"]
	if mem.Failure == nil || mem.Failure.Message != "memory grew 140 MB in 5 minutes" ||
		!strings.Contains(mem.Failure.Text, "threshold memory_growth<100MB failed: measured 140 MB") {
		t.Errorf("memory failure = %+v", mem.Failure)
	}
	if e := cases["scale/TestScale15K"].Error; e == nil || !strings.Contains(e.Message, "open files") {
		t.Errorf("scale error = %+v", e)
	}
	if s := cases["baseline/TestBaselineRecoveryTime/server crash"].Skipped; s == nil || s.Message == "" {
		t.Errorf("skipped subtest = %+v", s)
	}
	if c := cases["baseline/TestBaselineLatencyPercentiles"]; c.Failure != nil || c.Time != "60.000" || !strings.Contains(c.SystemOut, "✓ p(95)<102ms = 85.25 ms") {
		t.Errorf("passing case = %+v", c)
	}
}

// parseBench reads Go benchmark format by the rules of
// golang.org/x/perf/benchfmt (not imported, to keep its dependencies out of
// go.mod): "key: value" configuration lines (lower-case key without
// spaces), "Unit <unit> key=value" metadata lines, and result lines
// "Benchmark<name> <iters> (<value> <unit>)+" with whitespace-separated
// fields. Anything else starting with "Benchmark" is a syntax error.
func parseBench(t *testing.T, r io.Reader) (config map[string]string, better map[string]string, results map[string]map[string]float64) {
	t.Helper()
	config, better, results = map[string]string{}, map[string]string{}, map[string]map[string]float64{}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		f := strings.Fields(text)
		switch {
		case strings.HasPrefix(text, "#"): // not a key (keys start lower-case): ignored by benchfmt
		case strings.HasPrefix(text, "Benchmark"):
			if len(f) < 4 || len(f)%2 != 0 {
				t.Fatalf("line %d: want name, iterations and value/unit pairs: %q", line, text)
			}
			if _, err := strconv.Atoi(f[1]); err != nil {
				t.Fatalf("line %d: iterations: %v", line, err)
			}
			name := f[0]
			if _, dup := results[name]; dup {
				t.Fatalf("line %d: duplicate benchmark %s", line, name)
			}
			vals := map[string]float64{}
			for i := 2; i < len(f); i += 2 {
				v, err := strconv.ParseFloat(f[i], 64)
				if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("line %d: value %q: %v", line, f[i], err)
				}
				if _, dup := vals[f[i+1]]; dup {
					t.Fatalf("line %d: unit %s twice", line, f[i+1])
				}
				vals[f[i+1]] = v
			}
			results[name] = vals
		case len(f) >= 3 && f[0] == "Unit":
			for _, kv := range f[2:] {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k != "better" || (v != "higher" && v != "lower") {
					t.Fatalf("line %d: bad unit metadata %q", line, kv)
				}
				better[f[1]] = v
			}
		default:
			k, v, ok := strings.Cut(text, ":")
			if !ok || k == "" || !unicode.IsLower(rune(k[0])) || strings.ContainsFunc(k, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsUpper(r) }) {
				t.Fatalf("line %d: neither a result nor a configuration line: %q", line, text)
			}
			config[k] = strings.TrimSpace(v)
		}
	}
	return config, better, results
}

func TestBenchFormatParsesAsGoBenchmarks(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteBench(&buf, fixtureRun(t)); err != nil {
		t.Fatal(err)
	}
	config, better, results := parseBench(t, &buf)
	if config["goos"] != "linux" || config["target"] != "tcp://127.0.0.1:9001" || config["mode"] != "quick" {
		t.Errorf("config = %v", config)
	}
	lat := results["BenchmarkBaseline/TestBaselineLatencyPercentiles-2"]
	if lat["latency_p95-ms"] != 85.25 || lat["throughput-msg/s"] != 4890.5 {
		t.Errorf("latency results = %v (all: %v)", lat, results)
	}
	if better["latency_p95-ms"] != "lower" || better["throughput-msg/s"] != "higher" {
		t.Errorf("unit metadata = %v", better)
	}
	mem := results["BenchmarkBaseline/TestBaselineMemoryStability-2"]
	if _, ok := mem["gc_pause-ms"]; ok || mem["memory_growth-MB"] != 140 {
		t.Errorf("NaN must be left out, others kept: %v", mem)
	}
	if _, ok := results["BenchmarkBaseline/TestBaselineRecoveryTime/drop_10%_of_connections-2"]; !ok {
		t.Errorf("subtest missing; have %v", slices.Sorted(mapsKeys(results)))
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestHistogramLogReadsBackWithHdrReader(t *testing.T) {
	r := fixtureRun(t)
	node := r.Suites[0].Children[0]
	var buf bytes.Buffer
	if err := WriteHistogramLog(&buf, r, node); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, want := range []string{"#[Histogram log format version 1.3]", "#[StartTime: ", "#[BaseTime: ", "Tag=latency,"} {
		if !strings.Contains(text, want) {
			t.Errorf("log lacks %q:\n%s", want, text)
		}
	}
	rd := hdrhistogram.NewHistogramLogReader(&buf)
	want := node.Histograms[0].Intervals
	for i := 0; ; i++ {
		h, err := rd.NextIntervalHistogram()
		if err != nil {
			t.Fatal(err)
		}
		if h == nil {
			if i != len(want) {
				t.Errorf("read %d intervals, wrote %d", i, len(want))
			}
			break
		}
		w := want[i].Hist
		if h.TotalCount() != w.TotalCount() || h.Max() != w.Max() || h.ValueAtQuantile(99) != w.ValueAtQuantile(99) {
			t.Errorf("interval %d: count %d max %d p99 %d; wrote count %d max %d p99 %d",
				i, h.TotalCount(), h.Max(), h.ValueAtQuantile(99), w.TotalCount(), w.Max(), w.ValueAtQuantile(99))
		}
		if h.Tag() != "latency" {
			t.Errorf("interval %d tag %q", i, h.Tag())
		}
		if w.Tag() != "" || w.StartTimeMs() != 0 {
			t.Errorf("writer modified the caller's histogram: tag %q start %d", w.Tag(), w.StartTimeMs())
		}
	}
}

func TestCSVHasOneRowPerTestAndSeedColumns(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, fixtureRun(t)); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seed := []string{"test_id", "test_name", "status", "duration_ms", "assertions_passed", "assertions_failed"}
	if !slices.Equal(rows[0][:6], seed) {
		t.Errorf("header %v does not start with the seed's %v", rows[0], seed)
	}
	if len(rows) != 1+8 {
		t.Errorf("%d rows, want header + 8 tests", len(rows))
	}
	if got := rows[2]; got[1] != "TestBaselineMemoryStability" || got[2] != "failed" || got[3] != "300000" || got[5] != "1" || got[9] != "2" { // 2: the growth check and the check without data
		t.Errorf("memory row = %v", got)
	}
	var ib bytes.Buffer
	if err := WriteIntervalCSV(&ib, fixtureRun(t)); err != nil {
		t.Fatal(err)
	}
	irows, err := csv.NewReader(&ib).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	points := 0
	fixtureRun(t).Walk(func(_ []string, n *Node) {
		for _, s := range n.Series {
			points += len(s.Points)
		}
	})
	if len(irows) != 1+points {
		t.Errorf("intervals.csv has %d rows, want 1+%d", len(irows), points)
	}
}

func TestTextStartsWithTheSeedBlock(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteText(&buf, fixtureRun(t)); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, want := range []string{"=== mcpstress Test Report ===\n", "Total Tests: 8\n", "Passed: 5\n", "Failed: 2\n",
		"Pass Rate: 71.43%\n", "Total Duration: 900000 ms\n", "================================\n",
		"✗ memory_growth<100MB", "✓ p(95)<102ms"} {
		if !strings.Contains(text, want) {
			t.Errorf("text report lacks %q", want)
		}
	}
}

func TestWriteAllWritesTheDocumentedFileNamesAtomically(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reports")
	paths, err := WriteAll(dir, fixtureRun(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"report.json", "report.html", "report.csv", "intervals.csv", "report.txt", "junit.xml",
		"summary.md", "bench.txt", "baseline.TestBaselineLatencyPercentiles.hlog"}
	var got []string
	for _, p := range paths {
		got = append(got, filepath.Base(p))
	}
	if !slices.Equal(got, want) {
		t.Errorf("WriteAll wrote %v, want %v", got, want)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Errorf("dir holds %d entries (temp files left?), want %d", len(entries), len(want))
	}
	if _, err := ParseFormats([]string{"json", "pdf", "xls"}); err == nil || !strings.Contains(err.Error(), "pdf") || !strings.Contains(err.Error(), "xls") {
		t.Errorf("ParseFormats error %v should name every unknown format", err)
	}
}

func TestWriteFileAtomicKeepsOldContentOnFailure(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "report.json")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteFileAtomic(p, func(w io.Writer) error {
		if _, err := io.WriteString(w, "half a new rep"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("content %q after failed write, want old", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d entries after failed write, want 1 (temp file removed)", len(entries))
	}
	if err := WriteFileAtomic(p, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Errorf("content %q, want new", b)
	}
}

func TestNormalizeDerivesVerdicts(t *testing.T) {
	tests := []struct {
		name     string
		children []Status
		own      Status
		failTh   bool
		want     Status
	}{
		{"no children, checks or status is skipped, never passed", nil, "", false, StatusSkipped},
		{"an error beats a failure", []Status{StatusPassed, StatusFailed, StatusError}, "", false, StatusError},
		{"a failure fails the parent", []Status{StatusPassed, StatusFailed}, "", false, StatusFailed},
		{"all skipped is skipped", []Status{StatusSkipped, StatusSkipped}, "", false, StatusSkipped},
		{"some skipped still passes", []Status{StatusSkipped, StatusPassed}, "", false, StatusPassed},
		{"a set status is kept when no child is worse", []Status{StatusSkipped}, StatusPassed, false, StatusPassed},
		{"a failed child overrides a set status", []Status{StatusFailed}, StatusSkipped, false, StatusFailed},
		{"a failed threshold fails a passed node", nil, StatusPassed, true, StatusFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := &Node{Name: "s", Kind: KindSuite, Status: tt.own}
			for i, s := range tt.children {
				n.AddChild(NewTest("T"+strconv.Itoa(i), s, time.Second))
			}
			if tt.failTh {
				n.AddThreshold("p(99)<1ms", 2, "ms", false)
			}
			r := &Run{Suites: []*Node{n}}
			r.Normalize()
			if n.Status != tt.want {
				t.Errorf("status %q, want %q", n.Status, tt.want)
			}
		})
	}
}

func TestValidateReportsEveryProblemAndWriteAllRefuses(t *testing.T) {
	r := fixtureRun(t)
	if err := r.Validate(); err != nil {
		t.Fatalf("fixture invalid: %v", err)
	}
	bad := fixtureRun(t)
	lat := bad.Suites[0].Children[0]
	lat.Status = "flaky"
	lat.Faults = append(lat.Faults, FaultEvent{Kind: "crash", Start: 2 * time.Second, End: time.Second})
	lat.Tables = []Table{{Title: "t", Columns: []string{"a", "b"}, Rows: [][]string{{"1"}}}}
	lat.AddThreshold("p(99)<1s", math.NaN(), "s", true)
	bad.Suites[1].Children = append(bad.Suites[1].Children, nil, NewSuite("nested"))
	bad.Suites = append(bad.Suites, NewTest("TopLevelTest", StatusPassed, 0))
	err := bad.Validate()
	for _, want := range []string{`unknown status "flaky"`, "ends (1s) before it starts", "row 0 has 1 cells", "unmeasured (NaN)",
		"scale: nil node", "suite nested below", "top-level node is a test"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v\nwant it to mention %q", err, want)
		}
	}
	dir := t.TempDir()
	if paths, err := WriteAll(dir, bad); err == nil || len(paths) != 0 {
		t.Errorf("WriteAll on an invalid run = %v, %v; want an error and no files", paths, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("WriteAll wrote %d files for an invalid run", len(entries))
	}
}

func TestPercentileSeriesComesFromTheHistograms(t *testing.T) {
	h := HistogramLog{Name: "latency", Intervals: []Interval{
		{Start: 0, End: time.Second, Hist: fixtureHist(t, 100, int64(10*time.Millisecond), int64(10*time.Millisecond))},
		{Start: time.Second, End: 2 * time.Second, Hist: hdrhistogram.New(1, int64(time.Minute), 3)},
	}}
	s := PercentileSeries(h, false)
	if len(s) != 4 || s[0].Name != "p50" || s[3].Name != "max" || s[0].Chart != ChartLatency || s[0].Unit != "ms" {
		t.Fatalf("series = %+v", s)
	}
	// 100 values 10.0, 10.1, …, 19.9 ms: p50 = 14.9 ms, p99 = 19.8 ms, max 19.9 ms (3 significant figures).
	for i, want := range []float64{14.9, 19.4, 19.8, 19.9} {
		if got := s[i].Points[0].V; math.Abs(got-want) > 0.02 {
			t.Errorf("%s = %v ms, want ≈ %v", s[i].Name, got, want)
		}
		if s[i].Points[0].T != time.Second || !math.IsNaN(s[i].Points[1].V) {
			t.Errorf("%s points %+v: want stamp 1s and a NaN gap for the empty interval", s[i].Name, s[i].Points)
		}
	}
	if got := PercentileSeries(h, true)[2].Name; got != "latency p99" {
		t.Errorf("prefixed name %q", got)
	}
}
