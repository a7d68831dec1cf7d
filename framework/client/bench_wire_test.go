package client_test

import (
	"bufio"
	"context"
	"encoding/json"
	"math"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/mcptest"
)

// The wire benchmarks compare the lean client with a raw socket ceiling
// measured in the same run, each server in its own process. They run a fixed
// wall time per side (MCPSTRESS_BENCH_WALL, default 3s) whatever b.N is, so
// `make bench` (-benchtime 1x) and a plain -bench run measure the same thing.
// Each runs benchRounds alternating rounds of its two sides and reports the
// best round of each (highest rate, lowest CPU per call), so a burst of other
// work on the shared machine hurts both sides alike instead of deciding the
// ratio.

const benchRounds = 3

func benchWall() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("MCPSTRESS_BENCH_WALL")); err == nil && d > 0 {
		return d
	}
	return 3 * time.Second
}

func benchSessions() int {
	if n, err := strconv.Atoi(os.Getenv("MCPSTRESS_BENCH_SESSIONS")); err == nil && n > 0 {
		return n
	}
	return 10000
}

// closedLoop runs n workers, each calling fn back to back until wall passes,
// and returns how many calls succeeded and how many failed.
func closedLoop(n int, wall time.Duration, fn func(worker int) bool) (ok, failed int64) {
	var okN, badN atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(wall)
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var good, bad int64
			for time.Now().Before(stop) {
				if fn(w) {
					good++
				} else {
					bad++
				}
			}
			okN.Add(good)
			badN.Add(bad)
		}()
	}
	wg.Wait()
	return okN.Load(), badN.Load()
}

// rawClients dials n plain TCP connections to a raw echo server.
type rawClient struct {
	c net.Conn
	r *bufio.Reader
}

var rawLine = []byte(strings.Repeat("x", 63) + "\n")

func dialRaw(tb testing.TB, addr string, n int) []*rawClient {
	tb.Helper()
	cs := make([]*rawClient, n)
	for i := range cs {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			tb.Fatal(err)
		}
		cs[i] = &rawClient{c: c, r: bufio.NewReaderSize(c, 4096)}
	}
	tb.Cleanup(func() {
		for _, c := range cs {
			c.c.Close()
		}
	})
	return cs
}

func (rc *rawClient) roundTrip() bool {
	if _, err := rc.c.Write(rawLine); err != nil {
		return false
	}
	line, err := rc.r.ReadSlice('\n')
	return err == nil && len(line) == len(rawLine)
}

// rawEchoCall is a prebuilt 2026-07-28 tools/call echo line (no handshake
// needed): what a raw socket client sends to the reference server.
var rawEchoCall = []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"raw","version":"1"}},"name":"echo","arguments":{"message":"hello"}}}` + "\n")

// mcpRoundTrip sends the prebuilt call and reads one answer line, parsing
// nothing.
func (rc *rawClient) mcpRoundTrip() bool {
	if _, err := rc.c.Write(rawEchoCall); err != nil {
		return false
	}
	line, err := rc.r.ReadSlice('\n')
	return err == nil && len(line) > 20
}

func connectN(tb testing.TB, target string, opts client.Options, n, parallel int) ([]client.Session, time.Duration) {
	tb.Helper()
	tg, err := client.ParseTarget(target, opts)
	if err != nil {
		tb.Fatal(err)
	}
	ss := make([]client.Session, n)
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				s, err := tg.Connect(context.Background())
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				ss[i] = s
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	tb.Cleanup(func() {
		for _, s := range ss {
			if s != nil {
				s.Close()
			}
		}
		if c, ok := tg.(interface{ Close() error }); ok {
			c.Close()
		}
	})
	if err, _ := firstErr.Load().(error); err != nil {
		tb.Fatalf("connect: %v", err)
	}
	return ss, took
}

// runCtx is a cancellable context like the engine's run context, so the
// client's cancellation hook is part of what is measured.
func runCtx(tb testing.TB) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	return ctx
}

var echoCall = client.Request{Method: "tools/call", Name: "echo", Params: json.RawMessage(`{"name":"echo","arguments":{"message":"hello"}}`)}

// BenchmarkRawCeilingVsMCP: 150 closed-loop sessions of a raw newline echo
// (no JSON) against 150 of our client calling echo on the reference server.
// Target: mcp_rps / raw_rps >= 0.75.
func BenchmarkRawCeilingVsMCP(b *testing.B) {
	const sessions = 150
	raw := mcptest.StartServer(b, mcptest.Options{Transport: mcptest.TransportRawEcho})
	ref := mcptest.StartServer(b, mcptest.Options{Transport: mcptest.TransportTCP})
	rcs := dialRaw(b, raw.Addr(), sessions)
	scs := dialRaw(b, ref.Addr(), sessions)
	mss, _ := connectN(b, ref.Target(), client.Options{}, sessions, 16)
	wall := benchWall()
	b.ResetTimer()
	var rawRPS, thinRPS, mcpRPS float64
	for range b.N * benchRounds {
		ok, bad := closedLoop(sessions, wall, func(w int) bool { return rcs[w].roundTrip() })
		rawRPS = max(rawRPS, float64(ok)/wall.Seconds())
		if bad > 0 {
			b.Fatalf("raw echo: %d failed round trips", bad)
		}
		ok, bad = closedLoop(sessions, wall, func(w int) bool { return scs[w].mcpRoundTrip() })
		thinRPS = max(thinRPS, float64(ok)/wall.Seconds())
		if bad > 0 {
			b.Fatalf("raw client on the reference server: %d failed round trips", bad)
		}
		ctx := runCtx(b)
		ok, bad = closedLoop(sessions, wall, func(w int) bool {
			return mss[w].Call(ctx, echoCall).Outcome == client.OK
		})
		mcpRPS = max(mcpRPS, float64(ok)/wall.Seconds())
		if bad > 0 {
			b.Fatalf("mcp echo: %d calls not OK", bad)
		}
	}
	b.ReportMetric(rawRPS, "raw_rps")
	b.ReportMetric(mcpRPS, "mcp_rps")
	b.ReportMetric(mcpRPS/rawRPS, "ratio")
	// Where the gap is: the reference server driven by a raw client that
	// sends prebuilt calls and parses nothing (server_ratio), and our
	// client against that raw client on the same server (client_ratio);
	// ratio = server_ratio × client_ratio.
	b.ReportMetric(thinRPS/rawRPS, "server_ratio")
	b.ReportMetric(mcpRPS/thinRPS, "client_ratio")
	b.ReportMetric(0, "ns/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkClientCPUPerCall: this process's CPU (user+system, getrusage) per
// round trip, our client against a raw socket client, servers in their own
// processes. Target: ratio <= 1.3. The raw client of "ratio" drives the raw
// echo server; that of "ratio_same_server" sends prebuilt echo calls to the
// reference server and reads the answer lines unparsed, so that the slower
// server's pace (more idle waits per call) is not charged to our client.
func BenchmarkClientCPUPerCall(b *testing.B) {
	const sessions = 16
	raw := mcptest.StartServer(b, mcptest.Options{Transport: mcptest.TransportRawEcho})
	ref := mcptest.StartServer(b, mcptest.Options{Transport: mcptest.TransportTCP})
	rcs := dialRaw(b, raw.Addr(), sessions)
	scs := dialRaw(b, ref.Addr(), sessions)
	mss, _ := connectN(b, ref.Target(), client.Options{}, sessions, 4)
	wall := benchWall()
	b.ResetTimer()
	rawCPU, sameCPU, mcpCPU := math.Inf(1), math.Inf(1), math.Inf(1)
	for range b.N * benchRounds {
		runtime.GC()
		c0s := cpuTime()
		oks, bads := closedLoop(sessions, wall, func(w int) bool { return scs[w].mcpRoundTrip() })
		if bads > 0 {
			b.Fatalf("raw client on the reference server: %d failed", bads)
		}
		sameCPU = min(sameCPU, float64(cpuTime()-c0s)/float64(time.Microsecond)/float64(oks))
		runtime.GC()
		c0 := cpuTime()
		ok, _ := closedLoop(sessions, wall, func(w int) bool { return rcs[w].roundTrip() })
		rawCPU = min(rawCPU, float64(cpuTime()-c0)/float64(time.Microsecond)/float64(ok))
		runtime.GC()
		c0 = cpuTime()
		ctx := runCtx(b)
		ok, _ = closedLoop(sessions, wall, func(w int) bool {
			return mss[w].Call(ctx, echoCall).Outcome == client.OK
		})
		mcpCPU = min(mcpCPU, float64(cpuTime()-c0)/float64(time.Microsecond)/float64(ok))
	}
	b.ReportMetric(rawCPU, "raw_cpu_us/call")
	b.ReportMetric(sameCPU, "raw_same_server_cpu_us/call")
	b.ReportMetric(mcpCPU, "mcp_cpu_us/call")
	b.ReportMetric(mcpCPU/rawCPU, "ratio")
	b.ReportMetric(mcpCPU/sameCPU, "ratio_same_server")
	b.ReportMetric(0, "ns/op")
}

func rss() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

func liveBytes() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

// BenchmarkIdleSessionMemory: heap+stack (and RSS) per idle session with
// 10,000 sessions open to a reference server in its own process. Target:
// <= 16 KiB per session.
func BenchmarkIdleSessionMemory(b *testing.B) {
	n := benchSessions()
	ref := mcptest.StartServer(b, mcptest.Options{Transport: mcptest.TransportTCP})
	b.ResetTimer()
	var perLive, perRSS float64
	for range b.N {
		live0, rss0 := liveBytes(), rss()
		ss, _ := connectN(b, ref.Target(), client.Options{}, n, 32)
		for _, s := range ss[:min(len(ss), 100)] { // a few calls so buffers are in use
			if r := s.Call(context.Background(), echoCall); r.Outcome != client.OK {
				b.Fatalf("call: %v %v", r.Outcome, r.Err)
			}
		}
		live1, rss1 := liveBytes(), rss()
		perLive = float64(int64(live1)-int64(live0)) / float64(n)
		perRSS = float64(int64(rss1)-int64(rss0)) / float64(n)
		runtime.KeepAlive(ss)
		for _, s := range ss {
			s.Close()
		}
	}
	b.ReportMetric(perLive/1024, "KiB_live/session")
	b.ReportMetric(perRSS/1024, "KiB_rss/session")
	b.ReportMetric(float64(n), "sessions")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkSessionEstablishment: connect + handshake of 10,000 sessions (32
// at a time) to a reference server in its own process.
func BenchmarkSessionEstablishment(b *testing.B) {
	n := benchSessions()
	ref := mcptest.StartServer(b, mcptest.Options{Transport: mcptest.TransportTCP})
	b.ResetTimer()
	var rate float64
	for range b.N {
		ss, took := connectN(b, ref.Target(), client.Options{}, n, 32)
		rate = float64(n) / took.Seconds()
		for _, s := range ss {
			s.Close()
		}
	}
	b.ReportMetric(rate, "sessions/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkHTTPEcho: 150 closed-loop sessions of our client over Streamable
// HTTP calling echo on the reference server in its own process, once per
// generation (JSON replies).
func BenchmarkHTTPEcho(b *testing.B) {
	const sessions = 150
	ref := mcptest.StartServer(b, mcptest.Options{Transport: mcptest.TransportHTTP})
	for _, protocol := range []string{"2026-07-28", "2025-11-25"} {
		b.Run(protocol, func(b *testing.B) {
			mss, _ := connectN(b, ref.Target(), client.Options{Protocol: protocol}, sessions, 16)
			wall := benchWall()
			ctx := runCtx(b)
			var rps float64
			for range b.N {
				ok, bad := closedLoop(sessions, wall, func(w int) bool {
					return mss[w].Call(ctx, echoCall).Outcome == client.OK
				})
				if bad > 0 {
					b.Fatalf("%d calls not OK", bad)
				}
				rps = float64(ok) / wall.Seconds()
			}
			b.ReportMetric(rps, "rps")
			b.ReportMetric(0, "ns/op")
		})
	}
}
