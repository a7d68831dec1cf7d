package chaos

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Netns is a real network partition's setting: two network namespaces,
// one for the server and one for the clients, joined by a veth pair
// (ServerAddr and ClientAddr, a /30 that exists only inside them).
// Listen and Command put a server in the server namespace, Dial connects
// from the client namespace; Partition takes the veth link down on both
// ends and Heal brings it up. Nothing leaves the machine, and the host's
// own network is not touched. Close deletes both namespaces (and with
// them the veth pair).
type Netns struct {
	ServerNS, ClientNS     string
	ServerAddr, ClientAddr netip.Addr
	serverIf, clientIf     string

	mu     sync.Mutex
	down   *FaultEvent
	events []FaultEvent
}

// NetnsAvailable says why namespaces cannot be made here (nil when they
// can): they need root and the ip command (iproute2).
func NetnsAvailable() error {
	if os.Geteuid() != 0 {
		return errors.New("network namespaces need root (euid is not 0)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return errors.New("network namespaces need the ip command (iproute2): " + err.Error())
	}
	return nil
}

// NewNetns creates the two namespaces and the veth pair between them,
// with loopback up in both. On error it removes whatever it made.
func NewNetns(ctx context.Context) (*Netns, error) {
	if err := NetnsAvailable(); err != nil {
		return nil, err
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	tag := hex.EncodeToString(b[:]) // names stay within IFNAMSIZ
	n := &Netns{
		ServerNS: "mcps" + tag + "s", ClientNS: "mcps" + tag + "c",
		serverIf: "mcps" + tag + "s", clientIf: "mcps" + tag + "c",
		ServerAddr: netip.MustParseAddr("10.213.0.1"), ClientAddr: netip.MustParseAddr("10.213.0.2"),
	}
	steps := [][]string{
		{"netns", "add", n.ServerNS},
		{"netns", "add", n.ClientNS},
		{"link", "add", n.serverIf, "netns", n.ServerNS, "type", "veth", "peer", "name", n.clientIf, "netns", n.ClientNS},
		{"-n", n.ServerNS, "addr", "add", n.ServerAddr.String() + "/30", "dev", n.serverIf},
		{"-n", n.ClientNS, "addr", "add", n.ClientAddr.String() + "/30", "dev", n.clientIf},
		{"-n", n.ServerNS, "link", "set", "lo", "up"},
		{"-n", n.ClientNS, "link", "set", "lo", "up"},
		{"-n", n.ServerNS, "link", "set", n.serverIf, "up"},
		{"-n", n.ClientNS, "link", "set", n.clientIf, "up"},
	}
	for _, s := range steps {
		if err := ip(ctx, s...); err != nil {
			return nil, errors.Join(err, n.Close())
		}
	}
	return n, nil
}

func ip(ctx context.Context, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("chaos: ip %v: %w: %s", args, err, bytes.TrimSpace(out.Bytes()))
	}
	return nil
}

// inNS runs f on an OS thread moved into namespace ns, so the sockets f
// makes belong to ns (a socket keeps its namespace for life). The thread
// is moved back after; if it cannot be, it is left locked and so dies
// with its goroutine rather than serving other goroutines in ns.
func inNS(ns string, f func() error) error {
	target, err := os.Open("/var/run/netns/" + ns)
	if err != nil {
		return fmt.Errorf("chaos: namespace %s: %w", ns, err)
	}
	defer target.Close()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		self, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer self.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("chaos: setns %s: %w", ns, err)
			return
		}
		ferr := f()
		if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err == nil {
			runtime.UnlockOSThread()
		}
		errc <- ferr
	}()
	return <-errc
}

// Listen listens in the server namespace on its veth address and port
// ("0" for any).
func (n *Netns) Listen(ctx context.Context, port string) (net.Listener, error) {
	var ln net.Listener
	err := inNS(n.ServerNS, func() error {
		var err error
		var lc net.ListenConfig
		ln, err = lc.Listen(ctx, "tcp", net.JoinHostPort(n.ServerAddr.String(), port))
		return err
	})
	return ln, err
}

// Dial connects from the client namespace to addr (host:port; the
// server's is ServerAddr).
func (n *Netns) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var c net.Conn
	err := inNS(n.ClientNS, func() error {
		var err error
		var d net.Dialer
		c, err = d.DialContext(ctx, network, addr)
		return err
	})
	return c, err
}

// Command is a command that runs in the server namespace (through ip
// netns exec): a server the test starts there.
func (n *Netns) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", n.ServerNS, name}, args...)...)
}

// Partition takes the veth link down on both ends and records the event.
func (n *Netns) Partition(ctx context.Context) (FaultEvent, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.down != nil {
		return FaultEvent{}, errors.New("chaos: namespaces already partitioned")
	}
	at := time.Now()
	err := errors.Join(ip(ctx, "-n", n.ServerNS, "link", "set", n.serverIf, "down"),
		ip(ctx, "-n", n.ClientNS, "link", "set", n.clientIf, "down"))
	ev := netnsEvent(n, at)
	n.down = &ev
	return ev, err
}

// Heal brings the veth link up on both ends and returns the partition's
// event with End set.
func (n *Netns) Heal(ctx context.Context) (FaultEvent, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.down == nil {
		return FaultEvent{}, errors.New("chaos: namespaces not partitioned")
	}
	err := errors.Join(ip(ctx, "-n", n.ServerNS, "link", "set", n.serverIf, "up"),
		ip(ctx, "-n", n.ClientNS, "link", "set", n.clientIf, "up"))
	ev := *n.down
	ev.End = time.Now()
	n.events = append(n.events, ev)
	n.down = nil
	return ev, err
}

// Events returns the healed partitions so far, oldest first.
func (n *Netns) Events() []FaultEvent {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]FaultEvent(nil), n.events...)
}

// Close deletes both namespaces; the veth pair goes with them. Sockets
// still open in them keep them alive, unnamed, until they close.
func (n *Netns) Close() error {
	ctx := context.Background()
	var errs []error
	for _, ns := range []string{n.ServerNS, n.ClientNS} {
		if _, err := os.Stat("/var/run/netns/" + ns); err == nil {
			errs = append(errs, ip(ctx, "netns", "del", ns))
		}
	}
	return errors.Join(errs...)
}
