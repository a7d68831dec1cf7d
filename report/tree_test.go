package report

import (
	"testing"
	"time"
)

// The reviewer's case: a test marked passed whose subtest failed must not be
// reported as passed, and a leaf with nothing to judge is not a pass.
func TestNormalizeTakesTheWorstOfOwnAndChildren(t *testing.T) {
	tests := []struct {
		name     string
		own      Status
		children []Status
		want     Status
	}{
		{"explicit passed with a failed child fails", StatusPassed, []Status{StatusPassed, StatusFailed}, StatusFailed},
		{"explicit passed with an errored child errors", StatusPassed, []Status{StatusError}, StatusError},
		{"explicit failed with passed children stays failed", StatusFailed, []Status{StatusPassed}, StatusFailed},
		{"explicit passed with skipped children stays passed", StatusPassed, []Status{StatusSkipped}, StatusPassed},
		{"explicit skipped with a passed child passes", StatusSkipped, []Status{StatusPassed}, StatusPassed},
		{"empty with mixed children takes the worst", "", []Status{StatusSkipped, StatusFailed, StatusPassed}, StatusFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := NewTest("T", tt.own, time.Second)
			for _, s := range tt.children {
				parent.AddChild(NewSubtest("sub", s, time.Second))
			}
			r := &Run{Suites: []*Node{NewSuite("s", parent)}}
			r.Normalize()
			if parent.Status != tt.want {
				t.Fatalf("status %q, want %q", parent.Status, tt.want)
			}
			if got := r.Suites[0].Status; got != tt.want {
				t.Errorf("suite status %q, want %q", got, tt.want)
			}
			tot := r.Totals()
			if tt.want == StatusFailed && tot.Failed == 0 {
				t.Errorf("totals %+v count no failure", tot)
			}
			r.Normalize() // idempotent
			if parent.Status != tt.want {
				t.Errorf("second Normalize: status %q, want %q", parent.Status, tt.want)
			}
		})
	}
}

func TestNormalizeSkipsALeafWithNothingToJudge(t *testing.T) {
	tests := []struct {
		name string
		node *Node
		want Status
		msg  string
	}{
		{"bare leaf is skipped with a message", NewTest("bare", "", time.Second), StatusSkipped, NoVerdict},
		{"leaf with passing assertions passes", func() *Node {
			n := NewTest("a", "", time.Second)
			n.Assertions.Passed = 3
			return n
		}(), StatusPassed, ""},
		{"leaf with passing thresholds passes", NewTest("th", "", time.Second).AddThreshold("p95<=1ms", 0.5, "ms", true), StatusPassed, ""},
		{"leaf with a failing threshold fails", NewTest("thf", "", time.Second).AddThreshold("p95<=1ms", 5, "ms", false), StatusFailed, "threshold failed: p95<=1ms"},
		{"explicit passed leaf stays passed", NewTest("p", StatusPassed, time.Second), StatusPassed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Run{Suites: []*Node{NewSuite("s", tt.node)}}
			r.Normalize()
			if tt.node.Status != tt.want || tt.node.Message != tt.msg {
				t.Fatalf("status %q message %q, want %q %q", tt.node.Status, tt.node.Message, tt.want, tt.msg)
			}
		})
	}
}
