package mcptest

import (
	"bufio"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchConns is the connection count of the design's throughput target.
const benchConns = 150

var benchEcho = []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}` + "\n")

// roundTrips makes total closed-loop round trips of line over conns
// connections to addr and returns the achieved rate. The client is the
// thinnest possible (write a line, read a line), so the figure is the
// server's.
func roundTrips(b *testing.B, addr string, line []byte, conns, total int) float64 {
	b.Helper()
	cs := make([]net.Conn, conns)
	for i := range cs {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		cs[i] = c
	}
	var left atomic.Int64
	left.Store(int64(total))
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	start := time.Now()
	for _, c := range cs {
		wg.Go(func() {
			br := bufio.NewReaderSize(c, 64<<10)
			for left.Add(-1) >= 0 {
				if _, err := c.Write(line); err != nil {
					errs <- err
					return
				}
				if _, err := br.ReadSlice('\n'); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	el := time.Since(start)
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return float64(total) / el.Seconds()
}

// BenchmarkEchoVersusRawCeiling measures tools/call echo on the reference
// server (a child process, as in real runs) against the raw newline echo
// ceiling on the same machine in the same run, and reports both rates and
// their ratio (the design target is echo/raw ≥ 0.6 with our lean client;
// this benchmark's client is thinner still).
//
//	go test -run '^$' -bench EchoVersusRaw -benchtime 200000x ./mcptest
func BenchmarkEchoVersusRawCeiling(b *testing.B) {
	raw := StartServer(b, Options{Transport: TransportRawEcho})
	mcp := StartServer(b, Options{})
	n := max(b.N, benchConns)
	b.ResetTimer()
	rawRate := roundTrips(b, raw.Addr(), benchEcho, benchConns, n)
	echoRate := roundTrips(b, mcp.Addr(), benchEcho, benchConns, n)
	b.StopTimer()
	b.ReportMetric(rawRate, "raw-rt/s")
	b.ReportMetric(echoRate, "echo-rt/s")
	b.ReportMetric(echoRate/rawRate, "echo/raw")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkHandleEcho is the in-process cost of decoding and answering one
// echo request (no I/O).
func BenchmarkHandleEcho(b *testing.B) {
	h := &handler{faults: newFaultState(Faults{}), stats: newCounters()}
	sess := &session{}
	frame := benchEcho[:len(benchEcho)-1]
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		req, _, perr := parseRequest(frame)
		if perr != nil {
			b.Fatal(perr.Message)
		}
		buf, _, _ = h.answer(b.Context(), sess, &req, buf[:0])
	}
}
