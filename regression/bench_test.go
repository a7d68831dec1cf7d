package regression

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkCompare measures one report (6 metrics, Holm) at the sample sizes
// the harness uses; the seed claimed "regression detection < 100 ms".
func BenchmarkCompare(b *testing.B) {
	for _, n := range []int{10, 20, 100} {
		b.Run(fmt.Sprintf("metrics=6/n=%d", n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(7, uint64(n)))
			var old, cur []Samples
			for j, m := range echoMetrics {
				old = append(old, Samples{m, noisy(rng, n, float64(1000*(j+1)), 0.05)})
				cur = append(cur, Samples{m, noisy(rng, n, float64(1000*(j+1))*1.05, 0.05)})
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Compare(Config{}, old, cur); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkChangePoints(b *testing.B) {
	rng := rand.New(rand.NewPCG(8, 9))
	series := append(noisy(rng, 100, 100, 0.05), noisy(rng, 100, 110, 0.05)...)
	for b.Loop() {
		if _, err := ChangePoints(series, ChangePointConfig{}); err != nil {
			b.Fatal(err)
		}
	}
}
