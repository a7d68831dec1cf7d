package chaos

import (
	"errors"
	"fmt"
	"time"
)

// Two partitions are offered. The proxy's (Proxy.Partition) works
// everywhere: both directions of every proxied connection stop, new
// connections are held unpaired, and Heal lets everything through again.
// The network's (Netns) is a real one: the server and the clients live in
// network namespaces the caller creates, joined by a veth pair whose link
// is taken down and brought up; it needs root and iproute2.
//
// Both hold rather than lose what is sent during the partition, as TCP
// does across a partition shorter than its retransmission timeout: the
// bytes arrive after the heal (the proxy's at once; the kernel's at the
// next retransmission, so up to a few seconds later), or the connection
// dies of its own timeouts.

// partitionName is the proxy's own toxic that holds the traffic.
const partitionName = reservedPrefix + "partition"

// Partition blackholes the proxy in both directions until Heal: bytes in
// flight and sent later are held (not delivered, not lost), connections
// accepted meanwhile are not paired with the upstream. It records the
// event; Heal sets its End.
func (p *Proxy) Partition() (FaultEvent, error) {
	p.mu.Lock()
	if p.healed != nil {
		p.mu.Unlock()
		return FaultEvent{}, errors.New("chaos: proxy already partitioned")
	}
	if p.closed {
		p.mu.Unlock()
		return FaultEvent{}, errors.New("chaos: proxy closed")
	}
	p.healed = make(chan struct{})
	p.mu.Unlock()
	ev, err := p.addToxic(ToxicSpec{Name: partitionName, Direction: Both, Toxic: Timeout{}},
		KindPartition, fmt.Sprintf("partition between the clients and %s", p.upstream))
	if err != nil {
		p.mu.Lock()
		close(p.healed)
		p.healed = nil
		p.mu.Unlock()
	}
	return ev, err
}

// Heal ends a partition: held bytes pass on at once, held connections are
// paired. It returns the partition's event with End set.
func (p *Proxy) Heal() (FaultEvent, error) {
	p.mu.Lock()
	if p.healed == nil {
		p.mu.Unlock()
		return FaultEvent{}, errors.New("chaos: proxy not partitioned")
	}
	close(p.healed)
	p.healed = nil
	p.mu.Unlock()
	return p.RemoveToxic(partitionName)
}

// Partitioned reports whether a partition is in force.
func (p *Proxy) Partitioned() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.healed != nil
}

// netnsEvent is the event of a namespace partition.
func netnsEvent(n *Netns, at time.Time) FaultEvent {
	return FaultEvent{Kind: KindPartition, At: at,
		Detail: fmt.Sprintf("veth link %s (%s) — %s (%s) down", n.ServerNS, n.ServerAddr, n.ClientNS, n.ClientAddr)}
}
