package orchestrator

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mcpstress/mcpstress/report"
)

// Step is one unit of work, as data. Its dependencies are names of other
// steps of the same plan; it runs only after every one of them passed.
type Step struct {
	// Name identifies the step in the plan, the progress lines and the
	// report (it becomes the test node's name).
	Name string
	// DependsOn names the steps that must pass before this one starts.
	DependsOn []string
	// Timeout bounds the step: its context ends Timeout after it starts.
	// Zero means no limit beyond the run's context.
	Timeout time.Duration
	// Run does the work. It must return when ctx ends. The node it returns
	// (may be nil) carries its metrics, checks and children into the
	// report; the orchestrator sets its name, kind, status, start and
	// duration. Resources it registers on env are released when it ends,
	// however it ends.
	Run func(ctx context.Context, env *StepEnv) (*report.Node, error)
}

// Plan is a validated set of steps in a fixed topological order. It is
// immutable and may be run any number of times.
type Plan struct {
	steps      []Step
	index      map[string]int
	deps       [][]int // deps[i]: the steps i waits for
	dependents [][]int // dependents[i]: the steps waiting for i
	order      []int   // topological, ties broken by declaration order
}

// NewPlan validates steps and returns the plan. Every problem is reported
// at once (errors.Join): an empty or duplicate name, a missing Run, a
// negative timeout, an unknown or repeated dependency, and every cycle,
// named as "cycle: a → b → c → a". Nothing runs until the plan is valid.
func NewPlan(steps ...Step) (*Plan, error) {
	p := &Plan{steps: slices.Clone(steps), index: make(map[string]int, len(steps))}
	var errs []error
	for i, s := range p.steps {
		if s.Name == "" {
			errs = append(errs, fmt.Errorf("step %d: empty name", i))
		} else if j, dup := p.index[s.Name]; dup {
			errs = append(errs, fmt.Errorf("step %q: duplicate name (steps %d and %d)", s.Name, j, i))
		} else {
			p.index[s.Name] = i
		}
		if s.Run == nil {
			errs = append(errs, fmt.Errorf("step %q: no Run function", s.Name))
		}
		if s.Timeout < 0 {
			errs = append(errs, fmt.Errorf("step %q: negative timeout %v", s.Name, s.Timeout))
		}
	}
	p.deps = make([][]int, len(p.steps))
	p.dependents = make([][]int, len(p.steps))
	for i, s := range p.steps {
		seen := map[string]bool{}
		for _, d := range s.DependsOn {
			if seen[d] {
				errs = append(errs, fmt.Errorf("step %q: dependency %q listed twice", s.Name, d))
				continue
			}
			seen[d] = true
			j, ok := p.index[d]
			if !ok {
				errs = append(errs, fmt.Errorf("step %q: unknown dependency %q", s.Name, d))
				continue
			}
			p.deps[i] = append(p.deps[i], j)
			p.dependents[j] = append(p.dependents[j], i)
		}
	}
	for _, c := range p.cycles() {
		names := make([]string, len(c)+1)
		for k, i := range c {
			names[k] = p.steps[i].Name
		}
		names[len(c)] = names[0]
		errs = append(errs, fmt.Errorf("cycle: %s", strings.Join(names, " → ")))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("orchestrator: invalid plan: %w", err)
	}
	p.order = p.topological()
	return p, nil
}

// Steps returns the plan's steps in declaration order.
func (p *Plan) Steps() []Step { return slices.Clone(p.steps) }

// Order returns the step names in the order a sequential run starts them:
// topological, ties broken by declaration order.
func (p *Plan) Order() []string {
	out := make([]string, len(p.order))
	for k, i := range p.order {
		out[k] = p.steps[i].Name
	}
	return out
}

// Len is the number of steps.
func (p *Plan) Len() int { return len(p.steps) }

// cycles returns one cycle per strongly connected component that has one
// (Tarjan's algorithm, iterative), each as step indices in dependency
// order ("a depends on b" gives a → b), starting at the component's
// first-declared step. Components are reported in declaration order.
func (p *Plan) cycles() [][]int {
	n := len(p.steps)
	index := make([]int, n)
	low := make([]int, n)
	on := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	var comps [][]int
	next := 0
	type frame struct{ v, k int }
	for root := range n {
		if index[root] >= 0 {
			continue
		}
		call := []frame{{root, 0}}
		index[root], low[root] = next, next
		next++
		stack = append(stack, root)
		on[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			if f.k < len(p.deps[f.v]) {
				w := p.deps[f.v][f.k]
				f.k++
				switch {
				case index[w] < 0:
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					on[w] = true
					call = append(call, frame{w, 0})
				case on[w]:
					low[f.v] = min(low[f.v], index[w])
				}
				continue
			}
			v := f.v
			call = call[:len(call)-1]
			if len(call) > 0 {
				u := call[len(call)-1].v
				low[u] = min(low[u], low[v])
			}
			if low[v] == index[v] {
				var comp []int
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					on[w] = false
					comp = append(comp, w)
					if w == v {
						break
					}
				}
				comps = append(comps, comp)
			}
		}
	}
	var out [][]int
	for _, comp := range comps {
		if len(comp) == 1 && !slices.Contains(p.deps[comp[0]], comp[0]) {
			continue
		}
		out = append(out, p.cycleIn(comp))
	}
	slices.SortFunc(out, func(a, b []int) int { return a[0] - b[0] })
	return out
}

// cycleIn finds a cycle through the first-declared step of a strongly
// connected component: a breadth-first search inside the component for the
// shortest path back to it.
func (p *Plan) cycleIn(comp []int) []int {
	in := map[int]bool{}
	start := comp[0]
	for _, v := range comp {
		in[v] = true
		start = min(start, v)
	}
	prev := map[int]int{}
	queue := []int{start}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range p.deps[v] {
			if !in[w] {
				continue
			}
			if w == start {
				path := []int{v}
				for path[len(path)-1] != start {
					path = append(path, prev[path[len(path)-1]])
				}
				slices.Reverse(path)
				return path
			}
			if _, seen := prev[w]; !seen {
				prev[w] = v
				queue = append(queue, w)
			}
		}
	}
	return []int{start} // unreachable for a real component
}

// topological is Kahn's algorithm with the ready steps kept in declaration
// order, so the order is deterministic.
func (p *Plan) topological() []int {
	indeg := make([]int, len(p.steps))
	ready := &intHeap{}
	for i := range p.steps {
		indeg[i] = len(p.deps[i])
		if indeg[i] == 0 {
			heap.Push(ready, i)
		}
	}
	order := make([]int, 0, len(p.steps))
	for ready.Len() > 0 {
		v := heap.Pop(ready).(int)
		order = append(order, v)
		for _, w := range p.dependents[v] {
			if indeg[w]--; indeg[w] == 0 {
				heap.Push(ready, w)
			}
		}
	}
	return order
}

// intHeap is a min-heap of step indices: the ready queue.
type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
