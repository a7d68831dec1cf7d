package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mcpstress/mcpstress/regression"
)

// side is one side of a comparison: every value read from its inputs.
type side struct {
	set   regression.SampleSet
	files []string
	env   regression.Env // of the first samples file that has one
	kinds map[string]bool
}

// reportJSON is the part of report.json (schema v1, package report) this
// command reads. The command may import only regression (deps_test.go),
// so the few fields are declared here; TestReportJSONKeysMatchReport
// checks against package report that both produce the same metric keys.
type reportJSON struct {
	SchemaVersion *int `json:"schema_version"`
	Run           *struct {
		Started time.Time `json:"started"`
		Env     struct {
			MachineKind string `json:"machine_kind"`
			CPUModel    string `json:"cpu_model"`
		} `json:"environment"`
		Suites []reportNode `json:"suites"`
	} `json:"run"`
}

type reportNode struct {
	Name    string `json:"name"`
	Metrics []struct {
		Name   string   `json:"name"`
		Unit   string   `json:"unit"`
		Value  *float64 `json:"value"`
		Better string   `json:"better"`
	} `json:"metrics"`
	Children []reportNode `json:"children"`
}

// add walks the tree as report.Run.Walk does, keying metrics
// regression.MetricKey(path, name), as report.AddRegressionSamples does.
func (n reportNode) add(s *regression.SampleSet, path []string) {
	path = append(path[:len(path):len(path)], n.Name)
	for _, m := range n.Metrics {
		var d regression.Direction
		switch m.Better {
		case "lower":
			d = regression.LowerIsBetter
		case "higher":
			d = regression.HigherIsBetter
		default:
			continue
		}
		if m.Value == nil {
			continue
		}
		s.Add(regression.Metric{Name: regression.MetricKey(path, m.Name), Unit: m.Unit, Direction: d}, *m.Value)
	}
	for _, c := range n.Children {
		c.add(s, path)
	}
}

// expand turns the arguments into files: a directory stands for every
// *.json and bench.txt below it, in path order.
func expand(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		fi, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			out = append(out, a)
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(d.Name(), ".json") || d.Name() == "bench.txt") {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no *.json or bench.txt files", a)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// loadSide reads every input of one side: report.json files (one run
// each, added oldest first by their start time), samples files (baselines,
// noise corpora: {"metrics": [...]}) and Go benchmark format files
// (bench.txt, `go test -bench` output).
func loadSide(args []string) (*side, error) {
	files, err := expand(args)
	if err != nil {
		return nil, err
	}
	s := &side{files: files, kinds: map[string]bool{}}
	type dated struct {
		started time.Time
		path    string
		rep     reportJSON
	}
	var reports []dated
	for _, f := range files {
		b, err := readLimited(f, regression.MaxFileBytes)
		if err != nil {
			return nil, err
		}
		if !bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
			if err := regression.ReadBench(bytes.NewReader(b), &s.set); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			continue
		}
		var rj reportJSON
		if err := json.Unmarshal(b, &rj); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if rj.SchemaVersion != nil {
			if *rj.SchemaVersion != 1 || rj.Run == nil {
				return nil, fmt.Errorf("%s: report schema_version %d, this command reads 1", f, *rj.SchemaVersion)
			}
			reports = append(reports, dated{rj.Run.Started, f, rj})
			s.kinds[rj.Run.Env.MachineKind+" / "+rj.Run.Env.CPUModel] = true
			continue
		}
		r, err := load(f)
		if err != nil {
			return nil, err
		}
		if s.env == (regression.Env{}) {
			s.env = r.Env
		}
		s.set.AddSamples(r.Metrics...)
	}
	sort.SliceStable(reports, func(i, j int) bool { return reports[i].started.Before(reports[j].started) })
	for _, r := range reports {
		for _, n := range r.rep.Run.Suites {
			n.add(&s.set, nil)
		}
	}
	if len(s.set.Samples()) == 0 {
		return nil, fmt.Errorf("%s: no metrics with a direction", strings.Join(args, " "))
	}
	return s, nil
}

// label names a side in the table's header.
func (s *side) label(fallback string) string {
	if len(s.files) == 1 {
		return s.files[0]
	}
	return fmt.Sprintf("%s (%d files)", fallback, len(s.files))
}
