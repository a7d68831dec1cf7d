package framework

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const softnetTwoCPUs = "00a1b2c3 00000010 00000002 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000\n" +
	"0004d2f1 000000ff 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000001\n"

const netstatSample = "TcpExt: SyncookiesSent SyncookiesRecv ListenOverflows ListenDrops TCPTimeouts\n" +
	"TcpExt: 0 0 7 9 41\n" +
	"IpExt: InNoRoutes InTruncatedPkts\n" +
	"IpExt: 0 0\n"

func fakeProcNet(t *testing.T, softnet, netstat string) string {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "net"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"softnet_stat": softnet, "netstat": netstat} {
		if body == "" {
			continue
		}
		if err := os.WriteFile(filepath.Join(root, "net", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestSamplerReadsTheKernelsDropCounters(t *testing.T) {
	s := NewSampler()
	s.procRoot = fakeProcNet(t, softnetTwoCPUs, netstatSample)
	h := s.Sample(time.Now()).Host
	if h == nil || h.BacklogDrops != 0x10+0xff || h.ListenDrops != 9 {
		t.Fatalf("host %+v, want backlog %d listen 9", h, 0x10+0xff)
	}
	s.procRoot = fakeProcNet(t, "", "")
	if h := s.Sample(time.Now()).Host; h != nil {
		t.Fatalf("no /proc/net files: host %+v, want nil", h)
	}
}

const procStatSample = "cpu  631929 1226 359971 2934368 6606 0 100868 141104 0 0\n" +
	"cpu0 309215 617 178291 1478350 1558 0 49818 69790 0 0\n"

func TestSamplerReadsTheCPUStolenFromTheMachine(t *testing.T) {
	s := NewSampler()
	s.procRoot = t.TempDir()
	if err := os.WriteFile(filepath.Join(s.procRoot, "stat"), []byte(procStatSample), 0o644); err != nil {
		t.Fatal(err)
	}
	h := s.Sample(time.Now()).Host
	const total = 631929 + 1226 + 359971 + 2934368 + 6606 + 0 + 100868 + 141104
	if h == nil || h.CPUTicks != total || h.StealTicks != 141104 {
		t.Fatalf("host %+v, want cpu %d steal 141104", h, total)
	}
	for _, bad := range []string{"", "intr 1 2 3\n", "cpu 1 2 3\n", "cpu 1 2 3 4 5 6 7 x 9 10\n"} {
		if _, _, ok := parseCPUSteal([]byte(bad)); ok {
			t.Errorf("parseCPUSteal(%q) ok, want not", bad)
		}
	}
}

// A run during which the kernel dropped packets, or the hypervisor held
// back 5% or more of the CPU, says so in its summary; one with neither
// says nothing, and summarizing again adds nothing.
func TestSummaryWarnsOfWhatTheHostDid(t *testing.T) {
	at := func(backlog, listen, cpu, steal uint64) *ResourceSample {
		return &ResourceSample{Host: &HostSample{BacklogDrops: backlog, ListenDrops: listen, CPUTicks: cpu, StealTicks: steal}}
	}
	cases := []struct {
		name       string
		start, end *ResourceSample
		want       []string
	}{
		{"quiet", at(5, 2, 1000, 30), at(5, 2, 2000, 60), nil},
		{"backlog full", at(5, 2, 1000, 30), at(47, 2, 2000, 60), []string{"kernel dropped 42 packets"}},
		{"accept queue full", at(5, 2, 1000, 30), at(5, 3, 2000, 60), []string{"kernel dropped 1 connection attempts"}},
		{"a tenth stolen", at(5, 2, 1000, 30), at(5, 2, 2000, 130), []string{"hypervisor held back 10.0%"}},
		{"both", at(5, 2, 1000, 30), at(6, 2, 2000, 130), []string{"kernel dropped 1 packets", "hypervisor held back 10.0%"}},
		{"no ticks between", at(5, 2, 1000, 30), at(5, 2, 1000, 90), nil},
		{"not sampled", nil, at(9, 9, 2000, 900), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &Result{ResourcesStart: tc.start, ResourcesEnd: tc.end, Warnings: []string{"earlier"}}
			s := Summarize(r, nil)
			if len(s.Warnings) != 1+len(tc.want) {
				t.Fatalf("warnings %q, want %d besides the earlier one", s.Warnings, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(s.Warnings[1+i], w) {
					t.Fatalf("warning %d is %q, want one containing %q", 1+i, s.Warnings[1+i], w)
				}
			}
			if len(r.Warnings) != 1 {
				t.Fatalf("the result's own warnings changed: %q", r.Warnings)
			}
			if again := Summarize(&s.Result, nil); len(again.Warnings) != len(s.Warnings) {
				t.Fatalf("summarized twice: %q", again.Warnings)
			}
		})
	}
}

// StealFraction is the stolen share of the CPU ticks between two samples,
// and not ok where either has no host figures or no ticks passed.
func TestStealFraction(t *testing.T) {
	at := func(cpu, steal uint64) *ResourceSample {
		return &ResourceSample{Host: &HostSample{CPUTicks: cpu, StealTicks: steal}}
	}
	if f, ok := StealFraction(at(1000, 30), at(2000, 376)); !ok || f != 0.346 {
		t.Errorf("StealFraction = %v, %v; want 0.346, true", f, ok)
	}
	for _, c := range [][2]*ResourceSample{{nil, at(2000, 60)}, {at(1000, 30), &ResourceSample{}}, {at(1000, 30), at(1000, 90)}} {
		if _, ok := StealFraction(c[0], c[1]); ok {
			t.Errorf("StealFraction(%v, %v) ok without figures", c[0], c[1])
		}
	}
}
