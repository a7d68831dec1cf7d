package report

import (
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/mcpstress/mcpstress/verdict"
)

// Kind says where a node sits in the tree.
type Kind string

// The node kinds, from the top of the tree down.
const (
	KindSuite   Kind = "suite"
	KindTest    Kind = "test"
	KindSubtest Kind = "subtest"
)

// Status is the verdict of a node.
type Status string

// The statuses. A node whose Status is empty takes its verdict from its
// children (see Run.Normalize).
const (
	StatusPassed  Status = "passed"
	StatusFailed  Status = "failed"
	StatusSkipped Status = "skipped"
	StatusError   Status = "error"
)

// Better says which direction of a metric is an improvement; regression
// tools and the benchmark writer read it.
type Better string

// The directions. Neutral metrics (counts, settings) leave Better empty.
const (
	BetterHigher Better = "higher"
	BetterLower  Better = "lower"
)

// Well-known Series.Chart values: series sharing a Chart are drawn on one
// set of axes in the HTML report, in this order.
const (
	ChartThroughput = "throughput"
	ChartLatency    = "latency"
	ChartMemory     = "memory"
	ChartRecovery   = "recovery"
)

// Run is the root of the tree: one invocation of one or more suites.
//
// Every time offset in a run (Node.Start, Point.T, FaultEvent.Start/End,
// Interval.Start/End) is measured from Started, so suites share a timeline.
type Run struct {
	ID       string        `json:"id"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
	Env      Environment   `json:"environment"`
	Suites   []*Node       `json:"suites"`
	Warnings []string      `json:"warnings,omitempty"`
}

// Environment says where and against what the run happened.
type Environment struct {
	Hostname string `json:"hostname,omitempty"`
	OS       string `json:"os,omitempty"`
	Arch     string `json:"arch,omitempty"`
	CPUs     int    `json:"cpus,omitempty"`
	// CPUModel and MachineKind are regression.Env's: numbers from
	// different machine kinds are not comparable.
	CPUModel    string `json:"cpu_model,omitempty"`
	MemoryBytes uint64 `json:"memory_bytes,omitempty"`
	GoVersion   string `json:"go_version,omitempty"`
	MachineKind string `json:"machine_kind,omitempty"`
	Target      string `json:"target,omitempty"`
	Mode        string `json:"mode,omitempty"`
	GitRevision string `json:"git_revision,omitempty"`
	// Shard is "i/n" when the run is one slice of a sharded run.
	Shard string `json:"shard,omitempty"`
}

// Node is a suite, a test or a subtest. All fields are plain data: fill
// them directly or with the constructors below.
type Node struct {
	Name   string `json:"name"`
	Kind   Kind   `json:"kind"`
	Status Status `json:"status"`
	// Message explains a failure, error or skip in one line (JUnit shows it).
	Message    string            `json:"message,omitempty"`
	Start      time.Duration     `json:"start_ns"`
	Duration   time.Duration     `json:"duration_ns"`
	Metrics    []Metric          `json:"metrics,omitempty"`
	Series     []Series          `json:"series,omitempty"`
	Curves     []Curve           `json:"curves,omitempty"`
	Thresholds []ThresholdResult `json:"thresholds,omitempty"`
	Assertions Assertions        `json:"assertions"`
	Faults     []FaultEvent      `json:"faults,omitempty"`
	Warnings   []string          `json:"warnings,omitempty"`
	Counts     map[string]uint64 `json:"counts,omitempty"`
	Tables     []Table           `json:"tables,omitempty"`
	Histograms []HistogramLog    `json:"-"` // written as .hlog files, not JSON
	Children   []*Node           `json:"children,omitempty"`
}

// Metric is one summary value of a node.
type Metric struct {
	Name   string  `json:"name"`
	Unit   string  `json:"unit,omitempty"`
	Value  float64 `json:"value"`
	Better Better  `json:"better,omitempty"`
	// Key marks the test's headline figure, the one its suite exists to
	// measure (recovery time, memory slope, scaling factor): Digest shows
	// it beside the standard columns.
	Key bool `json:"key,omitempty"`
}

// Series is a value over time (interval snapshots): throughput, a latency
// percentile, memory, recovered fraction.
type Series struct {
	Name string `json:"name"`
	Unit string `json:"unit,omitempty"`
	// Chart groups series onto one chart (ChartThroughput, ChartLatency, …);
	// empty means a chart of its own named after the series.
	Chart  string  `json:"chart,omitempty"`
	Points []Point `json:"points"`
}

// Point is one value of a Series at offset T from Run.Started.
type Point struct {
	T time.Duration `json:"t_ns"`
	V float64       `json:"v"`
}

// Curve is a value against something other than time, for example the
// achieved rate against the number of connections (the scaling curve).
type Curve struct {
	Name   string `json:"name"`
	XLabel string `json:"x_label"`
	XUnit  string `json:"x_unit,omitempty"`
	YLabel string `json:"y_label"`
	YUnit  string `json:"y_unit,omitempty"`
	Points []XY   `json:"points"`
}

// XY is one point of a Curve.
type XY struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// ThresholdResult is one judged pass criterion of a node: a threshold or a
// suite's check, with the value it was judged on (in its Unit), the window,
// the evidence and the outcome. It is verdict.Check: a check with no data
// fails and shows as "no data", a skipped check (Skip set) is neither a
// pass nor a failure.
type ThresholdResult = verdict.Check

// Assertions counts the checks a node made.
type Assertions struct {
	Passed uint64 `json:"passed"`
	Failed uint64 `json:"failed"`
}

// FaultEvent is an injected fault, drawn as a band on time charts. End is
// zero while the fault is still active (drawn to the end of the chart).
type FaultEvent struct {
	Kind   string        `json:"kind"`
	Start  time.Duration `json:"start_ns"`
	End    time.Duration `json:"end_ns,omitempty"`
	Detail string        `json:"detail,omitempty"`
}

// Table is a titled grid of strings, for results that are naturally tabular
// (protocol cases, per-operation breakdowns, per-level scaling results).
type Table struct {
	Title   string     `json:"title"`
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
}

// HistogramLog is a sequence of interval histograms, written as an
// HdrHistogram interval log (format 1.3). Values are recorded in
// nanoseconds by convention: the log's max column is value/1e6, i.e.
// milliseconds, as the HdrHistogram tools expect.
type HistogramLog struct {
	Name      string     `json:"name"`
	Intervals []Interval `json:"-"`
}

// Interval is one interval histogram. Hist must not be modified after it is
// added to a tree.
type Interval struct {
	Start, End time.Duration
	Hist       *hdrhistogram.Histogram
}

// NewSuite returns a suite node with the given tests as children.
func NewSuite(name string, tests ...*Node) *Node {
	return &Node{Name: name, Kind: KindSuite, Children: tests}
}

// NewTest returns a test node with a verdict and duration.
func NewTest(name string, status Status, d time.Duration) *Node {
	return &Node{Name: name, Kind: KindTest, Status: status, Duration: d}
}

// NewSubtest returns a subtest node with a verdict and duration.
func NewSubtest(name string, status Status, d time.Duration) *Node {
	return &Node{Name: name, Kind: KindSubtest, Status: status, Duration: d}
}

// AddMetric appends a metric and returns n for chaining.
func (n *Node) AddMetric(name, unit string, v float64, better Better) *Node {
	n.Metrics = append(n.Metrics, Metric{Name: name, Unit: unit, Value: v, Better: better})
	return n
}

// AddKeyMetric appends a metric marked as the test's headline figure (Key)
// and returns n for chaining.
func (n *Node) AddKeyMetric(name, unit string, v float64, better Better) *Node {
	n.Metrics = append(n.Metrics, Metric{Name: name, Unit: unit, Value: v, Better: better, Key: true})
	return n
}

// KeyMetrics returns the node's headline metrics (those marked Key).
func (n *Node) KeyMetrics() []Metric {
	var out []Metric
	for _, m := range n.Metrics {
		if m.Key {
			out = append(out, m)
		}
	}
	return out
}

// AddThreshold appends a judged threshold and returns n for chaining.
func (n *Node) AddThreshold(expr string, measured float64, unit string, pass bool) *Node {
	n.Thresholds = append(n.Thresholds, ThresholdResult{Expr: expr, Measured: measured, Unit: unit, Pass: pass})
	return n
}

// AddCheck appends checks (judged, without data, or skipped) and returns n
// for chaining.
func (n *Node) AddCheck(cs ...verdict.Check) *Node {
	n.Thresholds = append(n.Thresholds, cs...)
	return n
}

// AddCount adds to an outcome counter and returns n for chaining.
func (n *Node) AddCount(outcome string, c uint64) *Node {
	if n.Counts == nil {
		n.Counts = map[string]uint64{}
	}
	n.Counts[outcome] += c
	return n
}

// AddChild appends a child and returns n for chaining.
func (n *Node) AddChild(c *Node) *Node {
	n.Children = append(n.Children, c)
	return n
}

// Metric returns the named metric and whether it exists.
func (n *Node) Metric(name string) (Metric, bool) {
	for _, m := range n.Metrics {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}

// Walk calls fn for every node of the run, depth first, with the path of
// names from the suite down to the node.
func (r *Run) Walk(fn func(path []string, n *Node)) {
	var walk func(path []string, n *Node)
	walk = func(path []string, n *Node) {
		p := append(path[:len(path):len(path)], n.Name)
		fn(p, n)
		for _, c := range n.Children {
			walk(p, c)
		}
	}
	for _, s := range r.Suites {
		walk(nil, s)
	}
}

// Normalize settles every node's verdict, children first: a node's Status
// becomes the worst of its own and its children's (error over failed over
// passed over skipped), so an explicit "passed" never hides a failed child;
// a node with empty Status whose children were all skipped is skipped. A
// passed node with a failing threshold (a check without data fails) or
// assertion fails. A leaf with no Status, children, judged thresholds or
// assertions has no evidence of passing and is skipped (with a message),
// never passed; skipped thresholds are no evidence either way. It is
// idempotent; writers call it on a copy.
func (r *Run) Normalize() {
	for _, s := range r.Suites {
		normalize(s)
	}
}

// NoVerdict is the message of a leaf that Normalize skipped for lack of
// anything to judge.
const NoVerdict = "no verdict: no status, children, thresholds or assertions"

// judged counts the node's thresholds that were judged (not skipped).
func judged(n *Node) int {
	k := 0
	for _, t := range n.Thresholds {
		if !t.Skipped() {
			k++
		}
	}
	return k
}

// statusRank orders verdicts from best to worst; an unknown status ranks
// with passed so that a child's worse verdict still wins.
func statusRank(s Status) int {
	switch s {
	case StatusSkipped:
		return 0
	case StatusError:
		return 3
	case StatusFailed:
		return 2
	}
	return 1
}

func normalize(n *Node) Status {
	worst, anyChild := Status(""), false
	for _, c := range n.Children {
		cs := normalize(c)
		if !anyChild || statusRank(cs) > statusRank(worst) {
			worst = cs
		}
		anyChild = true
	}
	switch {
	case n.Status == "" && anyChild:
		n.Status = worst
		if n.Status == StatusSkipped && (judged(n) > 0 || n.Assertions.Passed+n.Assertions.Failed > 0) {
			n.Status = StatusPassed // its own checks ran; they are judged below
		}
	case n.Status == "":
		if judged(n) == 0 && n.Assertions.Passed+n.Assertions.Failed == 0 {
			n.Status = StatusSkipped
			if n.Message == "" {
				n.Message = NoVerdict
			}
		} else {
			n.Status = StatusPassed
		}
	case anyChild && statusRank(worst) > statusRank(n.Status):
		n.Status = worst
		if n.Message == "" {
			n.Message = "a child " + string(worst)
		}
	}
	if n.Status == StatusPassed {
		for _, t := range n.Thresholds {
			if t.Failed() {
				n.Status = StatusFailed
				if n.Message == "" {
					n.Message = "threshold failed: " + t.Expr
					if t.Unmeasured() {
						n.Message += " (no data)"
					}
				}
				break
			}
		}
		if n.Status == StatusPassed && n.Assertions.Failed > 0 {
			n.Status = StatusFailed
			if n.Message == "" {
				n.Message = "assertions failed"
			}
		}
	}
	return n.Status
}

// Totals are the counts the text, Markdown and JUnit writers show. Tests
// counts test and subtest nodes (what `go test -v` prints a verdict for).
// Thresholds counts every check; ThresholdsFailed those that failed
// (including checks without data), ThresholdsSkipped those not judged, so
// Thresholds-ThresholdsFailed-ThresholdsSkipped passed.
type Totals struct {
	Tests, Passed, Failed, Skipped, Errors          int
	Assertions                                      Assertions
	Thresholds, ThresholdsFailed, ThresholdsSkipped int
}

// ThresholdsPassed is the number of checks that were judged and passed.
func (t Totals) ThresholdsPassed() int {
	return t.Thresholds - t.ThresholdsFailed - t.ThresholdsSkipped
}

// PassRate is Passed/(Tests-Skipped) in percent; 0 when nothing ran.
func (t Totals) PassRate() float64 {
	ran := t.Tests - t.Skipped
	if ran <= 0 {
		return 0
	}
	return 100 * float64(t.Passed) / float64(ran)
}

// Totals counts the run's tests by verdict. Call Normalize first if some
// statuses are left empty.
func (r *Run) Totals() Totals {
	var t Totals
	r.Walk(func(_ []string, n *Node) {
		t.Assertions.Passed += n.Assertions.Passed
		t.Assertions.Failed += n.Assertions.Failed
		for _, th := range n.Thresholds {
			t.Thresholds++
			switch {
			case th.Skipped():
				t.ThresholdsSkipped++
			case th.Failed():
				t.ThresholdsFailed++
			}
		}
		if n.Kind == KindSuite {
			return
		}
		t.Tests++
		switch n.Status {
		case StatusPassed:
			t.Passed++
		case StatusFailed:
			t.Failed++
		case StatusSkipped:
			t.Skipped++
		case StatusError:
			t.Errors++
		}
	})
	return t
}

func durationOf(ns int64) time.Duration { return time.Duration(ns) }
