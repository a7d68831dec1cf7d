package report

import (
	"bytes"
	"io"
	"testing"
)

func TestWritersMatchGoldenFiles(t *testing.T) {
	tests := []struct {
		file  string
		write func(io.Writer, *Run) error
	}{
		{"report.json", WriteJSON},
		{"report.html", WriteHTML},
		{"report.csv", WriteCSV},
		{"intervals.csv", WriteIntervalCSV},
		{"report.txt", WriteText},
		{"junit.xml", WriteJUnit},
		{"summary.md", WriteMarkdown},
		{"bench.txt", WriteBench},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.write(&buf, fixtureRun(t)); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.file, buf.Bytes())
		})
	}
}

func TestWritersDoNotModifyTheRun(t *testing.T) {
	r := fixtureRun(t)
	before := fixtureRun(t)
	for _, f := range AllFormats() {
		if w := f.writer(); w != nil {
			if err := w(io.Discard, r); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
		}
	}
	var a, b bytes.Buffer
	if err := WriteJSON(&a, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&b, before); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("writing the reports changed the run")
	}
	if r.Suites[0].Status != "" {
		t.Errorf("suite status was normalized in place: %q", r.Suites[0].Status)
	}
}
