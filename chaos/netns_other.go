//go:build !linux

package chaos

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os/exec"
)

// Netns is a real network partition's setting; see the Linux build. Here
// namespaces do not exist and every method fails.
type Netns struct {
	ServerNS, ClientNS     string
	ServerAddr, ClientAddr netip.Addr
}

var errNoNetns = errors.New("chaos: network namespaces exist only on Linux")

func NetnsAvailable() error                                         { return errNoNetns }
func NewNetns(context.Context) (*Netns, error)                      { return nil, errNoNetns }
func (*Netns) Listen(context.Context, string) (net.Listener, error) { return nil, errNoNetns }
func (*Netns) Dial(context.Context, string, string) (net.Conn, error) {
	return nil, errNoNetns
}
func (*Netns) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, name, args...)
}
func (*Netns) Partition(context.Context) (FaultEvent, error) { return FaultEvent{}, errNoNetns }
func (*Netns) Heal(context.Context) (FaultEvent, error)      { return FaultEvent{}, errNoNetns }
func (*Netns) Events() []FaultEvent                          { return nil }
func (*Netns) Close() error                                  { return nil }
