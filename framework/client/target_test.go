package client

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseTargetKinds(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"tcp://127.0.0.1:9001", "*client.TCPTarget tcp://127.0.0.1:9001"},
		{"http://127.0.0.1:8080/mcp", "*client.HTTPTarget http://127.0.0.1:8080/mcp"},
		{"https://[::1]/mcp", "*client.HTTPTarget https://[::1]/mcp"},
		{`stdio:node "my server.js" --flag 'a b'`, "*client.StdioTarget stdio:node my server.js --flag a b"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			tg, err := ParseTarget(tt.in, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := typeName(tg) + " " + tg.String(); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	tg, _ := ParseTarget(`stdio:node "my server.js" --flag 'a b'`, Options{})
	if st := tg.(*StdioTarget); st.Command != "node" || len(st.Args) != 3 || st.Args[0] != "my server.js" || st.Args[2] != "a b" {
		t.Fatalf("args %q", st.Args)
	}
}

func typeName(v any) string {
	switch v.(type) {
	case *TCPTarget:
		return "*client.TCPTarget"
	case *HTTPTarget:
		return "*client.HTTPTarget"
	case *StdioTarget:
		return "*client.StdioTarget"
	}
	return "?"
}

func TestParseTargetEmptyIsTheEmbeddedServer(t *testing.T) {
	if _, err := ParseTarget("", Options{}); !errors.Is(err, ErrEmbeddedTarget) {
		t.Fatalf("got %v, want ErrEmbeddedTarget", err)
	}
}

// TestParseTargetReportsEveryProblem: one error naming each wrong field.
func TestParseTargetReportsEveryProblem(t *testing.T) {
	tests := []struct {
		name   string
		target string
		opts   Options
		want   []string
	}{
		{"unknown scheme", "udp://x:1", Options{}, []string{`scheme "udp"`}},
		{"no scheme", "127.0.0.1:9001", Options{}, []string{"scheme"}},
		{"tcp without port", "tcp://127.0.0.1", Options{}, []string{"want host:port"}},
		{"tcp with bad port and a path", "tcp://127.0.0.1:99999/x", Options{}, []string{`port "99999"`, "no path"}},
		{"http without host", "http:///mcp", Options{}, []string{"http host is empty"}},
		{"http with user info", "http://u:p@127.0.0.1:1/mcp", Options{}, []string{"user info"}},
		{"empty stdio command", "stdio:  ", Options{}, []string{"stdio command is empty"}},
		{"unterminated quote", `stdio:node "x`, Options{}, []string{"unterminated"}},
		{
			"every bad option at once plus a bad target", "tcp://h:0",
			Options{
				Protocol: "2024-01-01", Timeout: -time.Second, ConnectTimeout: -1, MaxFrame: -1, Pipeline: -2,
				Token: "a\nb", Reconnect: Backoff{Initial: time.Second, Max: time.Millisecond, Multiplier: 0.5, Jitter: 2},
				Headers: http.Header{"Bad Name": {"v"}}, StderrLimit: -1,
			},
			[]string{"Protocol", "Timeout", "ConnectTimeout", "MaxFrame", "Pipeline", "Token", "Backoff.Max", "Multiplier", "Jitter", "Headers", "StderrLimit", `port "0"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTarget(tt.target, tt.opts)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not name %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Initial: 100 * time.Millisecond, Max: time.Second, Multiplier: 2, Jitter: 0.5}
	tests := []struct {
		attempt int
		u       float64
		want    time.Duration
	}{
		{0, 0, 100 * time.Millisecond},
		{1, 0, 200 * time.Millisecond},
		{3, 0, 800 * time.Millisecond},
		{4, 0, time.Second}, // capped
		{40, 0, time.Second},
		{1, 0.5, 150 * time.Millisecond}, // 200ms less 0.5*0.5 of it
		{4, 0.999999, 500*time.Millisecond + 500*time.Nanosecond},
	}
	for _, tt := range tests {
		if got := b.Delay(tt.attempt, tt.u); got != tt.want {
			t.Errorf("Delay(%d, %v) = %v, want %v", tt.attempt, tt.u, got, tt.want)
		}
	}
	if d := (Backoff{}).Delay(0, 0); d != DefaultBackoffInitial {
		t.Errorf("zero Backoff first delay %v", d)
	}
}

// Sessions of one TCP target dial from the source addresses in turn, so a
// run is not limited to one address's ephemeral ports.
func TestTCPSessionsSpreadOverSourceAddresses(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	seen := make(chan string, 6)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			seen <- c.RemoteAddr().(*net.TCPAddr).IP.String()
			c.Close() // no handshake: only the dial's source matters here
		}
	}()
	sources := []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"}
	tgt, err := ParseTarget("tcp://"+l.Addr().String(), Options{SourceAddrs: sources, ConnectTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for range 6 {
		if s, err := tgt.Connect(t.Context()); err == nil {
			s.Close()
		}
		count[<-seen]++
	}
	for _, a := range sources {
		if count[a] != 2 {
			t.Errorf("source %s used %d times, want 2 (%v)", a, count[a], count)
		}
	}
	if _, err := ParseTarget("tcp://"+l.Addr().String(), Options{SourceAddrs: []string{"not-an-ip"}}); err == nil {
		t.Error("a bad source address was accepted")
	}
}

// The raw echo target round-trips a line per call and classifies a server
// that answers wrongly or not at all.
func TestRawEchoTargetRoundTrips(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				for n := 0; ; n++ {
					k, err := c.Read(buf)
					if err != nil {
						return
					}
					if n == 2 {
						c.Write([]byte("short\n")) // the third call gets a wrong answer
						continue
					}
					c.Write(buf[:k])
				}
			}()
		}
	}()
	tgt, err := ParseTarget("rawecho://"+l.Addr().String(), Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s, err := tgt.Connect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i, want := range []Outcome{OK, OK, TransportError} {
		if r := s.Call(t.Context(), Request{}); r.Outcome != want {
			t.Errorf("call %d: %v (%v), want %v", i, r.Outcome, r.Err, want)
		}
	}
}
