package chaos

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// withinBinomial reports whether k successes of n trials are within 4
// standard deviations of n·p (a false alarm about once in 15,000 runs;
// the seeded sources make each run's count fixed anyway).
func withinBinomial(k, n int, p float64) bool {
	mean, sd := float64(n)*p, math.Sqrt(float64(n)*p*(1-p))
	return math.Abs(float64(k)-mean) <= 4*sd+0.5
}

func TestWithinBinomialCanFail(t *testing.T) {
	if !withinBinomial(200, 2000, 0.1) || withinBinomial(400, 2000, 0.1) || withinBinomial(200, 2000, 0.2) || withinBinomial(1, 2000, 0) {
		t.Fatal("the binomial bound does not tell the right fraction from a wrong one")
	}
}

// sendFrames writes n JSON-RPC lines through the proxy to s and waits
// until the stream has ended at s.
func sendFrames(t *testing.T, p *Proxy, s *sink, n int) []string {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(c)
	for i := range n {
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"echo"}}`+"\n", i)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	_ = c.(*net.TCPConn).CloseWrite()
	if !waitFor(5*time.Second, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return len(s.ends) > 0 }) {
		t.Fatal("the stream did not end at the sink")
	}
	_ = c.Close()
	text := s.text()
	if text == "" {
		return nil
	}
	if !strings.HasSuffix(text, "\n") {
		t.Fatalf("the stream ends inside a frame: %q", text[max(0, len(text)-80):])
	}
	return strings.Split(strings.TrimSuffix(text, "\n"), "\n")
}

func TestLossDropsTheSetFractionOfWholeFrames(t *testing.T) {
	const n, frac = 2000, 0.1
	for _, tc := range []struct {
		name string
		frac float64
	}{{"no loss passes every frame", 0}, {"a tenth is lost", frac}} {
		t.Run(tc.name, func(t *testing.T) {
			s := startSink(t)
			p := newProxy(t, s.addr)
			loss := &Loss{Fraction: tc.frac, Seed: 42}
			addToxic(t, p, ToxicSpec{Name: "loss", Direction: Upstream, Toxic: loss})
			lines := sendFrames(t, p, s, n)
			seen := map[int]bool{}
			for _, l := range lines {
				var m struct{ ID int }
				if err := json.Unmarshal([]byte(l), &m); err != nil {
					t.Fatalf("a frame arrived broken: %q: %v", l, err)
				}
				seen[m.ID] = true
			}
			lost := n - len(lines)
			if len(seen) != len(lines) {
				t.Fatalf("duplicate frames: %d lines, %d ids", len(lines), len(seen))
			}
			if c := loss.Counts(); c.Messages != n || c.Hit != uint64(lost) {
				t.Fatalf("counts %+v, want %d messages and %d dropped", c, n, lost)
			}
			if !withinBinomial(lost, n, tc.frac) {
				t.Fatalf("%d of %d frames lost, not within 4σ of %.0f", lost, n, tc.frac*n)
			}
			t.Logf("lost %d of %d frames (expected %.0f ± %.0f)", lost, n, tc.frac*n, 4*math.Sqrt(n*tc.frac*(1-tc.frac)))
		})
	}
}

// startJSONServer answers every line with a JSON-RPC result, or with
// -32700 when the line is not JSON, as an MCP server over TCP does.
func startJSONServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		sc := bufio.NewScanner(c)
		for sc.Scan() {
			var m struct{ ID int }
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				fmt.Fprintln(c, `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}`)
				continue
			}
			fmt.Fprintf(c, `{"jsonrpc":"2.0","id":%d,"result":{}}`+"\n", m.ID)
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); <-done })
	return ln.Addr().String()
}

func TestCorruptionIsSeenByTheReader(t *testing.T) {
	const n = 1000
	for _, tc := range []struct {
		name string
		frac float64
	}{{"no corruption, no parse errors", 0}, {"a fifth corrupted", 0.2}} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProxy(t, startJSONServer(t))
			cor := &Corrupt{Fraction: tc.frac, Seed: 5}
			addToxic(t, p, ToxicSpec{Name: "cor", Direction: Upstream, Toxic: cor})
			c, r := dialLines(t, p.Addr())
			go func() {
				w := bufio.NewWriter(c)
				for i := range n {
					fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%d,"method":"ping"}`+"\n", i)
				}
				_ = w.Flush()
			}()
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			parseErrors := 0
			for range n { // every frame is answered: the framing survived
				line, err := r.ReadString('\n')
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(line, "-32700") {
					parseErrors++
				}
			}
			if got := cor.Counts(); got.Messages != n || got.Hit != uint64(parseErrors) {
				t.Fatalf("the reader saw %d parse errors; the fault counts %+v", parseErrors, got)
			}
			if !withinBinomial(parseErrors, n, tc.frac) {
				t.Fatalf("%d of %d corrupted, not within 4σ of %.0f", parseErrors, n, tc.frac*n)
			}
			t.Logf("%d of %d frames corrupted; the server answered each with -32700", parseErrors, n)
		})
	}
}

func TestMessageFaultsOnHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !json.Valid(body) {
			http.Error(w, `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	p := newProxy(t, srv.Listener.Addr().String())
	client := &http.Client{Timeout: 300 * time.Millisecond, Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	post := func() (int, error) {
		resp, err := client.Post("http://"+p.Addr()+"/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == http.StatusOK && !json.Valid(b) {
			return -1, nil // a corrupted response
		}
		return resp.StatusCode, nil
	}
	if code, err := post(); err != nil || code != 200 {
		t.Fatalf("clean request: %d, %v", code, err)
	}
	t.Run("a corrupted request body is a parse error, the response still framed", func(t *testing.T) {
		cor := &Corrupt{Fraction: 1, Framing: HTTPFrames}
		addToxic(t, p, ToxicSpec{Name: "cor", Direction: Upstream, Toxic: cor})
		defer p.RemoveToxic("cor")
		for range 3 {
			if code, err := post(); err != nil || code != http.StatusBadRequest {
				t.Fatalf("corrupted request: %d, %v; want 400", code, err)
			}
		}
	})
	t.Run("a corrupted response body fails to decode", func(t *testing.T) {
		addToxic(t, p, ToxicSpec{Name: "cor", Direction: Downstream, Toxic: &Corrupt{Fraction: 1, Framing: HTTPFrames}})
		defer p.RemoveToxic("cor")
		if code, err := post(); err != nil || code != -1 {
			t.Fatalf("corrupted response: %d, %v; want an undecodable 200", code, err)
		}
	})
	t.Run("a lost request is never answered", func(t *testing.T) {
		addToxic(t, p, ToxicSpec{Name: "loss", Direction: Upstream, Toxic: &Loss{Fraction: 1, Framing: HTTPFrames}})
		defer p.RemoveToxic("loss")
		if _, err := post(); err == nil {
			t.Fatal("a dropped request was answered")
		}
	})
	if code, err := post(); err != nil || code != 200 {
		t.Fatalf("after the faults were removed: %d, %v", code, err)
	}
}

// TestHTTPFramesSplitWholeMessages runs a stream of HTTP messages (a
// Content-Length request, a chunked response, a 202 with no body) through
// Loss in ragged pieces: whatever is kept is whole messages.
func TestHTTPFramesSplitWholeMessages(t *testing.T) {
	msgs := []string{
		"POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n{\"a\":1}",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"b\":\r\n2\r\n2}\r\n0\r\n\r\n",
		"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n",
		"POST /mcp HTTP/1.1\r\nContent-Length: 2\r\n\r\n[]",
	}
	var all bytes.Buffer
	for range 50 {
		for _, m := range msgs {
			all.WriteString(m)
		}
	}
	loss := &Loss{Fraction: 0.5, Seed: 9, Framing: HTTPFrames}
	var out bytes.Buffer
	if err := Stream(context.Background(), &out, &raggedReader{data: all.Bytes()}, ConnInfo{}, loss); err != nil {
		t.Fatal(err)
	}
	rest := out.String()
	kept := 0
	for rest != "" {
		ok := false
		for _, m := range msgs {
			if strings.HasPrefix(rest, m) {
				rest, ok = rest[len(m):], true
				kept++
				break
			}
		}
		if !ok {
			t.Fatalf("output is not whole messages at %q", rest[:min(len(rest), 60)])
		}
	}
	c := loss.Counts()
	if c.Messages != 200 || int(c.Messages-c.Hit) != kept || !withinBinomial(int(c.Hit), 200, 0.5) {
		t.Fatalf("kept %d, counts %+v", kept, c)
	}
}

// raggedReader returns its data in reads of 1..13 bytes.
type raggedReader struct {
	data []byte
	n    int
}

func (r *raggedReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	r.n = r.n%13 + 1
	k := copy(p[:min(len(p), r.n)], r.data)
	r.data = r.data[k:]
	return k, nil
}
