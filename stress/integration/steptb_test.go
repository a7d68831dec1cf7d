//go:build stress

package integration

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/orchestrator"
	"github.com/mcpstress/mcpstress/report"
	"github.com/mcpstress/mcpstress/verdict"
)

// stepTB is the test seen from inside an orchestrator step: what the
// harness registers for cleanup (servers, temporary directories) is
// released when the step ends, through its StepEnv, not when the test
// does; a fatal error ends the step (failed), not the test goroutine.
type stepTB struct {
	testing.TB
	t    *testing.T
	env  *orchestrator.StepEnv
	mu   sync.Mutex
	errs []string
}

type stepFatal struct{ msg string }

func (s *stepTB) Helper() {}

func (s *stepTB) Errorf(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	s.mu.Lock()
	s.errs = append(s.errs, msg)
	s.mu.Unlock()
	s.t.Logf("%s: %s", s.env.Name(), msg)
}

func (s *stepTB) Error(a ...any) { s.Errorf("%s", fmt.Sprint(a...)) }
func (s *stepTB) Fatalf(format string, a ...any) {
	s.Errorf(format, a...)
	panic(stepFatal{fmt.Sprintf(format, a...)})
}
func (s *stepTB) Fatal(a ...any)                { s.Fatalf("%s", fmt.Sprint(a...)) }
func (s *stepTB) FailNow()                      { panic(stepFatal{"FailNow"}) }
func (s *stepTB) Skipf(format string, a ...any) { s.Fatalf("skipped: "+format, a...) }
func (s *stepTB) Skip(a ...any)                 { s.Fatalf("skipped: %s", fmt.Sprint(a...)) }
func (s *stepTB) SkipNow()                      { s.Fatalf("skipped") }
func (s *stepTB) Failed() bool                  { s.mu.Lock(); defer s.mu.Unlock(); return len(s.errs) > 0 }
func (s *stepTB) Logf(format string, a ...any) {
	s.t.Logf("%s: "+format, append([]any{s.env.Name()}, a...)...)
}
func (s *stepTB) Log(a ...any)                { s.t.Log(append([]any{s.env.Name() + ":"}, a...)...) }
func (s *stepTB) Cleanup(fn func())           { s.env.Defer(func() error { fn(); return nil }) }
func (s *stepTB) Deadline() (time.Time, bool) { return s.t.Deadline() }

func (s *stepTB) TempDir() string {
	d, err := os.MkdirTemp("", "mcpstress-step-*")
	if err != nil {
		s.Fatalf("temp dir: %v", err)
	}
	s.env.Defer(func() error { return os.RemoveAll(d) })
	return d
}

// scenarioStep makes a step of fn: fn gets a stepTB and returns the step's
// node; a check that failed or an error reported through the stepTB fails
// the step.
func scenarioStep(t *testing.T, name string, deps []string, timeout time.Duration,
	fn func(ctx context.Context, tb *stepTB) (*report.Node, error)) orchestrator.Step {
	return orchestrator.Step{Name: name, DependsOn: deps, Timeout: timeout,
		Run: func(ctx context.Context, env *orchestrator.StepEnv) (n *report.Node, err error) {
			tb := &stepTB{TB: t, t: t, env: env}
			defer func() {
				if r := recover(); r != nil {
					f, ok := r.(stepFatal)
					if !ok {
						panic(r)
					}
					err = errors.New(f.msg)
				}
			}()
			n, err = fn(ctx, tb)
			if err != nil {
				return n, err
			}
			if n != nil {
				var failed []string
				for _, c := range n.Thresholds {
					if c.Failed() {
						failed = append(failed, c.Expr)
					}
				}
				if len(failed) > 0 {
					return n, fmt.Errorf("failed: %s", strings.Join(failed, "; "))
				}
			}
			if tb.Failed() {
				return n, fmt.Errorf("%s", strings.Join(tb.errs, "; "))
			}
			return n, nil
		}}
}

// node is a scenario's report node with its checks.
func node(name string, checks ...verdict.Check) *report.Node {
	n := &report.Node{Name: name, Kind: report.KindTest}
	n.AddCheck(checks...)
	return n
}
