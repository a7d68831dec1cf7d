package regression

import (
	"encoding/json"
	"errors"
	"fmt"
)

// NoiseCorpus is run-to-run noise measured with no code change (A/A runs):
// one value per run per metric, in the order the runs were made. Its format
// does not depend on where the numbers came from; Source says that.
type NoiseCorpus struct {
	// Source describes the workload honestly, e.g. "loopback echo proxy
	// workload, not yet the baseline suite".
	Source string `json:"source"`
	// Command is the exact command that collected the data.
	Command string `json:"command"`
	// Collected is the RFC 3339 time the collection finished.
	Collected string `json:"collected"`
	// Notes records conditions such as "machine shared with 6 compiling engineers".
	Notes string `json:"notes,omitempty"`
	Env   Env    `json:"env"`
	// RunSeconds is the measured duration of each run.
	RunSeconds float64 `json:"run_seconds"`
	// Metrics holds every metric's values, index i being run i.
	Metrics []Samples `json:"metrics"`
}

// Validate reports every problem at once.
func (c NoiseCorpus) Validate() error {
	var errs []error
	if c.Source == "" {
		errs = append(errs, errors.New("noise corpus: empty source"))
	}
	if len(c.Metrics) == 0 {
		errs = append(errs, errors.New("noise corpus: no metrics"))
	}
	runs := -1
	for _, s := range c.Metrics {
		if err := s.Validate(); err != nil {
			errs = append(errs, err)
		}
		if runs >= 0 && len(s.Values) != runs {
			errs = append(errs, fmt.Errorf("noise corpus: metric %q has %d runs, others %d", s.Metric.Name, len(s.Values), runs))
		}
		runs = len(s.Values)
	}
	return errors.Join(errs...)
}

// Runs returns the number of runs.
func (c NoiseCorpus) Runs() int {
	if len(c.Metrics) == 0 {
		return 0
	}
	return len(c.Metrics[0].Values)
}

// Split divides the corpus deterministically into a calibration half (runs
// with even index) and an evaluation half (odd index). Interleaving keeps slow
// machine drift from ending up in one half only.
func (c NoiseCorpus) Split() (calibration, evaluation NoiseCorpus) {
	calibration, evaluation = c, c
	calibration.Metrics = make([]Samples, len(c.Metrics))
	evaluation.Metrics = make([]Samples, len(c.Metrics))
	for i, s := range c.Metrics {
		calibration.Metrics[i].Metric = s.Metric
		evaluation.Metrics[i].Metric = s.Metric
		for j, v := range s.Values {
			if j%2 == 0 {
				calibration.Metrics[i].Values = append(calibration.Metrics[i].Values, v)
			} else {
				evaluation.Metrics[i].Values = append(evaluation.Metrics[i].Values, v)
			}
		}
	}
	calibration.Notes = joinNote(c.Notes, "calibration half (even runs)")
	evaluation.Notes = joinNote(c.Notes, "evaluation half (odd runs)")
	return calibration, evaluation
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// LoadNoiseCorpus reads and validates a corpus written by SaveNoiseCorpus.
func LoadNoiseCorpus(path string) (NoiseCorpus, error) {
	var c NoiseCorpus
	b, err := readFileLimited(path)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("regression: %s: %w", path, err)
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("regression: %s: %w", path, err)
	}
	return c, nil
}

// SaveNoiseCorpus validates c and writes it atomically as indented JSON.
func SaveNoiseCorpus(path string, c NoiseCorpus) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return writeJSONAtomic(path, c)
}
