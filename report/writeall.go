package report

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Format names one output of WriteAll.
type Format string

// The formats and the file each writes. The file names are an interface
// users and CI rely on: keep them.
const (
	FormatJSON      Format = "json"      // report.json   (schema v1, see SchemaV1)
	FormatHTML      Format = "html"      // report.html   (self-contained, inline SVG charts)
	FormatCSV       Format = "csv"       // report.csv    (one row per test and subtest)
	FormatIntervals Format = "intervals" // intervals.csv (one row per series point)
	FormatText      Format = "text"      // report.txt    (seed block + k6-like summary)
	FormatJUnit     Format = "junit"     // junit.xml
	FormatMarkdown  Format = "markdown"  // summary.md    (for $GITHUB_STEP_SUMMARY)
	FormatBench     Format = "bench"     // bench.txt     (Go benchmark format, for benchstat)
	FormatHDR       Format = "hdr"       // <suite>.<test…>.hlog, one per node with histograms
)

// FileName is the file a format writes ("" for FormatHDR, which writes one
// file per node).
func (f Format) FileName() string {
	switch f {
	case FormatJSON:
		return "report.json"
	case FormatHTML:
		return "report.html"
	case FormatCSV:
		return "report.csv"
	case FormatIntervals:
		return "intervals.csv"
	case FormatText:
		return "report.txt"
	case FormatJUnit:
		return "junit.xml"
	case FormatMarkdown:
		return "summary.md"
	case FormatBench:
		return "bench.txt"
	}
	return ""
}

// AllFormats returns every format, in the order WriteAll writes them.
func AllFormats() []Format {
	return []Format{FormatJSON, FormatHTML, FormatCSV, FormatIntervals, FormatText, FormatJUnit, FormatMarkdown, FormatBench, FormatHDR}
}

// ParseFormats turns names (as in Format's values) into formats, reporting
// every unknown name at once. "all" means AllFormats.
func ParseFormats(names []string) ([]Format, error) {
	var out []Format
	var errs []error
	for _, n := range names {
		if n == "all" {
			out = append(out, AllFormats()...)
			continue
		}
		f := Format(n)
		if f.FileName() == "" && f != FormatHDR {
			errs = append(errs, fmt.Errorf("report: unknown format %q", n))
			continue
		}
		out = append(out, f)
	}
	return out, errors.Join(errs...)
}

func (f Format) writer() func(io.Writer, *Run) error {
	switch f {
	case FormatJSON:
		return WriteJSON
	case FormatHTML:
		return WriteHTML
	case FormatCSV:
		return WriteCSV
	case FormatIntervals:
		return WriteIntervalCSV
	case FormatText:
		return WriteText
	case FormatJUnit:
		return WriteJUnit
	case FormatMarkdown:
		return WriteMarkdown
	case FormatBench:
		return WriteBench
	}
	return nil
}

// WriteAll writes the run in the given formats (all of them when none are
// given) into dir, creating it, each file atomically. It writes nothing for
// a run that fails Validate. Otherwise it returns the paths written and
// every error joined: one failing format does not stop the others.
func WriteAll(dir string, r *Run, formats ...Format) ([]string, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if len(formats) == 0 {
		formats = AllFormats()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var paths []string
	var errs []error
	for _, f := range formats {
		if f == FormatHDR {
			var walkErr []error
			r.Walk(func(path []string, n *Node) {
				if len(n.Histograms) == 0 {
					return
				}
				p := filepath.Join(dir, hlogName(path))
				if err := WriteFileAtomic(p, func(w io.Writer) error { return WriteHistogramLog(w, r, n) }); err != nil {
					walkErr = append(walkErr, err)
					return
				}
				paths = append(paths, p)
			})
			errs = append(errs, walkErr...)
			continue
		}
		write := f.writer()
		if write == nil {
			errs = append(errs, fmt.Errorf("report: unknown format %q", f))
			continue
		}
		p := filepath.Join(dir, f.FileName())
		if err := WriteFileAtomic(p, func(w io.Writer) error { return write(w, r) }); err != nil {
			errs = append(errs, err)
			continue
		}
		paths = append(paths, p)
	}
	return paths, errors.Join(errs...)
}
