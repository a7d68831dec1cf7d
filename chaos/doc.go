// Package chaos owns the faults the chaos suites inject and the measurement
// of how a server recovers from them. For now it holds the smallest useful
// piece: a TCP fault proxy (Proxy) that sits between the load client and the
// server, forwards bytes both ways, and on demand resets live connections
// (all of them, or a seeded random fraction) with an RST, recording each
// fault with its timestamp; and MeasureRecovery, which turns a throughput
// series around a fault into a recovery time.
//
// chaos is a leaf: it imports neither report nor regression, and works on
// plain values (addresses, times, counts) so any suite can feed it.
// Randomness comes from an injected, seeded source so chaos runs replay.
package chaos
