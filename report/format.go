package report

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mcpstress/mcpstress/verdict"
)

// fmtNum formats a value for people: integers without decimals, large values
// with one, small ones with a few significant digits, non-finite as "n/a".
func fmtNum(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "n/a"
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case math.Abs(v) >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

// fmtValue is fmtNum with the unit appended.
func fmtValue(v float64, unit string) string {
	s := fmtNum(v)
	if unit == "" || s == "n/a" {
		return s
	}
	if unit == "%" {
		return s + "%"
	}
	return s + " " + unit
}

// fmtDur rounds a duration for display.
func fmtDur(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(time.Millisecond).String()
	default:
		return d.String()
	}
}

// checkValue is a check's value as every report shows it: "not judged"
// for a skipped check, "no data" when nothing was measured (never a zero),
// else the measured value in the check's own unit.
func checkValue(c ThresholdResult) string {
	switch {
	case c.Skipped():
		return "not judged"
	case c.Unmeasured():
		return "no data"
	}
	return fmtValue(c.Measured, c.Unit)
}

// checkWindow is the window a check was measured over, "" for the whole
// run.
func checkWindow(c ThresholdResult) string {
	if c.Window <= 0 {
		return ""
	}
	return verdict.FormatWindow(c.Window)
}

// checkNote is what a report adds after a check's value: the skip reason
// of a check that was not judged, else its detail.
func checkNote(c ThresholdResult) string {
	if c.Skipped() {
		return c.Skip
	}
	return c.Detail
}

// checkLine is a check on one line: its value, window and note, e.g.
// "12.3 ms over 10s — 2 of 12 windows failed" or "no data".
func checkLine(c ThresholdResult) string {
	s := checkValue(c)
	if w := checkWindow(c); w != "" {
		s += " over " + w
	}
	if n := checkNote(c); n != "" {
		s += " — " + n
	}
	return s
}

// checkClass is the CSS class of a check's verdict.
func checkClass(c ThresholdResult) string {
	switch {
	case c.Skipped():
		return "skipped"
	case c.Failed():
		return "fail"
	}
	return "pass"
}

// statusMark is the one-character verdict of a node.
func statusMark(s Status) string {
	switch s {
	case StatusPassed:
		return "✓"
	case StatusSkipped:
		return "↷"
	default:
		return "✗"
	}
}

// token makes s safe as one whitespace-free token (benchmark names and
// units, HDR tags, file names).
func token(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return "_"
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == ',':
			return '_'
		case r < 0x20 || r == 0x7f:
			return -1
		}
		return r
	}, s)
}

// fileToken is token further restricted to characters safe in a file name
// on every OS.
func fileToken(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, token(s))
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]uint64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	return keys
}

func sortStrings(s []string) { slices.Sort(s) }
