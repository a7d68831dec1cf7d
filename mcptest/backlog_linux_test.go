//go:build linux

package mcptest

import (
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// listenQueueMax returns the accept-queue limit of the listening socket
// fd: for a socket in LISTEN state Linux reports sk_max_ack_backlog (the
// listen(2) backlog, capped at somaxconn) in TCP_INFO's tcpi_sacked.
func listenQueueMax(t testing.TB, fd int) uint32 {
	t.Helper()
	info, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		t.Fatalf("TCP_INFO: %v", err)
	}
	if info.State != unix.BPF_TCP_LISTEN {
		t.Fatalf("socket state %d, want LISTEN (%d)", info.State, unix.BPF_TCP_LISTEN)
	}
	return info.Sacked
}

// listenerQueueMax is listenQueueMax for a listener of this process.
func listenerQueueMax(t testing.TB, ln net.Listener) uint32 {
	t.Helper()
	sc, ok := ln.(syscall.Conn)
	if !ok {
		t.Fatalf("listener %T has no file descriptor", ln)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n uint32
	if err := rc.Control(func(fd uintptr) { n = listenQueueMax(t, int(fd)) }); err != nil {
		t.Fatal(err)
	}
	return n
}

// somaxconn is the kernel's default and cap for listen backlogs.
func somaxconn(t testing.TB) uint32 {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		t.Skipf("cannot read somaxconn: %v", err)
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32)
	if err != nil {
		t.Fatalf("somaxconn %q: %v", b, err)
	}
	return uint32(n)
}

const testBacklog = 37

func TestBacklogSetsTheListenQueue(t *testing.T) {
	maxq := somaxconn(t)
	if maxq <= testBacklog {
		t.Skipf("somaxconn %d does not exceed the backlog under test (%d)", maxq, testBacklog)
	}
	for _, transport := range []string{TransportTCP, TransportHTTP, TransportRawEcho} {
		for _, reuse := range []bool{false, true} {
			name := transport
			if reuse {
				name += "/reuseport"
			}
			t.Run(name, func(t *testing.T) {
				s := startInProcess(t, Options{Transport: transport, ReusePort: reuse, Backlog: testBacklog, ControlAddr: "127.0.0.1:0"})
				if got := listenerQueueMax(t, s.rt.ln); got != testBacklog {
					t.Errorf("Backlog %d: accept queue limit %d", testBacklog, got)
				}
				// The control endpoint keeps the default on purpose.
				if got := listenerQueueMax(t, s.rt.ctlLn); got != maxq {
					t.Errorf("control listener: accept queue limit %d, want somaxconn %d", got, maxq)
				}
				d := startInProcess(t, Options{Transport: transport, ReusePort: reuse})
				if got := listenerQueueMax(t, d.rt.ln); got != maxq {
					t.Errorf("Backlog 0: accept queue limit %d, want somaxconn %d", got, maxq)
				}
				// The listener the server made itself serves.
				if transport == TransportTCP {
					l := dialLine(t, s.Addr())
					if r := l.call(reqLine(1, "tools/list", "", true)); errCode(r) != 0 {
						t.Fatalf("tools/list: %v", r)
					}
				}
			})
		}
	}
	t.Run("a second SO_REUSEPORT listener shares the port", func(t *testing.T) {
		a := startInProcess(t, Options{ReusePort: true, Backlog: testBacklog})
		b := startInProcess(t, Options{ReusePort: true, Backlog: testBacklog + 1, Addr: a.Addr()})
		if a.Addr() != b.Addr() || listenerQueueMax(t, b.rt.ln) != testBacklog+1 {
			t.Fatalf("a %s, b %s queue %d", a.Addr(), b.Addr(), listenerQueueMax(t, b.rt.ln))
		}
	})
	t.Run("without SO_REUSEPORT a second bind fails", func(t *testing.T) {
		a := startInProcess(t, Options{Backlog: testBacklog})
		if _, err := Start(t.Context(), Options{InProcess: true, Backlog: testBacklog, Addr: a.Addr()}); err == nil {
			t.Fatal("a second listener bound the same port without SO_REUSEPORT")
		}
	})
	t.Run("wildcard address", func(t *testing.T) {
		s := startInProcess(t, Options{Backlog: testBacklog, Addr: ":0"})
		if got := listenerQueueMax(t, s.rt.ln); got != testBacklog {
			t.Errorf("accept queue limit %d", got)
		}
		_, port, _ := net.SplitHostPort(s.Addr())
		l := dialLine(t, net.JoinHostPort("127.0.0.1", port))
		if r := l.call(reqLine(1, "tools/list", "", true)); errCode(r) != 0 {
			t.Fatalf("tools/list: %v", r)
		}
	})
}

// TestBacklogTravelsToTheChildProcess takes a copy of the child's listening
// socket (pidfd_getfd) and reads its accept-queue limit.
func TestBacklogTravelsToTheChildProcess(t *testing.T) {
	if maxq := somaxconn(t); maxq <= testBacklog {
		t.Skipf("somaxconn %d does not exceed the backlog under test (%d)", maxq, testBacklog)
	}
	s := StartServer(t, Options{Backlog: testBacklog})
	_, portStr, _ := net.SplitHostPort(s.Addr())
	port, _ := strconv.Atoi(portStr)
	pidfd, err := unix.PidfdOpen(s.PID(), 0)
	if err != nil {
		t.Skipf("pidfd_open: %v", err)
	}
	defer unix.Close(pidfd)
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(s.PID()) + "/fd")
	if err != nil {
		t.Skipf("listing the child's descriptors: %v", err)
	}
	for _, e := range ents {
		target, _ := os.Readlink("/proc/" + strconv.Itoa(s.PID()) + "/fd/" + e.Name())
		if !strings.HasPrefix(target, "socket:") {
			continue
		}
		n, _ := strconv.Atoi(e.Name())
		fd, err := unix.PidfdGetfd(pidfd, n, 0)
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENOSYS) {
			t.Skipf("pidfd_getfd: %v", err)
		}
		if err != nil {
			continue // closed meanwhile
		}
		sa, _ := unix.Getsockname(fd)
		listening, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
		var ok bool
		switch a := sa.(type) {
		case *unix.SockaddrInet4:
			ok = a.Port == port
		case *unix.SockaddrInet6:
			ok = a.Port == port
		}
		if ok && listening == 1 {
			got := listenQueueMax(t, fd)
			unix.Close(fd)
			if got != testBacklog {
				t.Fatalf("child's accept queue limit %d, want %d", got, testBacklog)
			}
			return
		}
		unix.Close(fd)
	}
	t.Fatalf("no listening socket on port %d among the child's descriptors", port)
}
