package regression

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// The noise collector makes real measurements on this machine. It is off by
// default; run it with
//
//	go test ./regression -run TestCollectNoise -collect-noise -timeout 30m
var (
	collectNoise  = flag.Bool("collect-noise", false, "collect real run-to-run noise into testdata/noise (slow)")
	noiseRuns     = flag.Int("noise-runs", 120, "number of runs to collect")
	noiseDuration = flag.Duration("noise-run-duration", time.Second, "measured duration of each run")
	noiseClients  = flag.Int("noise-clients", 4, "closed-loop clients per run")
	noiseOut      = flag.String("noise-out", "../testdata/noise/loopback_echo.json", "corpus file to write")
	noiseNotes    = flag.String("noise-notes", "", "conditions during collection, stored in the corpus")
)

// echoMetrics are the per-run metrics of the loopback echo workload.
var echoMetrics = []Metric{
	{Name: "echo_p50", Unit: "ns", Direction: LowerIsBetter},
	{Name: "echo_p95", Unit: "ns", Direction: LowerIsBetter},
	{Name: "echo_p99", Unit: "ns", Direction: LowerIsBetter},
	{Name: "echo_throughput", Unit: "req/s", Direction: HigherIsBetter},
	{Name: "echo_alloc", Unit: "B/op", Direction: LowerIsBetter},
	{Name: "echo_heap", Unit: "B", Direction: LowerIsBetter},
}

func TestCollectNoise(t *testing.T) {
	if !*collectNoise {
		t.Skip("pass -collect-noise to measure run-to-run noise (takes minutes)")
	}
	if *noiseRuns < 2 || *noiseDuration <= 0 || *noiseClients < 1 {
		t.Fatalf("bad flags: runs=%d duration=%v clients=%d", *noiseRuns, *noiseDuration, *noiseClients)
	}
	corpus := NoiseCorpus{
		Source: fmt.Sprintf("loopback echo proxy workload, not yet the baseline suite: an in-process TCP server "+
			"echoing newline-delimited JSON-RPC requests, %d closed-loop clients, one fresh server per run, "+
			"latency from HdrHistogram (ns, 3 significant figures), alloc = Go heap bytes allocated per request "+
			"(client and server together), heap = live heap object bytes at the end of the run", *noiseClients),
		Command:    "go test ./regression -run TestCollectNoise -collect-noise " + strings.Join(nonDefaultNoiseFlags(), " "),
		Notes:      *noiseNotes,
		Env:        CurrentEnv(),
		RunSeconds: noiseDuration.Seconds(),
	}
	for _, m := range echoMetrics {
		corpus.Metrics = append(corpus.Metrics, Samples{Metric: m})
	}
	ctx := context.Background()
	for i := 0; i < *noiseRuns; i++ {
		vals, err := runEchoWorkload(ctx, *noiseClients, *noiseDuration)
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		for j := range corpus.Metrics {
			corpus.Metrics[j].Values = append(corpus.Metrics[j].Values, vals[j])
		}
		if i%10 == 0 {
			t.Logf("run %d: p50=%.0fns p99=%.0fns throughput=%.0f/s", i, vals[0], vals[2], vals[3])
		}
	}
	corpus.Collected = time.Now().UTC().Format(time.RFC3339)
	if err := SaveNoiseCorpus(*noiseOut, corpus); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d runs to %s", *noiseRuns, *noiseOut)
}

func nonDefaultNoiseFlags() []string {
	var out []string
	flag.Visit(func(f *flag.Flag) {
		if strings.HasPrefix(f.Name, "noise-") {
			out = append(out, fmt.Sprintf("-%s=%q", f.Name, f.Value.String()))
		}
	})
	return out
}

type echoRequest struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      int64           `json:"id"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
}

type echoResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      int64           `json:"id"`
	Result  json.RawMessage `json:"result"`
}

// runEchoWorkload starts a fresh echo server, drives it with closed-loop
// clients for d (after a short unrecorded warm-up) and returns the values of
// echoMetrics in order.
func runEchoWorkload(ctx context.Context, clients int, d time.Duration) ([]float64, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	var srvWG sync.WaitGroup
	var connsMu sync.Mutex
	var conns []net.Conn
	srvWG.Add(1)
	go func() {
		defer srvWG.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			connsMu.Lock()
			conns = append(conns, c)
			connsMu.Unlock()
			srvWG.Add(1)
			go func() {
				defer srvWG.Done()
				serveEcho(c)
			}()
		}
	}()
	defer func() {
		ln.Close()
		connsMu.Lock()
		for _, c := range conns {
			c.Close()
		}
		connsMu.Unlock()
		srvWG.Wait()
	}()

	warm := d / 5
	runCtx, cancel := context.WithTimeout(ctx, warm+d)
	defer cancel()
	start := time.Now()
	recordFrom := start.Add(warm)
	hists := make([]*hdrhistogram.Histogram, clients)
	counts := make([]int64, clients)
	errs := make([]error, clients)
	var allocStart [1]metrics.Sample
	allocStart[0].Name = "/gc/heap/allocs:bytes"
	var cliWG sync.WaitGroup
	var measureStart time.Time
	var startOnce sync.Once
	for i := range clients {
		hists[i] = hdrhistogram.New(1_000, 10_000_000_000, 3)
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return nil, err
		}
		cliWG.Add(1)
		go func() {
			defer cliWG.Done()
			defer c.Close()
			errs[i] = echoClient(runCtx, c, int64(i)<<40, recordFrom, hists[i], &counts[i], func() {
				startOnce.Do(func() {
					metrics.Read(allocStart[:])
					measureStart = time.Now()
				})
			})
		}()
	}
	cliWG.Wait()
	end := time.Now()
	allocEnd := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(allocEnd)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	total := hdrhistogram.New(1_000, 10_000_000_000, 3)
	var n int64
	for i, h := range hists {
		if dropped := total.Merge(h); dropped != 0 {
			return nil, fmt.Errorf("merge dropped %d values", dropped)
		}
		n += counts[i]
	}
	if n == 0 || measureStart.IsZero() {
		return nil, errors.New("no requests completed in the measured window")
	}
	elapsed := end.Sub(measureStart).Seconds()
	allocs := float64(allocEnd[0].Value.Uint64()-allocStart[0].Value.Uint64()) / float64(n)
	return []float64{
		float64(total.ValueAtQuantile(50)),
		float64(total.ValueAtQuantile(95)),
		float64(total.ValueAtQuantile(99)),
		float64(n) / elapsed,
		allocs,
		float64(allocEnd[1].Value.Uint64()),
	}, nil
}

func serveEcho(c net.Conn) {
	r := bufio.NewReaderSize(c, 64<<10)
	w := bufio.NewWriter(c)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return
		}
		var req echoRequest
		if err := json.Unmarshal(line, &req); err != nil {
			return
		}
		out, err := json.Marshal(echoResponse{JSONRPC: "2.0", ID: req.ID, Result: req.Params})
		if err != nil {
			return
		}
		out = append(out, '\n')
		if _, err := w.Write(out); err != nil {
			return
		}
		if err := w.Flush(); err != nil {
			return
		}
	}
}

// echoClient sends requests one at a time until ctx ends, recording the
// round-trip latency of every response received after recordFrom. Every
// response must carry the id of its request.
func echoClient(ctx context.Context, c net.Conn, idBase int64, recordFrom time.Time, h *hdrhistogram.Histogram, count *int64, onFirstRecord func()) error {
	r := bufio.NewReaderSize(c, 64<<10)
	params := json.RawMessage(`{"name":"echo","arguments":{"text":"the quick brown fox jumps over the lazy dog","n":42}}`)
	for id := idBase; ; id++ {
		if ctx.Err() != nil {
			return nil
		}
		b, err := json.Marshal(echoRequest{JSONRPC: "2.0", ID: id, Method: "tools/call", Params: params})
		if err != nil {
			return err
		}
		b = append(b, '\n')
		t0 := time.Now()
		if _, err := c.Write(b); err != nil {
			return err
		}
		line, err := r.ReadBytes('\n')
		if err != nil {
			return err
		}
		lat := time.Since(t0)
		var resp echoResponse
		if err := json.Unmarshal(line, &resp); err != nil {
			return err
		}
		if resp.ID != id {
			return fmt.Errorf("response id %d, want %d", resp.ID, id)
		}
		if t0.Before(recordFrom) {
			continue
		}
		onFirstRecord()
		if err := h.RecordValue(lat.Nanoseconds()); err != nil {
			return fmt.Errorf("latency %v out of histogram range: %w", lat, err)
		}
		*count++
	}
}
