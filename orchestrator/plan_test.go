package orchestrator_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/mcpstress/mcpstress/orchestrator"
	"github.com/mcpstress/mcpstress/report"
)

func nop(context.Context, *orchestrator.StepEnv) (*report.Node, error) { return nil, nil }

func step(name string, deps ...string) orchestrator.Step {
	return orchestrator.Step{Name: name, DependsOn: deps, Run: nop}
}

func TestNewPlanReportsEveryProblemAtOnce(t *testing.T) {
	tests := []struct {
		name  string
		steps []orchestrator.Step
		want  []string // every fragment must be in the error
	}{
		{"a cycle is named along its edges", []orchestrator.Step{step("a", "b"), step("b", "c"), step("c", "a")},
			[]string{"cycle: a → b → c → a"}},
		{"a step depending on itself is a cycle", []orchestrator.Step{step("a", "a")}, []string{"cycle: a → a"}},
		{"two separate cycles are both named", []orchestrator.Step{step("a", "b"), step("b", "a"), step("x"), step("c", "d", "x"), step("d", "c")},
			[]string{"cycle: a → b → a", "cycle: c → d → c"}},
		{"the shortest cycle through the first step is named", []orchestrator.Step{step("a", "b"), step("b", "c", "a"), step("c", "a")},
			[]string{"cycle: a → b → a"}},
		{"unknown dependency, duplicate name, missing run and negative timeout together",
			[]orchestrator.Step{step("a", "nope"), step("a"), {Name: "b"}, {Name: "c", Run: nop, Timeout: -1}, {Run: nop}},
			[]string{`step "a": unknown dependency "nope"`, `step "a": duplicate name (steps 0 and 1)`, `step "b": no Run function`,
				`step "c": negative timeout`, "step 4: empty name"}},
		{"a dependency listed twice", []orchestrator.Step{step("a"), step("b", "a", "a")}, []string{`dependency "a" listed twice`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := orchestrator.NewPlan(tt.steps...)
			if err == nil {
				t.Fatalf("no error; plan order %v", p.Order())
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestPlanOrderIsTopologicalAndStable(t *testing.T) {
	tests := []struct {
		name  string
		steps []orchestrator.Step
		want  []string
	}{
		{"independent steps keep declaration order", []orchestrator.Step{step("c"), step("a"), step("b")}, []string{"c", "a", "b"}},
		{"dependencies declared later run first", []orchestrator.Step{step("report", "load", "scale"), step("load", "connect"), step("scale", "connect"), step("connect")},
			[]string{"connect", "load", "scale", "report"}},
		{"a diamond", []orchestrator.Step{step("d", "b", "c"), step("c", "a"), step("b", "a"), step("a")}, []string{"a", "c", "b", "d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := orchestrator.NewPlan(tt.steps...)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Order(); !slices.Equal(got, tt.want) {
				t.Errorf("order %v, want %v", got, tt.want)
			}
		})
	}
}
