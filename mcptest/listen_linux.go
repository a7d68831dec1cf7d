//go:build linux

package mcptest

import "syscall"

// reusePort sets SO_REUSEPORT so several processes can bind one port and
// the kernel spreads connections across them.
func reusePort(_, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, soReusePort, 1)
	}); err != nil {
		return err
	}
	return serr
}

const reusePortSupported = true

// soReusePort is SO_REUSEPORT on Linux for every architecture Go runs the
// project on (amd64, arm64, 386, arm, riscv64, ppc64le, s390x); the
// syscall package does not export it and the server's code does not
// import x/sys (only a test does).
const soReusePort = 0xf
