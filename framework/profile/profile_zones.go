package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
)

// Zone is a rating of one result against the seed's "Interpreting Results"
// bands.
type Zone string

// The zones. ZoneUnrated is a value in a gap the seed leaves between its
// yellow and red bands (for example memory growth of 300 MB/h): it is
// reported as such rather than guessed.
const (
	ZoneGreen   Zone = "green"
	ZoneYellow  Zone = "yellow"
	ZoneRed     Zone = "red"
	ZoneUnrated Zone = "unrated"
)

// Zones are the seed's green/yellow/red bands, read from
// testdata/profiles/zones.json.
type Zones struct {
	Source      string       `json:"source"`
	Description string       `json:"description"`
	Metrics     []ZoneMetric `json:"metrics"`
	Notes       []string     `json:"notes,omitempty"`
}

// ZoneMetric is the bands of one metric. For a metric where lower is better,
// a value is green below Green (at or below it when GreenInclusive), yellow
// up to and including Yellow, red above Red, and unrated in between. When
// HigherIsBetter, the bands mirror: green at or above Green, yellow at or
// above Yellow, red below Red.
type ZoneMetric struct {
	Name           string  `json:"name"`
	Unit           string  `json:"unit"`
	HigherIsBetter bool    `json:"higher_is_better,omitempty"`
	Green          float64 `json:"green"`
	GreenInclusive bool    `json:"green_inclusive,omitempty"`
	Yellow         float64 `json:"yellow"`
	Red            float64 `json:"red"`
	// Seed is the seed's wording, for review.
	Seed string `json:"seed"`
}

// Classify rates v; NaN (nothing measured) is unrated.
func (m ZoneMetric) Classify(v float64) Zone {
	switch {
	case math.IsNaN(v):
		return ZoneUnrated
	case m.HigherIsBetter:
		switch {
		case v >= m.Green:
			return ZoneGreen
		case v >= m.Yellow:
			return ZoneYellow
		case v < m.Red:
			return ZoneRed
		}
	default:
		switch {
		case v < m.Green || (m.GreenInclusive && v == m.Green):
			return ZoneGreen
		case v <= m.Yellow:
			return ZoneYellow
		case v > m.Red:
			return ZoneRed
		}
	}
	return ZoneUnrated
}

// Validate reports every problem with the bands: they must be ordered from
// green through yellow to red.
func (z *Zones) Validate() error {
	var errs []error
	seen := map[string]bool{}
	for i, m := range z.Metrics {
		if m.Name == "" {
			errs = append(errs, fmt.Errorf("zones: metric %d: name is required", i))
		}
		if seen[m.Name] {
			errs = append(errs, fmt.Errorf("zones: metric %q defined twice", m.Name))
		}
		seen[m.Name] = true
		ordered := m.Green <= m.Yellow && m.Yellow <= m.Red
		if m.HigherIsBetter {
			ordered = m.Green >= m.Yellow && m.Yellow >= m.Red
		}
		if !ordered {
			errs = append(errs, fmt.Errorf("zones: metric %q: bands green %g, yellow %g, red %g are out of order", m.Name, m.Green, m.Yellow, m.Red))
		}
	}
	if len(z.Metrics) == 0 {
		errs = append(errs, errors.New("zones: no metrics"))
	}
	return errors.Join(errs...)
}

// Metric returns the named metric's bands.
func (z *Zones) Metric(name string) (ZoneMetric, bool) {
	for _, m := range z.Metrics {
		if m.Name == name {
			return m, true
		}
	}
	return ZoneMetric{}, false
}

// Classify rates v on the named metric; ok is false for an unknown name.
func (z *Zones) Classify(name string, v float64) (zone Zone, ok bool) {
	m, ok := z.Metric(name)
	if !ok {
		return ZoneUnrated, false
	}
	return m.Classify(v), true
}

// ReadZones reads and validates zones.json from fsys (the profiles
// directory).
func ReadZones(fsys fs.FS) (*Zones, error) {
	b, err := fs.ReadFile(fsys, "zones.json")
	if err != nil {
		return nil, fmt.Errorf("zones: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var z Zones
	if err := dec.Decode(&z); err != nil {
		return nil, fmt.Errorf("zones: %w", err)
	}
	if err := z.Validate(); err != nil {
		return nil, err
	}
	return &z, nil
}
