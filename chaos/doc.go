// Package chaos owns the faults the chaos suites inject and the measurement
// of how a server comes back from them. It is shaped like toxiproxy's
// toxics: one fault per file, each behind one small interface, with what
// every fault shares kept in one wrapper.
//
// # The fault proxy
//
// Proxy (proxy.go, link.go) is a TCP proxy on 127.0.0.1 between the load
// client and the server. With no fault in force it copies bytes as
// io.Copy does. Its faults:
//
//   - Byte-level toxics, added and removed while traffic flows
//     (AddToxic, RemoveToxic). A Toxic has one method, Pipe, that gets each
//     chunk of one direction of one connection and passes on what should
//     arrive. The wrapper, ToxicSpec, carries the name, the Direction
//     (Upstream = requests, Downstream = responses, Both) and the
//     Toxicity (the fraction of connections, chosen per connection from a
//     seed and the accept order). Optional behaviour is a separate small
//     interface checked by type assertion: PerConn (state per connection),
//     Ender (acts on the close), Expirer (ends the connection on a clock).
//     The toxics: Latency (± Jitter, from each chunk's arrival), Bandwidth,
//     SlowClose, Timeout, ResetPeer, Slicer, LimitData. A toxic that is
//     interrupted passes on the bytes it holds; only loss loses data.
//   - Message-level toxics (loss.go, corrupt.go), where dropping bytes
//     would only break the framing: Loss drops whole JSON-RPC messages,
//     Corrupt makes whole messages unparseable (the reader sees -32700 or
//     a decode error), each for a Fraction of messages from a seeded
//     stream, with exact counts. Framing says what a message is: a
//     newline frame (TCP, stdio) or an HTTP request or response.
//     Stream runs the same toxics over a plain stream (a stdio pipe).
//   - Partition and Heal (partition.go): both directions held, new
//     connections unpaired, until the heal.
//   - DropAll and Drop: reset every connection or a seeded fraction; the
//     clients reconnect by their own backoff.
//
// # Outside the proxy
//
//   - Netns (partition.go, netns_linux.go): a real partition. Two network
//     namespaces joined by a veth pair; Listen and Command put a server in
//     one, Dial connects from the other, Partition and Heal take the link
//     down and up; Close removes it all. Root and iproute2 only
//     (NetnsAvailable says why not).
//   - Process faults (process.go) on a Process — PID and Restart, which
//     mcptest.Server has — and only on a child of this process: Crash
//     (SIGKILL, restart at the heal), Freeze (SIGSTOP, SIGCONT at the
//     heal).
//   - Hook: any fault switched by two functions, such as the reference
//     server's own (mcptest.Server.SetFaults: delay, failing fraction,
//     blocked registry, stall), without this package importing it; Range
//     draws a delay from a range with the injection's seeded source.
//
// # Schedules and events
//
// A Fault is anything with Inject(ctx, rnd) returning an Injection (and
// its Heal): ToxicFault, PartitionFault, NetnsPartition, DropFault,
// Crash, Freeze, Hook. A Schedule injects its Entries every Every for For
// (with seeded jitter, several at once); Plan is the pure timetable, Run
// carries it out and heals everything before it returns. Every injection
// becomes a FaultEvent with its start (At) and heal (End); Apply does one
// by hand.
//
// # Measuring recovery
//
// MeasureImpact judges one fault from the run's traffic at sub-second
// resolution (100 ms RatePoints from the engine, or per-request Samples
// through Bin): time to detect (throughput falls or errors rise past a
// threshold), time to recover (a sliding window at ≥ 90% of the
// pre-fault throughput and an error rate back under the normal one),
// the error rate during the fault, and the requests lost for good.
// MeasureRecovery, its coarser predecessor (throughput only), stays for
// its callers.
//
// chaos is a leaf: it imports nothing of this module and works on plain
// values (addresses, times, counts), so any suite can feed it.
// Randomness comes from injected seeds, so chaos runs replay.
package chaos
