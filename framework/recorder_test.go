package framework

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework/client"
)

func newTestRecorder(t testing.TB, cfg RecorderConfig) *Recorder {
	t.Helper()
	if cfg.Ops == nil {
		cfg.Ops = []string{"ping", "tools/call/echo"}
	}
	r, err := NewRecorder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRecorderMergesStripesExactly(t *testing.T) {
	r := newTestRecorder(t, RecorderConfig{Sessions: 8, Stripes: 4})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				r.Record(w, Sample{Op: i % 2, Session: w, Outcome: client.Outcome(i % client.NumOutcomes), Code: -32601,
					Corrected: time.Duration(i+1) * time.Millisecond, Uncorrected: time.Duration(i+1) * time.Microsecond})
			}
		})
	}
	wg.Wait()
	t0 := time.Unix(0, 0)
	snap := r.Rotate(t0, t0.Add(time.Second))
	set, counts, byOp, codes := r.Totals()
	if counts.Total() != 8000 || snap.Counts.Total() != 8000 {
		t.Fatalf("total %d (interval %d), want 8000", counts.Total(), snap.Counts.Total())
	}
	for _, o := range client.Outcomes() {
		// 1000 = 142×7 + 6: outcomes 0-5 get 143 per worker, 6 gets 142.
		want := uint64(143 * 8)
		if o == client.Cancelled {
			want = 142 * 8
		}
		if got := counts.Get(o); got != want {
			t.Errorf("%v: %d, want %d", o, got, want)
		}
	}
	if byOp["ping"].Total() != 4000 || byOp["tools/call/echo"].Total() != 4000 {
		t.Errorf("by op %v", byOp)
	}
	if codes[-32601] != counts.RPCError {
		t.Errorf("codes %v, rpc errors %d", codes, counts.RPCError)
	}
	// Latency is kept for OK, tool, rpc and timeout samples only.
	wantLat := int64(counts.OK + counts.ToolError + counts.RPCError + counts.Timeout)
	if set.Corrected.TotalCount() != wantLat || set.Uncorrected.TotalCount() != wantLat {
		t.Errorf("histogram counts %d/%d, want %d", set.Corrected.TotalCount(), set.Uncorrected.TotalCount(), wantLat)
	}
	// A session counts what the server answered on it (ok, tool and rpc
	// errors: i%7 in {0,1,2}) and their corrected latencies.
	var wantAnswered uint64
	var wantSum time.Duration
	for i := range 1000 {
		if i%client.NumOutcomes <= 2 {
			wantAnswered++
			wantSum += time.Duration(i+1) * time.Millisecond
		}
	}
	for i, c := range r.Sessions() {
		if c.Answered != wantAnswered || c.LatencySum != wantSum {
			t.Errorf("session %d: %+v, want %d answered summing %v", i, c, wantAnswered, wantSum)
		}
	}
}

func TestRecorderIntervalsAddUpToTheTotals(t *testing.T) {
	r := newTestRecorder(t, RecorderConfig{Window: 2})
	t0 := time.Unix(100, 0)
	for k := range 5 {
		for i := 0; i <= k; i++ {
			r.Record(i, Sample{Outcome: client.OK, Corrected: time.Duration(k+1) * time.Millisecond})
		}
		r.Rotate(t0.Add(time.Duration(k)*time.Second), t0.Add(time.Duration(k+1)*time.Second))
	}
	series, evicted := r.Series()
	if len(series) != 5 || evicted != 0 {
		t.Fatalf("%d intervals, %d evicted", len(series), evicted)
	}
	var sum OutcomeCounts
	for k, s := range series {
		sum.Add(s.Counts)
		if s.Counts.OK != uint64(k+1) || s.Throughput != float64(k+1) {
			t.Errorf("interval %d: ok %d throughput %v", k, s.Counts.OK, s.Throughput)
		}
		if s.Index != k {
			t.Errorf("interval %d has grid index %d", k, s.Index)
		}
		if h, err := s.HDR.Corrected.Decode(); err != nil || h.TotalCount() != int64(k+1) {
			t.Errorf("interval %d: encoded histogram %v, err %v; want %d values", k, h, err, k+1)
		}
	}
	_, total, _, _ := r.Totals()
	if sum != total || total.OK != 15 {
		t.Errorf("intervals sum to %+v, totals %+v", sum, total)
	}
	// The window holds the last two intervals: 4 samples of 4ms, 5 of 5ms.
	set, counts, span := r.Window(10)
	if counts.OK != 9 || span != 2*time.Second || !set.Corrected.ValuesAreEquivalent(5000, set.Corrected.Max()) {
		t.Errorf("window: %d ok over %v, max %v", counts.OK, span, set.Corrected.Stats().Max)
	}
}

func TestRecorderRetentionBoundsTheSeriesAndStorageKeepsAll(t *testing.T) {
	var buf bytes.Buffer
	r := newTestRecorder(t, RecorderConfig{Retention: 3, Storage: &buf})
	t0 := time.Unix(0, 0)
	for k := range 10 {
		r.Record(0, Sample{Outcome: client.OK})
		r.Rotate(t0.Add(time.Duration(k)*time.Second), t0.Add(time.Duration(k+1)*time.Second))
	}
	series, evicted := r.Series()
	if len(series) != 3 || evicted != 7 || !series[0].Start.Equal(t0.Add(7*time.Second)) {
		t.Errorf("kept %d (from %v), evicted %d; want the last 3 and 7", len(series), series[0].Start, evicted)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 10 {
		t.Fatalf("storage has %d lines, want 10", len(lines))
	}
	var snap IntervalSnapshot
	if err := json.Unmarshal([]byte(lines[9]), &snap); err != nil || snap.Counts.OK != 1 {
		t.Errorf("last stored line: %v %+v", err, snap)
	}
}

func TestRecorderMemoryIsBoundedByRetentionAndWindow(t *testing.T) {
	r := newTestRecorder(t, RecorderConfig{Retention: 10, Window: 5})
	t0 := time.Unix(0, 0)
	for k := range 300 {
		for i := range 50 {
			r.Record(i, Sample{Outcome: client.OK, Corrected: time.Duration(k*50+i) * time.Microsecond})
		}
		r.Rotate(t0.Add(time.Duration(k)*time.Second), t0.Add(time.Duration(k+1)*time.Second))
	}
	series, evicted := r.Series()
	if len(series) != 10 || evicted != 290 || len(r.window) != 5 {
		t.Errorf("series %d (evicted %d), window %d; want 10, 290, 5", len(series), evicted, len(r.window))
	}
	// The cumulative histogram still holds every sample.
	set, counts, _, _ := r.Totals()
	if counts.OK != 15000 || set.Corrected.TotalCount() != 15000 {
		t.Errorf("totals %d ok, %d in the histogram; want 15000", counts.OK, set.Corrected.TotalCount())
	}
}

func TestRecorderClampsValuesAboveTheRange(t *testing.T) {
	r := newTestRecorder(t, RecorderConfig{})
	r.Record(0, Sample{Outcome: client.Timeout, Corrected: 2 * time.Hour})
	r.Rotate(time.Unix(0, 0), time.Unix(1, 0))
	set, counts, _, _ := r.Totals()
	if r.Clamped() != 1 || counts.Timeout != 1 || set.Corrected.TotalCount() != 1 {
		t.Errorf("clamped %d, timeouts %d, recorded %d", r.Clamped(), counts.Timeout, set.Corrected.TotalCount())
	}
}

func TestHistogramJSONRoundTrip(t *testing.T) {
	h := NewHistogram()
	for i := 1; i <= 1000; i++ {
		h.recordDuration(time.Duration(i) * time.Microsecond)
	}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var back Histogram
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Equals(h.Histogram) {
		t.Error("histogram changed through JSON")
	}
	if err := json.Unmarshal([]byte(`"not base64"`), &back); err == nil {
		t.Error("garbage decoded")
	}
}

func TestNewRecorderListsEveryProblem(t *testing.T) {
	_, err := NewRecorder(RecorderConfig{Sessions: -1, Stripes: -1})
	if err == nil || !strings.Contains(err.Error(), "operation") || !strings.Contains(err.Error(), "sessions") || !strings.Contains(err.Error(), "stripes") {
		t.Fatalf("err = %v", err)
	}
}

func TestSummaryIsJSONSerialisable(t *testing.T) {
	sum := &Summary{Result: Result{Scenario: "x", Histograms: newLatencySet()}, Conservation: Conservation{Holds: true}}
	sum.Histograms.Corrected.recordDuration(5 * time.Millisecond)
	b, err := json.Marshal(sum)
	if err != nil {
		t.Fatal(err)
	}
	var back Summary
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Histograms.Corrected.TotalCount() != 1 {
		t.Errorf("histogram lost: %s", b)
	}
}

// BenchmarkRecord is the cost of recording one request on the hot path
// (target: under 100 ns), uncontended and with every worker recording.
func BenchmarkRecord(b *testing.B) {
	s := Sample{Op: 1, Session: 3, Outcome: client.OK, Corrected: 1234 * time.Microsecond, Uncorrected: 987 * time.Microsecond, Lag: 12 * time.Microsecond}
	b.Run("one worker", func(b *testing.B) {
		r := newTestRecorder(b, RecorderConfig{Sessions: 8})
		b.ReportAllocs()
		for b.Loop() {
			r.Record(0, s)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		r := newTestRecorder(b, RecorderConfig{Sessions: 8})
		var next int
		var mu sync.Mutex
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			mu.Lock()
			w := next
			next++
			mu.Unlock()
			for pb.Next() {
				r.Record(w, s)
			}
		})
	})
}

// BenchmarkRotate is the cost of one interval rotation with 8 stripes.
func BenchmarkRotate(b *testing.B) {
	r := newTestRecorder(b, RecorderConfig{Stripes: 8})
	t0 := time.Unix(0, 0)
	for b.Loop() {
		for w := range 8 {
			r.Record(w, Sample{Outcome: client.OK, Corrected: time.Millisecond})
		}
		r.Rotate(t0, t0.Add(time.Second))
	}
}

// A session returning an Outcome the engine does not know must not panic
// the recorder or lose the request: it counts as a transport error.
func TestRecordClampsAnOutOfRangeOutcome(t *testing.T) {
	rec := newTestRecorder(t, RecorderConfig{Sessions: 1})
	for _, o := range []client.Outcome{client.Outcome(client.NumOutcomes), client.Outcome(200), client.Outcome(255)} {
		rec.Record(0, Sample{Op: 0, Session: 0, Outcome: o})
	}
	t0 := time.Unix(0, 0)
	rec.Rotate(t0, t0.Add(time.Second))
	_, counts, _, _ := rec.Totals()
	if counts.TransportError != 3 || counts.Total() != 3 {
		t.Fatalf("counts %+v; want 3 transport errors", counts)
	}
}

// BenchmarkRetainedPerInterval is the memory a run keeps for each interval
// it records (the snapshot in Result.Intervals: counts, percentiles and the
// three encoded histograms that sliding windows, shard merges, snapshot
// percentiles and HDR logs read), at 1,000, 3,900 (one of the sustained
// demo's two client processes) and 7,800 answers an interval, latencies
// spread like the demo's (0.3 ms plus an exponential tail of mean 0.8 ms,
// one in a thousand up to 50 ms). A long run's own heap grows by this much
// per interval by design; at 1 s intervals, B/interval × 3,600 is its
// growth per hour.
func BenchmarkRetainedPerInterval(b *testing.B) {
	for _, perInterval := range []int{1000, 3900, 7800} {
		b.Run(fmt.Sprintf("answers=%d", perInterval), func(b *testing.B) {
			r := newTestRecorder(b, RecorderConfig{Sessions: 15000, Window: 60})
			rnd := rand.New(rand.NewPCG(1, 2))
			t0 := time.Unix(0, 0)
			var encoded, n int
			for b.Loop() {
				for j := range perInterval {
					lat := 300*time.Microsecond + time.Duration(rnd.ExpFloat64()*float64(800*time.Microsecond))
					if rnd.IntN(1000) == 0 {
						lat = time.Duration(rnd.Int64N(int64(50 * time.Millisecond)))
					}
					r.Record(j%8, Sample{Session: j % 15000, Outcome: client.OK, Corrected: lat, Uncorrected: lat / 2, Lag: lat / 3})
				}
				s := r.Rotate(t0.Add(time.Duration(n)*time.Second), t0.Add(time.Duration(n+1)*time.Second))
				encoded += len(s.HDR.Corrected) + len(s.HDR.Uncorrected) + len(s.HDR.Lag)
				n++
			}
			b.StopTimer()
			var with, without runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&with)
			r.mu.Lock()
			r.series = nil
			r.mu.Unlock()
			runtime.GC()
			runtime.ReadMemStats(&without)
			runtime.KeepAlive(r)
			b.ReportMetric((float64(with.HeapAlloc)-float64(without.HeapAlloc))/float64(n), "B/interval")
			b.ReportMetric(float64(encoded)/float64(n), "hdr_B/interval")
		})
	}
}
