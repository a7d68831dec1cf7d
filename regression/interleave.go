package regression

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
)

// RunFunc performs one run (one process or execution) and summarizes it.
type RunFunc func(ctx context.Context) (Run, error)

// Interleave makes n runs of a (baseline) and n of b (current) in pairs,
// the order inside each pair drawn from seed, so that slow drift of a
// shared machine lands on both sides. Run sequentially, A×n then B×n, our
// noise corpora showed a per-report false-positive rate of up to 23% at
// alpha 0.05 (see the package documentation); interleaved, the nominal
// rate holds. It stops at the first error or when ctx ends, returning the
// runs completed so far (always equally many per side).
func Interleave(ctx context.Context, n int, seed uint64, a, b RunFunc) (as, bs []Run, err error) {
	if n < 1 {
		return nil, nil, fmt.Errorf("regression: interleave: n = %d, want >= 1", n)
	}
	if a == nil || b == nil {
		return nil, nil, errors.New("regression: interleave: nil run function")
	}
	rng := rand.New(rand.NewPCG(seed, 0x696e746572))
	for range n {
		first, second := a, b
		aFirst := rng.IntN(2) == 0
		if !aFirst {
			first, second = b, a
		}
		if err := ctx.Err(); err != nil {
			return as, bs, err
		}
		r1, err := first(ctx)
		if err != nil {
			return as, bs, err
		}
		if err := ctx.Err(); err != nil {
			return as, bs, err
		}
		r2, err := second(ctx)
		if err != nil {
			return as, bs, err
		}
		if aFirst {
			as, bs = append(as, r1), append(bs, r2)
		} else {
			as, bs = append(as, r2), append(bs, r1)
		}
	}
	return as, bs, nil
}
