package report

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
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

// mark is ✓ for pass and ✗ for fail.
func mark(pass bool) string {
	if pass {
		return "✓"
	}
	return "✗"
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
