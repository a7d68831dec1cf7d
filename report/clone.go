package report

import "maps"

// Clone returns a deep copy of the run. Interval histograms are shared,
// not copied: they are read-only once added to a tree.
func (r *Run) Clone() *Run {
	if r == nil {
		return nil
	}
	c := *r
	c.Warnings = cloneSlice(r.Warnings)
	c.Suites = make([]*Node, len(r.Suites))
	for i, s := range r.Suites {
		c.Suites[i] = s.Clone()
	}
	return &c
}

// Clone returns a deep copy of the node and its children.
func (n *Node) Clone() *Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Metrics = cloneSlice(n.Metrics)
	c.Series = make([]Series, len(n.Series))
	for i, s := range n.Series {
		s.Points = cloneSlice(s.Points)
		c.Series[i] = s
	}
	c.Curves = make([]Curve, len(n.Curves))
	for i, cv := range n.Curves {
		cv.Points = cloneSlice(cv.Points)
		c.Curves[i] = cv
	}
	c.Thresholds = cloneSlice(n.Thresholds)
	c.Faults = cloneSlice(n.Faults)
	c.Warnings = cloneSlice(n.Warnings)
	if n.Counts != nil {
		c.Counts = maps.Clone(n.Counts)
	}
	c.Tables = make([]Table, len(n.Tables))
	for i, t := range n.Tables {
		t.Columns = cloneSlice(t.Columns)
		rows := make([][]string, len(t.Rows))
		for j, row := range t.Rows {
			rows[j] = cloneSlice(row)
		}
		t.Rows = rows
		c.Tables[i] = t
	}
	c.Histograms = make([]HistogramLog, len(n.Histograms))
	for i, h := range n.Histograms {
		h.Intervals = cloneSlice(h.Intervals)
		c.Histograms[i] = h
	}
	c.Children = make([]*Node, len(n.Children))
	for i, ch := range n.Children {
		c.Children[i] = ch.Clone()
	}
	if len(c.Series) == 0 {
		c.Series = nil
	}
	if len(c.Curves) == 0 {
		c.Curves = nil
	}
	if len(c.Tables) == 0 {
		c.Tables = nil
	}
	if len(c.Histograms) == 0 {
		c.Histograms = nil
	}
	if len(c.Children) == 0 {
		c.Children = nil
	}
	return &c
}

func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}
