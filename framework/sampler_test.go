package framework

import (
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	// The command name holds a space and a parenthesis, as names can.
	stat := "4242 (my (odd) srv) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 7 0 12345 123456789 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
	ticks, threads, rss, err := parseProcStat([]byte(stat))
	if err != nil {
		t.Fatal(err)
	}
	if ticks != 300 || threads != 7 || rss != 2048 {
		t.Errorf("ticks %v threads %d rss %d; want 300, 7, 2048", ticks, threads, rss)
	}
	for _, bad := range []string{"", "1 (x) S 1", "1 x S"} {
		if _, _, _, err := parseProcStat([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestPauseStats(t *testing.T) {
	buckets := []float64{0, 1e-6, 1e-5, 1e-4, 1e-3}
	tests := []struct {
		name          string
		counts        []uint64
		n             uint64
		p50, p99, max time.Duration
	}{
		{"none", []uint64{0, 0, 0, 0}, 0, 0, 0, 0},
		{"all in one bucket", []uint64{0, 10, 0, 0}, 10, 10 * time.Microsecond, 10 * time.Microsecond, 10 * time.Microsecond},
		{"a long tail", []uint64{0, 98, 1, 1}, 100, 10 * time.Microsecond, 100 * time.Microsecond, time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, p50, p99, mx := pauseStats(tt.counts, buckets)
			if n != tt.n || p50 != tt.p50 || p99 != tt.p99 || mx != tt.max {
				t.Errorf("got %d %v %v %v; want %d %v %v %v", n, p50, p99, mx, tt.n, tt.p50, tt.p99, tt.max)
			}
		})
	}
}

func TestSamplerReadsAProcessAndItself(t *testing.T) {
	s := NewSampler(os.Getpid())
	first := s.Sample(time.Now())
	if first.Server == nil || first.Server.Err != "" {
		t.Fatalf("server sample: %+v", first.Server)
	}
	if first.Server.RSSBytes == 0 || first.Server.Threads == 0 || first.Server.OpenFDs == 0 {
		t.Errorf("process sample %+v has zeros", *first.Server)
	}
	if first.Self.HeapBytes == 0 || first.Self.Goroutines == 0 {
		t.Errorf("self sample %+v has zeros", first.Self)
	}
	gone := NewSampler(1 << 30).Sample(time.Now())
	if gone.Server == nil || !strings.Contains(gone.Server.Err, "no such file") {
		t.Errorf("a missing process: %+v", gone.Server)
	}
	if NewSampler(0).Sample(time.Now()).Server != nil {
		t.Error("pid 0 sampled a server")
	}
}

// The test process's CPU figure is the kernel's user+system time over wall
// time: an idle process reads near 0 and a spinning goroutine clearly more.
// The bounds are generous because the machine may be busy.
func TestSelfCPUPercentIsMeasured(t *testing.T) {
	if _, ok := selfCPUTime(); !ok {
		t.Skip("getrusage is not available on this platform")
	}
	s := NewSampler(0)
	s.Sample(time.Now())
	time.Sleep(300 * time.Millisecond) // idle: nothing runs
	idle := s.Sample(time.Now()).Self

	start, _ := selfCPUTime()
	deadline := time.Now().Add(10 * time.Second)
	var sink uint64
	for i := uint64(0); ; i++ {
		sink += i * i
		if i%(1<<16) == 0 {
			if now, _ := selfCPUTime(); now-start >= 300*time.Millisecond || time.Now().After(deadline) {
				break
			}
		}
	}
	busy := s.Sample(time.Now()).Self
	t.Logf("idle %.1f%%, spinning %.1f%% (gc %.1f%%, %d)", idle.CPUPercent, busy.CPUPercent, busy.GCCPUPct, sink%2)
	if idle.CPUPercent < 0 || idle.CPUPercent > 25 {
		t.Errorf("idle process reads %.1f%% CPU, want about 0", idle.CPUPercent)
	}
	if busy.CPUPercent <= idle.CPUPercent || busy.CPUPercent < 5 {
		t.Errorf("spinning goroutine reads %.1f%% (idle %.1f%%), want clearly above idle", busy.CPUPercent, idle.CPUPercent)
	}
	if max := 100 * float64(runtime.NumCPU()) * 1.1; busy.CPUPercent > max {
		t.Errorf("spinning reads %.1f%%, more than every core (%.0f%%)", busy.CPUPercent, max)
	}
	for _, g := range []float64{idle.GCCPUPct, busy.GCCPUPct} {
		if g < 0 || g > 100 {
			t.Errorf("GC share %.1f%% is not a share", g)
		}
	}
}

// A restarted server has a new PID: SetPID switches to it and its first
// sample starts the CPU figure afresh.
func TestSamplerSetPIDFollowsARestartedProcess(t *testing.T) {
	s := NewSampler(1 << 30)
	if got := s.Sample(time.Now()).Server; got == nil || got.Err == "" {
		t.Fatalf("missing process sampled: %+v", got)
	}
	s.SetPID(os.Getpid())
	got := s.Sample(time.Now()).Server
	if got == nil || got.Err != "" || got.PID != os.Getpid() || got.CPUPercent != 0 || got.RSSBytes == 0 {
		t.Fatalf("after SetPID: %+v", got)
	}
	if s.PID() != os.Getpid() {
		t.Errorf("PID() = %d", s.PID())
	}
	s.SetPID(0)
	if s.Sample(time.Now()).Server != nil {
		t.Error("SetPID(0) still samples a server")
	}
}
