package framework_test

import (
	"bufio"
	"context"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/mcptest"
)

// engineBenchWall is how long each side of BenchmarkEngineVsRaw runs
// (MCPSTRESS_BENCH_WALL, default 3s), whatever b.N is.
func engineBenchWall() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("MCPSTRESS_BENCH_WALL")); err == nil && d > 0 {
		return d
	}
	return 3 * time.Second
}

// rawEchoRPS drives n raw TCP connections to a rawecho server closed-loop
// (write a line, read it back) for wall and returns round trips per second:
// the ceiling no MCP stack can beat on this machine.
func rawEchoRPS(tb testing.TB, addr string, n int, wall time.Duration) float64 {
	tb.Helper()
	line := []byte(strings.Repeat("x", 63) + "\n")
	conns := make([]net.Conn, n)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			tb.Fatalf("raw dial %d: %v", i, err)
		}
		conns[i] = c
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	var total, bad atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(wall)
	for _, c := range conns {
		wg.Go(func() {
			r := bufio.NewReaderSize(c, 4096)
			var ok int64
			for time.Now().Before(stop) {
				if _, err := c.Write(line); err != nil {
					bad.Add(1)
					return
				}
				if l, err := r.ReadSlice('\n'); err != nil || len(l) != len(line) {
					bad.Add(1)
					return
				}
				ok++
			}
			total.Add(ok)
		})
	}
	wg.Wait()
	if bad.Load() > 0 {
		tb.Fatalf("raw echo: %d connections failed", bad.Load())
	}
	return float64(total.Load()) / wall.Seconds()
}

// BenchmarkEngineVsRaw: the whole engine (closed model, no think time, so it
// runs as fast as the server answers) driving echo on the reference server,
// against the raw ceiling (a newline echo server driven by plain sockets),
// each server in its own process, at 150 and at 5,000 sessions. Reports
// engine_rps, raw_rps, their ratio, and the engine's p50/p99.
func BenchmarkEngineVsRaw(b *testing.B) {
	for _, sessions := range []int{150, 5000} {
		b.Run("sessions="+strconv.Itoa(sessions), func(b *testing.B) {
			wall := engineBenchWall()
			raw := mcptest.StartServer(b, mcptest.Options{Transport: mcptest.TransportRawEcho})
			ref := mcptest.StartServer(b, mcptest.Options{Transport: mcptest.TransportTCP})
			target, err := client.ParseTarget(ref.Target(), client.Options{})
			if err != nil {
				b.Fatal(err)
			}
			sc := framework.Scenario{
				Name:     "engine-vs-raw",
				Model:    framework.ClosedModel,
				Sessions: sessions,
				Duration: wall,
				Workload: framework.Workload{Ops: []framework.Operation{framework.CallTool("echo", map[string]any{"message": "hello"})}},
			}
			var rawRPS, engineRPS float64
			var sum *framework.Summary
			b.ResetTimer()
			for range b.N {
				rawRPS = rawEchoRPS(b, raw.Addr(), sessions, wall)
				sum, err = framework.Run(context.Background(), target, sc, framework.RunOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if sum.Ramp.Opened != sessions || sum.Counts.OK != sum.Scheduled {
					b.Fatalf("engine: %d/%d sessions, %d ok of %d: %v", sum.Ramp.Opened, sessions, sum.Counts.OK, sum.Scheduled, sum.Ramp.Errors)
				}
				engineRPS = sum.AchievedRate
			}
			b.ReportMetric(rawRPS, "raw_rps")
			b.ReportMetric(engineRPS, "engine_rps")
			b.ReportMetric(engineRPS/rawRPS, "ratio")
			b.ReportMetric(float64(sum.Latency.Uncorrected.P50.Microseconds()), "p50_us")
			b.ReportMetric(float64(sum.Latency.Uncorrected.P99.Microseconds()), "p99_us")
			b.ReportMetric(0, "ns/op")
		})
	}
}
