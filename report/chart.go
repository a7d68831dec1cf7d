package report

import (
	"bytes"
	"fmt"
	"html/template"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// chart is one rendered chart of the HTML report.
type chart struct {
	Title string
	// SVG is an inline <svg> element made by gonum/plot's SVG canvas, which
	// escapes all text it draws; it is therefore safe to insert unescaped.
	SVG template.HTML
}

var (
	chartW = 7.5 * vg.Inch
	chartH = 3 * vg.Inch
)

// palette is colour-blind friendly (Okabe–Ito) and fixed, so output is
// deterministic.
var palette = []color.NRGBA{
	{0, 114, 178, 255}, {230, 159, 0, 255}, {0, 158, 115, 255}, {213, 94, 0, 255},
	{204, 121, 167, 255}, {86, 180, 233, 255}, {240, 228, 66, 255}, {0, 0, 0, 255},
}

// faultColor is the translucent band colour of the i-th fault kind.
func faultColor(i int) color.Color {
	bands := []color.NRGBA{{213, 94, 0, 48}, {204, 121, 167, 56}, {86, 180, 233, 56}, {240, 228, 66, 72}}
	return bands[i%len(bands)]
}

// numTicks labels the default tick positions with fmtNum (no "750.00").
type numTicks struct{}

var _ plot.Ticker = numTicks{}

// Ticks implements plot.Ticker.
func (numTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = fmtNum(ticks[i].Value)
		}
	}
	return ticks
}

// chartOrder lists the well-known charts first, in reading order.
var chartOrder = []string{ChartThroughput, ChartLatency, ChartMemory, ChartRecovery}

// nodeCharts renders a node's series (grouped by Chart, with the given
// fault bands) and curves. end is the right edge of the time axis for
// faults that are still active.
func nodeCharts(n *Node, faults []FaultEvent) ([]chart, error) {
	groups := map[string][]Series{}
	var names []string
	for _, s := range n.Series {
		key := s.Chart
		if key == "" {
			key = s.Name
		}
		if _, ok := groups[key]; !ok {
			names = append(names, key)
		}
		groups[key] = append(groups[key], s)
	}
	slices.SortStableFunc(names, func(a, b string) int { return rank(a) - rank(b) })
	var out []chart
	for _, name := range names {
		svg, err := timeChart(name, groups[name], faults)
		if err != nil {
			return nil, fmt.Errorf("chart %q of %s: %w", name, n.Name, err)
		}
		out = append(out, chart{Title: name, SVG: template.HTML(svg)})
	}
	for _, c := range n.Curves {
		svg, err := curveChart(c)
		if err != nil {
			return nil, fmt.Errorf("curve %q of %s: %w", c.Name, n.Name, err)
		}
		out = append(out, chart{Title: c.Name, SVG: template.HTML(svg)})
	}
	return out, nil
}

func rank(name string) int {
	if i := slices.Index(chartOrder, name); i >= 0 {
		return i
	}
	return len(chartOrder)
}

// maxChartBuckets bounds the points drawn per series: a 24 h soak at 1 s
// intervals has 86,400 points per series.
const maxChartBuckets = 1000

// finiteXYs converts points for plotting, leaving out non-finite values
// (gaps) and, for long series, keeping each bucket's minimum and maximum in
// time order so that spikes survive decimation.
func finiteXYs(pts []Point) plotter.XYs {
	xys := make(plotter.XYs, 0, min(len(pts), 2*maxChartBuckets))
	per := (len(pts) + maxChartBuckets - 1) / maxChartBuckets
	if per <= 1 {
		for _, p := range pts {
			if math.IsNaN(p.V) || math.IsInf(p.V, 0) {
				continue
			}
			xys = append(xys, plotter.XY{X: p.T.Seconds(), Y: p.V})
		}
		return xys
	}
	for i := 0; i < len(pts); i += per {
		lo, hi := -1, -1
		for j := i; j < min(i+per, len(pts)); j++ {
			v := pts[j].V
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			if lo < 0 || v < pts[lo].V {
				lo = j
			}
			if hi < 0 || v > pts[hi].V {
				hi = j
			}
		}
		if lo < 0 {
			continue
		}
		a, b := min(lo, hi), max(lo, hi)
		xys = append(xys, plotter.XY{X: pts[a].T.Seconds(), Y: pts[a].V})
		if b != a {
			xys = append(xys, plotter.XY{X: pts[b].T.Seconds(), Y: pts[b].V})
		}
	}
	return xys
}

func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Legend.Top = true
	p.X.Tick.Marker = numTicks{}
	p.Y.Tick.Marker = numTicks{}
	p.Add(plotter.NewGrid())
	return p
}

func timeChart(name string, series []Series, faults []FaultEvent) (string, error) {
	units := map[string]bool{}
	for _, s := range series {
		units[s.Unit] = true
	}
	ylabel := name
	if len(units) == 1 && series[0].Unit != "" {
		ylabel = name + " (" + series[0].Unit + ")"
	}
	p := newPlot(name+" over time", "time since start (s)", ylabel)
	minT, maxT := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, pt := range s.Points {
			minT = math.Min(minT, pt.T.Seconds())
			maxT = math.Max(maxT, pt.T.Seconds())
		}
	}
	// Bands go first so the lines are drawn over them. A band is clipped to
	// the series' time span (a suite's fault may predate a test's series);
	// a fault with no end is drawn to the end of the data. Each fault kind
	// has its own colour and legend entry.
	var kinds []string
	for _, f := range faults {
		start, end := math.Max(f.Start.Seconds(), minT), f.End.Seconds()
		if f.End <= 0 || end > maxT {
			end = maxT
		}
		if end <= start {
			continue
		}
		i := slices.Index(kinds, f.Kind)
		if i < 0 {
			i = len(kinds)
			kinds = append(kinds, f.Kind)
		}
		p.Add(band{start: start, end: end, fill: faultColor(i)})
	}
	for i, k := range kinds {
		p.Legend.Add("fault: "+k, band{fill: faultColor(i)})
	}
	for i, s := range series {
		xys := finiteXYs(s.Points)
		if len(xys) == 0 {
			continue
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return "", err
		}
		l.Color = palette[i%len(palette)]
		l.Width = vg.Points(1.5)
		p.Add(l)
		label := s.Name
		if len(units) > 1 && s.Unit != "" {
			label += " (" + s.Unit + ")"
		}
		p.Legend.Add(label, l)
	}
	p.Y.Min = math.Min(p.Y.Min, 0)
	// Head room keeps the legend (top right) off the lines.
	if p.Y.Max > p.Y.Min {
		p.Y.Max += 0.25 * (p.Y.Max - p.Y.Min)
	}
	return render(p)
}

func curveChart(c Curve) (string, error) {
	xl, yl := c.XLabel, c.YLabel
	if c.XUnit != "" {
		xl += " (" + c.XUnit + ")"
	}
	if c.YUnit != "" {
		yl += " (" + c.YUnit + ")"
	}
	p := newPlot(c.Name, xl, yl)
	xys := make(plotter.XYs, 0, len(c.Points))
	for _, pt := range c.Points {
		if math.IsNaN(pt.X) || math.IsNaN(pt.Y) || math.IsInf(pt.X, 0) || math.IsInf(pt.Y, 0) {
			continue
		}
		xys = append(xys, plotter.XY{X: pt.X, Y: pt.Y})
	}
	if len(xys) > 0 {
		l, s, err := plotter.NewLinePoints(xys)
		if err != nil {
			return "", err
		}
		l.Color, s.Color = palette[0], palette[0]
		l.Width = vg.Points(1.5)
		p.Add(l, s)
	}
	p.Y.Min = math.Min(p.Y.Min, 0)
	return render(p)
}

func render(p *plot.Plot) (string, error) {
	// A chart with no finite data still renders, with a unit range.
	if !(p.X.Min <= p.X.Max) {
		p.X.Min, p.X.Max = 0, 1
	}
	if !(p.Y.Min <= p.Y.Max) || math.IsInf(p.Y.Max, 0) {
		p.Y.Min, p.Y.Max = 0, 1
	}
	c := vgsvg.New(chartW, chartH)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", err
	}
	s := buf.String()
	// Inline SVG in HTML takes no XML prolog.
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	s = strings.Replace(s, "<svg ", `<svg class="chart" role="img" `, 1)
	return s, nil
}

// band is a vertical shaded span of the x axis: a fault that was active.
type band struct {
	start, end float64
	fill       color.Color
}

var (
	_ plot.Plotter     = band{}
	_ plot.Thumbnailer = band{}
)

// Plot implements plot.Plotter.
func (b band) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	x0, x1 := trX(b.start), trX(b.end)
	x0 = max(x0, c.Min.X)
	x1 = min(x1, c.Max.X)
	if x1 <= x0 {
		return
	}
	c.FillPolygon(b.fill, []vg.Point{{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}})
}

// DataRange implements plot.DataRanger so the axis covers the band.
func (b band) DataRange() (xmin, xmax, ymin, ymax float64) {
	return b.start, b.end, math.Inf(1), math.Inf(-1)
}

// Thumbnail implements plot.Thumbnailer for the legend.
func (b band) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(b.fill, []vg.Point{{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y}})
}
