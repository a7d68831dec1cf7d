package regression

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
)

// writeJSONAtomic writes v as indented JSON to a temporary file in the same
// directory and renames it over path, so a reader never sees half a file.
func writeJSONAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(name)
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return err
	}
	if err := os.Chmod(name, 0o644); err != nil {
		os.Remove(name)
		return err
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return err
	}
	return nil
}

// MaxFileBytes bounds the baseline and corpus files this package reads.
const MaxFileBytes = 64 << 20

// readFileLimited reads path, refusing files larger than MaxFileBytes.
func readFileLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxFileBytes {
		return nil, fmt.Errorf("regression: %s is larger than %d bytes", path, MaxFileBytes)
	}
	return b, nil
}

func isNaNOrInf(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }

// finite returns nil for NaN and ±Inf, which JSON cannot encode: they are
// written as null ("no value": an unbounded interval end, an untested p).
func finite(v float64) *float64 {
	if isNaNOrInf(v) {
		return nil
	}
	return &v
}

// MarshalJSON writes unbounded ends as null.
func (iv Interval) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Lo       *float64 `json:"lo"`
		Hi       *float64 `json:"hi"`
		Coverage float64  `json:"coverage"`
	}{finite(iv.Lo), finite(iv.Hi), iv.Coverage})
}

// MarshalJSON writes fences that were not computed as null.
func (o Outliers) MarshalJSON() ([]byte, error) {
	type plain Outliers
	return json.Marshal(struct {
		plain
		Lower *float64 `json:"lower"`
		Upper *float64 `json:"upper"`
	}{plain(o), finite(o.Lower), finite(o.Upper)})
}

// MarshalJSON writes a missing center as null.
func (s Summary) MarshalJSON() ([]byte, error) {
	type plain Summary
	return json.Marshal(struct {
		plain
		Center *float64 `json:"center"`
	}{plain(s), finite(s.Center)})
}

// MarshalJSON writes values an inconclusive comparison lacks as null.
func (c Comparison) MarshalJSON() ([]byte, error) {
	type plain Comparison
	return json.Marshal(struct {
		plain
		Delta *float64 `json:"delta"`
		Ratio *float64 `json:"ratio"`
		Worse *float64 `json:"worse"`
		P     *float64 `json:"p"`
		Q     *float64 `json:"q"`
		Z     *float64 `json:"z"`
	}{plain(c), finite(c.Delta), finite(c.Ratio), finite(c.Worse), finite(c.P), finite(c.Q), finite(c.Z)})
}

// MarshalJSON writes values an inconclusive gate lacks as null.
func (g GateResult) MarshalJSON() ([]byte, error) {
	type plain GateResult
	return json.Marshal(struct {
		plain
		P            *float64 `json:"p"`
		FailLimit    *float64 `json:"fail_limit"`
		SuspectLimit *float64 `json:"suspect_limit"`
		Mean         *float64 `json:"mean"`
		StdDev       *float64 `json:"std_dev"`
	}{plain(g), finite(g.P), finite(g.FailLimit), finite(g.SuspectLimit), finite(g.Mean), finite(g.StdDev)})
}
