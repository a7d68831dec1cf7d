//go:build !linux

package mcptest

import (
	"errors"
	"os/exec"
	"syscall"
)

func reusePort(_, _ string, _ syscall.RawConn) error {
	return errors.New("mcptest: ReusePort is only supported on Linux")
}

const reusePortSupported = false

func setChildAttrs(*exec.Cmd) {}
