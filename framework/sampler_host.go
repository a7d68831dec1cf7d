package framework

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// HostSample is what the machine's kernel counted when the sample was taken,
// since it booted: packets it dropped before any process could see them,
// and the CPU time a hypervisor held back. Each makes a loopback run's
// latency lie about the server: a dropped packet is retransmitted after a
// TCP timeout (≥ 200 ms for data, 1 s for a SYN), and stolen CPU time
// stalls the generator and the server alike, which the run then records as
// the server's latency.
type HostSample struct {
	// BacklogDrops: packets dropped because a CPU's input backlog was full
	// (/proc/net/softnet_stat, second column, summed over CPUs). Loopback
	// traffic goes through this queue; raise net.core.netdev_max_backlog.
	BacklogDrops uint64 `json:"backlog_drops"`
	// ListenDrops: connection attempts dropped because a listener's accept
	// queue was full (TcpExt ListenDrops in /proc/net/netstat, of this
	// network namespace); raise the server's backlog and net.core.somaxconn.
	ListenDrops uint64 `json:"listen_drops"`
	// CPUTicks and StealTicks: all the CPU time of the machine and the
	// part of it a hypervisor gave to another guest while this one had work
	// (/proc/stat, the "cpu" line: the sum of its columns, and its eighth,
	// in clock ticks). A shared cloud VM or CI runner shows steal; a
	// dedicated machine none.
	CPUTicks   uint64 `json:"cpu_ticks,omitempty"`
	StealTicks uint64 `json:"steal_ticks,omitempty"`
}

// host reads the kernel's drop counters and CPU steal; nil when /proc has
// none of its files.
func (s *Sampler) host() *HostSample {
	var h HostSample
	okSoftnet, okNetstat, okStat := false, false, false
	if b, err := os.ReadFile(s.procRoot + "/net/softnet_stat"); err == nil {
		h.BacklogDrops, okSoftnet = parseSoftnetDrops(b), true
	}
	if b, err := os.ReadFile(s.procRoot + "/net/netstat"); err == nil {
		h.ListenDrops, okNetstat = netstatField(b, "TcpExt:", "ListenDrops")
	}
	if b, err := os.ReadFile(s.procRoot + "/stat"); err == nil {
		h.CPUTicks, h.StealTicks, okStat = parseCPUSteal(b)
	}
	if !okSoftnet && !okNetstat && !okStat {
		return nil
	}
	return &h
}

// parseCPUSteal reads /proc/stat's first line, "cpu  user nice system idle
// iowait irq softirq steal guest guest_nice": the sum of the first eight
// columns (guest time is already counted in user) and the eighth.
func parseCPUSteal(b []byte) (total, steal uint64, ok bool) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 9 || string(f[0]) != "cpu" {
		return 0, 0, false
	}
	for i := 1; i <= 8; i++ {
		v, err := strconv.ParseUint(string(f[i]), 10, 64)
		if err != nil {
			return 0, 0, false
		}
		total += v
	}
	steal, _ = strconv.ParseUint(string(f[8]), 10, 64)
	return total, steal, true
}

// parseSoftnetDrops sums the second (hexadecimal) column of softnet_stat:
// one line per CPU.
func parseSoftnetDrops(b []byte) uint64 {
	var sum uint64
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) < 2 {
			continue
		}
		if v, err := strconv.ParseUint(string(f[1]), 16, 64); err == nil {
			sum += v
		}
	}
	return sum
}

// netstatField finds name in /proc/net/netstat's pairs of lines (a line of
// names, then a line of values, both starting with prefix).
func netstatField(b []byte, prefix, name string) (uint64, bool) {
	var names [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 8<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte(prefix)) {
			continue
		}
		f := bytes.Fields(line[len(prefix):])
		if names == nil {
			names = make([][]byte, len(f))
			for i := range f {
				names[i] = bytes.Clone(f[i])
			}
			continue
		}
		for i, n := range names {
			if string(n) == name && i < len(f) {
				v, err := strconv.ParseUint(string(f[i]), 10, 64)
				return v, err == nil
			}
		}
		return 0, false
	}
	return 0, false
}

// stealWarnFraction is the share of the machine's CPU time stolen during a
// run from which its summary warns: a few percent is the usual background of
// a shared VM (this project's 2-core machines read 3.4% since boot).
const stealWarnFraction = 0.05

// hostStealWarning and hostDropsWarning start with the phrases
// scripts/stress.sh looks for ("the hypervisor held back", "the kernel
// dropped") to rerun a suite that failed on a disturbed machine; keep them.

// StealFraction is the share of the machine's CPU time a hypervisor held
// back between samples a and b (steal in /proc/stat); ok is false when
// either sample has no host figures.
func StealFraction(a, b *ResourceSample) (f float64, ok bool) {
	if a == nil || b == nil || a.Host == nil || b.Host == nil || b.Host.CPUTicks <= a.Host.CPUTicks {
		return 0, false
	}
	total := b.Host.CPUTicks - a.Host.CPUTicks
	steal := b.Host.StealTicks - min(a.Host.StealTicks, b.Host.StealTicks)
	return float64(steal) / float64(total), true
}

// hostStealWarning says how much of the machine's CPU time a hypervisor
// held back between a and b, when it is at least stealWarnFraction.
func hostStealWarning(a, b *ResourceSample) string {
	if f, ok := StealFraction(a, b); ok && f >= stealWarnFraction {
		return fmt.Sprintf("the hypervisor held back %.1f%% of this machine's CPU time during the run (steal, /proc/stat): the generator and a local server stalled for it, and the latencies include those stalls", 100*f)
	}
	return ""
}

// hostDropsWarning says how many packets the kernel dropped between a and
// b, or "" when it dropped none (or the host was not sampled).
func hostDropsWarning(a, b *ResourceSample) string {
	if a == nil || b == nil || a.Host == nil || b.Host == nil {
		return ""
	}
	backlog := b.Host.BacklogDrops - min(a.Host.BacklogDrops, b.Host.BacklogDrops)
	listen := b.Host.ListenDrops - min(a.Host.ListenDrops, b.Host.ListenDrops)
	var parts []string
	if backlog > 0 {
		parts = append(parts, fmt.Sprintf("%d packets (input backlog full: raise net.core.netdev_max_backlog; each costs a TCP retransmission timeout, ≥ 200 ms)", backlog))
	}
	if listen > 0 {
		parts = append(parts, fmt.Sprintf("%d connection attempts (a listener's accept queue full; each waits ≥ 1 s for its SYN to be sent again)", listen))
	}
	if len(parts) == 0 {
		return ""
	}
	return "the kernel dropped " + strings.Join(parts, " and ") + " on this machine during the run; the latencies include those waits"
}
