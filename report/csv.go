package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// csvColumns is the header of report.csv: the seed's six columns first, then
// the suite, kind, threshold counts and failure message.
var csvColumns = []string{
	"test_id", "test_name", "status", "duration_ms", "assertions_passed", "assertions_failed",
	"suite", "kind", "thresholds", "thresholds_failed", "message",
}

// CSVColumns returns the header of report.csv.
func CSVColumns() []string { return cloneSlice(csvColumns) }

// WriteCSV writes one row per test and subtest (report.csv). test_id is
// test_1, test_2, … in tree order; test_name is the path below the suite
// joined with "/", as `go test -run` spells it.
func WriteCSV(w io.Writer, r *Run) error {
	c := r.Clone()
	c.Normalize()
	cw := csv.NewWriter(w)
	if err := cw.Write(csvColumns); err != nil {
		return err
	}
	i := 0
	var werr error
	c.Walk(func(path []string, n *Node) {
		if n.Kind == KindSuite || werr != nil {
			return
		}
		i++
		failed := 0
		for _, t := range n.Thresholds {
			if t.Failed() {
				failed++
			}
		}
		werr = cw.Write([]string{
			"test_" + strconv.Itoa(i),
			strings.Join(path[1:], "/"),
			string(n.Status),
			strconv.FormatInt(n.Duration.Milliseconds(), 10),
			strconv.FormatUint(n.Assertions.Passed, 10),
			strconv.FormatUint(n.Assertions.Failed, 10),
			path[0],
			string(n.Kind),
			strconv.Itoa(len(n.Thresholds)),
			strconv.Itoa(failed),
			n.Message,
		})
	})
	if werr != nil {
		return werr
	}
	cw.Flush()
	return cw.Error()
}

var intervalColumns = []string{"suite", "test_name", "series", "unit", "t_seconds", "value"}

// IntervalColumns returns the header of intervals.csv.
func IntervalColumns() []string { return cloneSlice(intervalColumns) }

// WriteIntervalCSV writes every series point in long form (intervals.csv):
// one row per point with the suite, the test path ("" for suite-level
// series), the series name and unit, the offset from the run start in
// seconds, and the value ("NaN" when unknown).
func WriteIntervalCSV(w io.Writer, r *Run) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(intervalColumns); err != nil {
		return err
	}
	var werr error
	r.Walk(func(path []string, n *Node) {
		for _, s := range n.Series {
			for _, p := range s.Points {
				if werr != nil {
					return
				}
				werr = cw.Write([]string{
					path[0], strings.Join(path[1:], "/"), s.Name, s.Unit,
					strconv.FormatFloat(p.T.Seconds(), 'f', 3, 64),
					strconv.FormatFloat(p.V, 'g', -1, 64),
				})
			}
		}
	})
	if werr != nil {
		return fmt.Errorf("intervals csv: %w", werr)
	}
	cw.Flush()
	return cw.Error()
}
