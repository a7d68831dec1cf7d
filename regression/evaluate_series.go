package regression

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"text/tabwriter"
)

// GateEvalRow is the history gate's behaviour on one metric: the history is
// the calibration half in time order, the checked values are each
// evaluation run, unchanged (A/A) and made worse by each shift.
type GateEvalRow struct {
	Metric Metric
	// Fail and Suspect count outcomes per shift (shift 0 = A/A).
	Shifts  []float64
	Fail    []Rate
	Suspect []Rate
	// Inconclusive counts checks the gate could not decide.
	Inconclusive int
}

// EvaluateGate measures Gate on a corpus (see GateEvalRow).
func EvaluateGate(corpus NoiseCorpus, cfg GateConfig, shifts []float64) ([]GateEvalRow, error) {
	if err := corpus.Validate(); err != nil {
		return nil, err
	}
	cal, ev := corpus.Split()
	shifts = append([]float64{0}, shifts...)
	var rows []GateEvalRow
	for j, s := range ev.Metrics {
		row := GateEvalRow{Metric: s.Metric, Shifts: shifts}
		for _, d := range shifts {
			fail, sus := 0, 0
			for _, v := range s.Values {
				x := v * (1 + d)
				if s.Metric.Direction == HigherIsBetter {
					x = v * (1 - d)
				}
				r, err := Gate(cal.Metrics[j].Values, x, s.Metric.Direction, cfg)
				if err != nil {
					return nil, err
				}
				switch r.Outcome {
				case GateFail:
					fail++
				case GateSuspect:
					sus++
				case GateInconclusive:
					row.Inconclusive++
				}
			}
			row.Fail = append(row.Fail, NewRate(fail, len(s.Values)))
			row.Suspect = append(row.Suspect, NewRate(sus, len(s.Values)))
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// CPEvalRow is the change-point detector's behaviour on one metric.
type CPEvalRow struct {
	Metric Metric
	Shifts []float64
	// Detected counts series with a change point within Tolerance of the
	// injected step (shift 0: any change point, i.e. false alarms).
	Detected []Rate
	// MeanFalse is the mean number of change points elsewhere per series.
	MeanFalse []float64
}

// EvaluateChangePoints builds trials series of 2·half values drawn without
// replacement from the evaluation half (seeded shuffles, so time order is
// not preserved), makes the second half worse by each shift, and counts
// change points found within tolerance of index half.
func EvaluateChangePoints(corpus NoiseCorpus, cfg ChangePointConfig, shifts []float64, trials, half, tolerance int, seed uint64) ([]CPEvalRow, error) {
	if err := corpus.Validate(); err != nil {
		return nil, err
	}
	_, ev := corpus.Split()
	if 2*half > ev.Runs() {
		return nil, fmt.Errorf("change-point evaluation: need %d evaluation runs, have %d", 2*half, ev.Runs())
	}
	shifts = append([]float64{0}, shifts...)
	var rows []CPEvalRow
	for _, s := range ev.Metrics {
		row := CPEvalRow{Metric: s.Metric, Shifts: shifts}
		for _, d := range shifts {
			rng := rand.New(rand.NewPCG(seed, cellSeed(s.Metric.Name, int(d*1000))))
			hits, falseCPs := 0, 0
			series := make([]float64, 2*half)
			for range trials {
				idx := rng.Perm(ev.Runs())[:2*half]
				for i, k := range idx {
					v := s.Values[k]
					if i >= half {
						if s.Metric.Direction == HigherIsBetter {
							v *= 1 - d
						} else {
							v *= 1 + d
						}
					}
					series[i] = v
				}
				cps, err := ChangePoints(series, cfg)
				if err != nil {
					return nil, err
				}
				hit := false
				for _, cp := range cps {
					if d != 0 && absInt(cp.Index-half) <= tolerance && !hit {
						hit = true
						continue
					}
					falseCPs++
				}
				if d == 0 && len(cps) > 0 {
					hit = true
				}
				if hit {
					hits++
				}
			}
			row.Detected = append(row.Detected, NewRate(hits, trials))
			row.MeanFalse = append(row.MeanFalse, float64(falseCPs)/float64(trials))
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// WriteSeriesEvalTables writes the gate and change-point evaluations.
func WriteSeriesEvalTables(w io.Writer, gate []GateEvalRow, cps []CPEvalRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if len(gate) > 0 {
		fmt.Fprint(tw, "history gate (fail / suspect)\tn")
		for _, d := range gate[0].Shifts {
			fmt.Fprintf(tw, "\tworse by %.0f%%", 100*d)
		}
		fmt.Fprintln(tw)
		for _, r := range gate {
			fmt.Fprintf(tw, "%s\t%d", r.Metric.Name, r.Fail[0].Trials)
			for i := range r.Shifts {
				fmt.Fprintf(tw, "\t%.1f%% / %.1f%%", 100*r.Fail[i].Value(), 100*r.Suspect[i].Value())
			}
			if r.Inconclusive > 0 {
				fmt.Fprintf(tw, "\t(%d inconclusive)", r.Inconclusive)
			}
			fmt.Fprintln(tw)
		}
	}
	if len(cps) > 0 {
		fmt.Fprint(tw, "change points (detected; false per series)\tn")
		for _, d := range cps[0].Shifts {
			fmt.Fprintf(tw, "\tstep %.0f%%", 100*d)
		}
		fmt.Fprintln(tw)
		for _, r := range cps {
			fmt.Fprintf(tw, "%s\t%d", r.Metric.Name, r.Detected[0].Trials)
			for i := range r.Shifts {
				fmt.Fprintf(tw, "\t%.1f%%; %.2f", 100*r.Detected[i].Value(), r.MeanFalse[i])
			}
			fmt.Fprintln(tw)
		}
	}
	return tw.Flush()
}

// SeedZRow is the seed document's rule on one metric, for comparison: one
// new run against a baseline of Baseline runs, flagged when
// |x - mean|/sd > 2 (two-sided, direction-blind, sd over n as the seed's
// code computed it).
type SeedZRow struct {
	Metric Metric
	Shifts []float64
	// Flagged[i] counts flags at Shifts[i] (0 = A/A false positives);
	// Improvements[i] counts flags when the run is Shifts[i] better, which
	// the seed reported as regressions.
	Flagged      []Rate
	Improvements []Rate
}

// EvaluateSeedZRule measures the seed's |z| > 2 rule on the evaluation half.
func EvaluateSeedZRule(corpus NoiseCorpus, baseline, trials int, shifts []float64, seed uint64) ([]SeedZRow, error) {
	if err := corpus.Validate(); err != nil {
		return nil, err
	}
	_, ev := corpus.Split()
	if baseline+1 > ev.Runs() {
		return nil, fmt.Errorf("seed rule: need %d evaluation runs, have %d", baseline+1, ev.Runs())
	}
	shifts = append([]float64{0}, shifts...)
	var rows []SeedZRow
	for _, s := range ev.Metrics {
		row := SeedZRow{Metric: s.Metric, Shifts: shifts}
		for _, d := range shifts {
			rng := rand.New(rand.NewPCG(seed, cellSeed("seed-z/"+s.Metric.Name, int(d*1000))))
			worse, better := 0, 0
			base := make([]float64, baseline)
			for range trials {
				idx := rng.Perm(ev.Runs())[:baseline+1]
				for i := range base {
					base[i] = s.Values[idx[i]]
				}
				m := 0.0
				for _, v := range base {
					m += v
				}
				m /= float64(baseline)
				ss := 0.0
				for _, v := range base {
					ss += (v - m) * (v - m)
				}
				sd := math.Sqrt(ss / float64(baseline))
				x := s.Values[idx[baseline]]
				up, down := x*(1+d), x*(1-d)
				if s.Metric.Direction == HigherIsBetter {
					up, down = down, up // "worse" is down for throughput
				}
				if sd > 0 && math.Abs(up-m)/sd > 2 {
					worse++
				}
				if d > 0 && sd > 0 && math.Abs(down-m)/sd > 2 {
					better++
				}
			}
			row.Flagged = append(row.Flagged, NewRate(worse, trials))
			row.Improvements = append(row.Improvements, NewRate(better, trials))
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// WriteSeedZTable writes the seed rule's rates.
func WriteSeedZTable(w io.Writer, rows []SeedZRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if len(rows) == 0 {
		return nil
	}
	fmt.Fprint(tw, "seed rule |z|>2, 1 run vs 30\tn")
	for _, d := range rows[0].Shifts {
		if d == 0 {
			fmt.Fprint(tw, "\tA/A flagged")
			continue
		}
		fmt.Fprintf(tw, "\t%.0f%% worse / %.0f%% better flagged", 100*d, 100*d)
	}
	fmt.Fprintln(tw)
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d", r.Metric.Name, r.Flagged[0].Trials)
		for i, d := range r.Shifts {
			if d == 0 {
				fmt.Fprintf(tw, "\t%.1f%%", 100*r.Flagged[i].Value())
				continue
			}
			fmt.Fprintf(tw, "\t%.1f%% / %.1f%%", 100*r.Flagged[i].Value(), 100*r.Improvements[i].Value())
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}
