package report

import (
	"bytes"
	"context"
	"io"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcpstress/mcpstress/regression"
)

// soakRun is a 24-hour soak's worth of 1-second interval series (86,400
// points each, five series) for the size and speed of the HTML writer.
func soakRun(tb testing.TB) *Run {
	tb.Helper()
	n := NewTest("TestSustained24h", StatusPassed, 24*time.Hour)
	for i, name := range []string{"p50", "p95", "p99", "max", "rss"} {
		s := Series{Name: name, Unit: "ms", Chart: ChartLatency}
		if name == "rss" {
			s.Unit, s.Chart = "MB", ChartMemory
		}
		s.Points = make([]Point, 86400)
		for t := range s.Points {
			v := float64(10*(i+1)) + float64(t%97)/10
			if t == 50000 {
				v = 5000 // one spike the decimation must keep
			}
			s.Points[t] = Point{T: time.Duration(t) * time.Second, V: v}
		}
		n.Series = append(n.Series, s)
	}
	return &Run{ID: "soak", Started: fixtureStart, Duration: 24 * time.Hour, Suites: []*Node{NewSuite("sustained", n)}}
}

func TestHTMLOfALongSoakStaysSmallAndKeepsSpikes(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteHTML(&buf, soakRun(t)); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 2<<20 {
		t.Errorf("HTML of a 24 h soak is %d bytes, want < 2 MiB (charts decimated, tables capped)", buf.Len())
	}
	xys := finiteXYs(soakRun(t).Suites[0].Children[0].Series[0].Points)
	if len(xys) > 2*maxChartBuckets {
		t.Errorf("%d points drawn, want ≤ %d", len(xys), 2*maxChartBuckets)
	}
	kept := false
	for _, p := range xys {
		kept = kept || p.Y == 5000
	}
	if !kept {
		t.Error("decimation lost the spike")
	}
	if !strings.Contains(buf.String(), "first 300 points; all in intervals.csv") {
		t.Error("capped interval table does not say where the rest is")
	}
}

func TestBenchOfAwkwardNamesStillParses(t *testing.T) {
	n := NewTest("ärger im/test", StatusPassed, time.Second).
		AddMetric("p95 latency", "ms", 1.5, BetterLower).
		AddMetric("rss", "MB", math.NaN(), BetterLower)
	r := &Run{ID: "a\nb", Started: fixtureStart, Env: Environment{CPUs: 4}, Suites: []*Node{NewSuite("écho", n)}}
	var buf bytes.Buffer
	if err := WriteBench(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(buf.Bytes()) {
		t.Fatalf("bench.txt is not UTF-8 (benchfmt rejects the whole file): %q", buf.String())
	}
	_, better, results := parseBench(t, &buf)
	got := results["BenchmarkÉcho/ärger_im_test-4"]
	if len(got) != 1 || got["p95_latency-ms"] != 1.5 || better["p95_latency-ms"] != "lower" {
		t.Errorf("results %v, unit metadata %v", results, better)
	}
}

func TestDetectedEnvironmentIsRegressionsFingerprint(t *testing.T) {
	m := regression.CurrentEnv()
	env := DetectEnvironment("embedded", "quick")
	if env.OS != m.GOOS || env.Arch != m.GOARCH || env.CPUs != m.NumCPU || env.CPUModel != m.CPUModel ||
		env.MemoryBytes != m.MemBytes || env.GoVersion != m.GoVersion || env.MachineKind != m.MachineKind {
		t.Errorf("DetectEnvironment = %+v, regression.CurrentEnv = %+v", env, m)
	}
	env.CPUModel, env.MachineKind = "Test CPU", "test"
	var buf bytes.Buffer
	if err := WriteBench(&buf, &Run{ID: "r", Started: fixtureStart, Env: env}); err != nil {
		t.Fatal(err)
	}
	config, _, _ := parseBench(t, &buf)
	if config["goos"] != env.OS || config["cpu"] != "" || config["machine-kind"] != "" {
		t.Errorf("bench.txt configuration %v: want goos and goarch only, so runs from two CI runners line up", config)
	}
}

func TestStreamEventsWritesNDJSONUntilClosed(t *testing.T) {
	b := NewBuilder("r", fixtureStart, Environment{}, nil)
	sub := b.Subscribe(8)
	b.Progress("s", "t", Metric{Name: "rate", Value: 1})
	b.AddResult("s", NewTest("t", StatusPassed, time.Second))
	b.Close()
	var buf bytes.Buffer
	if err := StreamEvents(context.Background(), &buf, sub); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"type":"progress"`) || !strings.Contains(lines[1], `"type":"result"`) {
		t.Errorf("stream = %q", lines)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := StreamEvents(ctx, io.Discard, b.Subscribe(1)); err != context.Canceled {
		t.Errorf("cancelled stream returned %v", err)
	}
}

func BenchmarkWriteAllFixture(b *testing.B) {
	r := fixtureRun(b)
	dir := b.TempDir()
	for b.Loop() {
		if _, err := WriteAll(dir, r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteHTMLSoak24h(b *testing.B) {
	r := soakRun(b)
	var size int
	for b.Loop() {
		var buf bytes.Buffer
		if err := WriteHTML(&buf, r); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size), "html-bytes")
}

func BenchmarkBuilderAddResult(b *testing.B) {
	bl := NewBuilder("r", fixtureStart, Environment{}, nil)
	n := NewTest("T", StatusPassed, time.Second).AddMetric("rate", "msg/s", 1, BetterHigher).AddCount("ok", 1)
	for b.Loop() {
		bl.AddResult("s", n)
	}
}

// BenchmarkExporterObserveRequest is the exporter's cost per request on
// the load path (counter + native/classic histogram), in parallel as the
// workers call it.
func BenchmarkExporterObserveRequest(b *testing.B) {
	e, err := NewExporter(prometheus.NewRegistry(), ExporterOptions{Enabled: true, Suite: "baseline"})
	if err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		d := time.Millisecond
		for pb.Next() {
			e.ObserveRequest("tools/call", "ok", d)
			d += time.Microsecond
		}
	})
}

// BenchmarkExporterBoundObserve is the same with the labels bound once.
func BenchmarkExporterBoundObserve(b *testing.B) {
	e, err := NewExporter(prometheus.NewRegistry(), ExporterOptions{Enabled: true, Suite: "baseline"})
	if err != nil {
		b.Fatal(err)
	}
	bound := e.Bind("tools/call", "ok")
	b.RunParallel(func(pb *testing.PB) {
		d := time.Millisecond
		for pb.Next() {
			bound.Observe(d)
			d += time.Microsecond
		}
	})
}
