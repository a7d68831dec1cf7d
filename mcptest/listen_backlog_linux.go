//go:build linux

package mcptest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
)

// listenBacklog opens a TCP listener on addr with the given listen(2)
// backlog. Go's net package always passes somaxconn, so the socket is made
// here as Go would make it — non-blocking and close-on-exec, SO_REUSEADDR,
// SO_REUSEPORT when reuse is set, a wildcard address served dual-stack
// (IPv6 with IPV6_V6ONLY off, falling back to IPv4) — then bound, put in
// LISTEN state with backlog and handed to net.FileListener, so Accept goes
// through Go's poller as usual. The kernel caps backlog at somaxconn.
func listenBacklog(ctx context.Context, addr string, reuse bool, backlog int) (net.Listener, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ta, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil, err
	}
	wildcard := ta.IP == nil || ta.IP.IsUnspecified()
	var fd int
	switch {
	case wildcard:
		fd, err = listenSocket(syscall.AF_INET6, &syscall.SockaddrInet6{Port: ta.Port}, reuse, backlog)
		if errors.Is(err, syscall.EAFNOSUPPORT) { // no IPv6 in this kernel or namespace
			fd, err = listenSocket(syscall.AF_INET, &syscall.SockaddrInet4{Port: ta.Port}, reuse, backlog)
		}
	case ta.IP.To4() != nil:
		sa := &syscall.SockaddrInet4{Port: ta.Port}
		copy(sa.Addr[:], ta.IP.To4())
		fd, err = listenSocket(syscall.AF_INET, sa, reuse, backlog)
	default:
		sa := &syscall.SockaddrInet6{Port: ta.Port}
		copy(sa.Addr[:], ta.IP.To16())
		if ta.Zone != "" {
			ifi, ierr := net.InterfaceByName(ta.Zone)
			if ierr != nil {
				return nil, ierr
			}
			sa.ZoneId = uint32(ifi.Index)
		}
		fd, err = listenSocket(syscall.AF_INET6, sa, reuse, backlog)
	}
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "tcp-listener:"+addr)
	defer f.Close() // FileListener holds its own duplicate
	return net.FileListener(f)
}

// listenSocket makes a listening TCP socket of family bound to sa; on
// error nothing is left open.
func listenSocket(family int, sa syscall.Sockaddr, reuse bool, backlog int) (fd int, err error) {
	fd, err = syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, syscall.IPPROTO_TCP)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	defer func() {
		if err != nil {
			syscall.Close(fd)
			fd = -1
		}
	}()
	opt := func(level, name, v int, what string) error {
		if err := syscall.SetsockoptInt(fd, level, name, v); err != nil {
			return os.NewSyscallError("setsockopt "+what, err)
		}
		return nil
	}
	if err = opt(syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1, "SO_REUSEADDR"); err != nil {
		return fd, err
	}
	if reuse {
		if err = opt(syscall.SOL_SOCKET, soReusePort, 1, "SO_REUSEPORT"); err != nil {
			return fd, err
		}
	}
	if family == syscall.AF_INET6 {
		// As Go does for "tcp": a wildcard IPv6 socket also takes IPv4.
		if err = opt(syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 0, "IPV6_V6ONLY"); err != nil {
			return fd, err
		}
	}
	if err = syscall.Bind(fd, sa); err != nil {
		return fd, os.NewSyscallError("bind", err)
	}
	if err = syscall.Listen(fd, backlog); err != nil {
		return fd, os.NewSyscallError("listen", fmt.Errorf("backlog %d: %w", backlog, err))
	}
	return fd, nil
}
