// Package scale is seed suite 2 (seed 000, §2): how a server's throughput
// and tail latency change as sessions grow 100×, from 150 to 15,000.
//
//	go test -tags stress ./stress/scale
//	go test -tags stress -run TestScale15K ./stress/scale
//
// Each level test (TestScale150Connections … TestScale15KConnections)
// measures the machine's own ceiling at its session count first — a raw
// newline echo through the same client processes, sessions and server
// processes, closed loop — then offers the seed's rate or the profile's
// fraction of that ceiling, whichever is lower, and judges: at least 90% of
// the offered rate answered, p50/p95/p99/max under the seed's table for
// the level, errors and drops under 0.1%. Where the seed's rate is beyond
// the ceiling, the report says so with both numbers; the seed's figure is
// never lowered silently. Levels over 10,000 sessions run the client as
// local shard processes, and the reference server runs as several
// SO_REUSEPORT processes over 8,000 (one process holds at most 20,000 open
// files here). TestScaleSummaryReport puts the levels side by side: the
// throughput- and latency-versus-sessions curves and the scaling factor
// beside the seed's 100×.
package scale
