//go:build !linux

package mcptest

import (
	"errors"
	"syscall"
)

func reusePort(_, _ string, _ syscall.RawConn) error {
	return errors.New("mcptest: ReusePort is only supported on Linux")
}

const reusePortSupported = false
