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
// since it booted: packets it dropped before any process could see them.
// Both make a loopback run's latency lie about the server: a dropped packet
// is retransmitted after a TCP timeout (≥ 200 ms for data, 1 s for a SYN),
// which the run then records as the server's latency.
type HostSample struct {
	// BacklogDrops: packets dropped because a CPU's input backlog was full
	// (/proc/net/softnet_stat, second column, summed over CPUs). Loopback
	// traffic goes through this queue; raise net.core.netdev_max_backlog.
	BacklogDrops uint64 `json:"backlog_drops"`
	// ListenDrops: connection attempts dropped because a listener's accept
	// queue was full (TcpExt ListenDrops in /proc/net/netstat, of this
	// network namespace); raise the server's backlog and net.core.somaxconn.
	ListenDrops uint64 `json:"listen_drops"`
}

// host reads the kernel's drop counters; nil when /proc has neither file.
func (s *Sampler) host() *HostSample {
	var h HostSample
	okSoftnet, okNetstat := false, false
	if b, err := os.ReadFile(s.procRoot + "/net/softnet_stat"); err == nil {
		h.BacklogDrops, okSoftnet = parseSoftnetDrops(b), true
	}
	if b, err := os.ReadFile(s.procRoot + "/net/netstat"); err == nil {
		h.ListenDrops, okNetstat = netstatField(b, "TcpExt:", "ListenDrops")
	}
	if !okSoftnet && !okNetstat {
		return nil
	}
	return &h
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
