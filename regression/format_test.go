package regression

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// golden compares got with testdata/name; on mismatch it writes name.got
// beside it. -update rewrites the golden file.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if !bytes.Equal(got, want) {
		gotPath := path + ".got"
		_ = os.WriteFile(gotPath, got, 0o644)
		t.Errorf("%s differs from golden; see %s (rerun with -update if intended)", path, gotPath)
	}
}

func exampleReport(t *testing.T) Report {
	t.Helper()
	p50 := Metric{Name: "echo_p50", Unit: "ns", Direction: LowerIsBetter}
	p99 := Metric{Name: "echo_p99", Unit: "ns", Direction: LowerIsBetter}
	thr := Metric{Name: "echo_throughput", Unit: "req/s", Direction: HigherIsBetter}
	allocs := Metric{Name: "echo_allocs", Unit: "allocs/op", Direction: LowerIsBetter, Assume: AssumeExact}
	few := Metric{Name: "rss", Unit: "B", Direction: LowerIsBetter}
	old := []Samples{
		{p50, wobble(43000, 10)}, {p99, wobble(4.4e6, 10)}, {thr, wobble(16000, 10)},
		{allocs, []float64{21, 21, 21}}, {few, wobble(2.5e6, 3)},
	}
	new := []Samples{
		{p50, wobble(43500, 10)}, {p99, scale(wobble(4.4e6, 10), 1.25)}, {thr, scale(wobble(16000, 10), 1.12)},
		{allocs, []float64{21, 21, 21}}, {few, wobble(2.6e6, 3)},
	}
	new[0].Values[4] = 90000 // a spike, kept and footnoted
	r, err := Compare(Config{}, old, new)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestWriteTableGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTable(&b, exampleReport(t), "old", "new"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"~ (p=", "REGRESSION", "improvement", "inconclusive", "geomean", "need >= 5 runs"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	golden(t, "table.golden", b.Bytes())
}

func TestWriteBenchFormatGolden(t *testing.T) {
	env := Env{GOOS: "linux", GOARCH: "amd64", CPUModel: "Test CPU", MachineKind: "test"}
	s := []Samples{
		{Metric{Name: "p99", Unit: "ns", Direction: LowerIsBetter}, []float64{4100, 4200.5}},
		{Metric{Name: "throughput", Unit: "req/s", Direction: HigherIsBetter}, []float64{16000, 15800}},
	}
	var b bytes.Buffer
	if err := WriteBenchFormat(&b, "echo", env, s); err != nil {
		t.Fatal(err)
	}
	golden(t, "bench.golden", b.Bytes())
	s[1].Values = s[1].Values[:1]
	if err := WriteBenchFormat(&b, "echo", env, s); err == nil {
		t.Error("ragged runs must be an error")
	}
}

func TestWriteBenchFormatKeepsSubBenchmarkNames(t *testing.T) {
	s := []Samples{{Metric{Name: "p99", Unit: "ns", Direction: LowerIsBetter}, []float64{1}}}
	var b bytes.Buffer
	if err := WriteBenchFormat(&b, "BenchmarkEcho/quick", Env{}, s); err != nil {
		t.Fatal(err)
	}
	if want := "Unit ns better=lower assume=nothing\nBenchmarkEcho/quick/p99\t1\t1 ns\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestBenchWriterMakesEveryLineOneRecord(t *testing.T) {
	var b bytes.Buffer
	bw := NewBenchWriter(&b)
	bw.Comment("run 1\nrevision \xff")
	bw.Config("target", "tcp://h:1\r\nmode: x")
	bw.Config("empty", "")
	bw.Unit(" ms", LowerIsBetter, "")
	bw.Unit("ms", HigherIsBetter, "exact") // a unit's metadata is written once
	bw.Result([]string{"éclair suite", "a/b\ttest", ""}, 4,
		BenchValue{1.5, "ms "}, BenchValue{math.NaN(), "x"}, BenchValue{12345678, ""}, BenchValue{1.0 / 3, "per\x00 op"})
	bw.Result([]string{"onlyInf"}, 0, BenchValue{math.Inf(1), "ms"})
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "# run 1 revision \uFFFD\n" +
		"target: tcp://h:1  mode: x\n" +
		"Unit ms better=lower\n" +
		"BenchmarkÉclair_suite/a_b_test/_-4\t1\t1.5 ms\t12345678 value\t0.3333333333333333 per_op\n"
	if got := b.String(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	if !utf8.Valid(b.Bytes()) {
		t.Error("output is not UTF-8: benchfmt rejects the file")
	}
}

func TestBenchValuesParseBackExactly(t *testing.T) {
	for _, v := range []float64{0, 4100, 4200.5, 4.4e6 * 1.0123, 123456789012345, 1e15, 1e300, 5e-324, -0.25, 1.0 / 3} {
		s := formatBenchValue(v)
		got, err := strconv.ParseFloat(s, 64)
		if err != nil || got != v {
			t.Errorf("%v written as %q reads back as %v (%v)", v, s, got, err)
		}
	}
	if s := formatBenchValue(4400000); s != "4400000" {
		t.Errorf("integers are written in full: got %q", s)
	}
}

func TestReportsEncodeAsJSON(t *testing.T) {
	r := exampleReport(t) // has an inconclusive metric: NaN p, unbounded CIs
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"p":null`) || !strings.Contains(string(b), `"lo":null`) {
		t.Errorf("non-finite values should be null: %s", b)
	}
	g, _ := Gate([]float64{1, 2}, 3, LowerIsBetter, GateConfig{})
	if _, err := json.Marshal(g); err != nil {
		t.Errorf("inconclusive gate result: %v", err)
	}
}
