package regression

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestInterleaveAlternatesAndBalances(t *testing.T) {
	var order []string
	mk := func(name string) RunFunc {
		return func(context.Context) (Run, error) {
			order = append(order, name)
			return Run{"i": float64(len(order))}, nil
		}
	}
	as, bs, err := Interleave(context.Background(), 20, 1, mk("a"), mk("b"))
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 20 || len(bs) != 20 {
		t.Fatalf("%d and %d runs", len(as), len(bs))
	}
	seq := strings.Join(order, "")
	for i := 0; i < len(seq); i += 2 {
		if seq[i] == seq[i+1] {
			t.Fatalf("pair %d is %q: each pair must have one run of each side", i/2, seq[i:i+2])
		}
	}
	if !strings.Contains(seq, "abab") && !strings.Contains(seq, "baab") && !strings.Contains(seq, "abba") {
		t.Errorf("order %s looks fixed", seq)
	}
	order = nil
	_, _, _ = Interleave(context.Background(), 20, 1, mk("a"), mk("b"))
	if strings.Join(order, "") != seq {
		t.Error("same seed, different order")
	}

	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	stop := func(context.Context) (Run, error) {
		calls++
		if calls == 3 {
			cancel()
		}
		return Run{}, nil
	}
	as, bs, err = Interleave(ctx, 10, 2, stop, stop)
	if !errors.Is(err, context.Canceled) || len(as) != len(bs) || len(as) != 1 {
		t.Errorf("cancel: err %v, %d/%d runs kept", err, len(as), len(bs))
	}
	boom := errors.New("boom")
	_, _, err = Interleave(context.Background(), 3, 3, mk("a"), func(context.Context) (Run, error) { return nil, boom })
	if !errors.Is(err, boom) {
		t.Errorf("error not returned: %v", err)
	}
}
