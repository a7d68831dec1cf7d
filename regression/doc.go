// Package regression owns the statistics that decide whether a change made a
// server slower: A/B comparison of run sets, a history gate, change points,
// anomalies and trends, all on plain []float64 with gonum.
package regression
