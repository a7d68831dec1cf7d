package stress

import (
	"sync"
	"time"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/framework/client"
	"github.com/mcpstress/mcpstress/report"
)

// observer returns the per-request callback that feeds exp's request
// counters and latency histograms, or nil for a nil exporter (then the
// engine calls nothing per request). Counters and histograms are looked up
// once per operation and outcome, with a struct key: no allocation per
// request.
func observer(exp *report.Exporter) func(op string, outcome client.Outcome, latency time.Duration) {
	if exp == nil {
		return nil
	}
	type key struct {
		op string
		o  client.Outcome
	}
	var (
		mu    sync.RWMutex
		bound = map[key]report.Bound{}
	)
	return func(op string, o client.Outcome, latency time.Duration) {
		if !framework.HasLatency(o) {
			exp.CountRequests(op, o.String(), 1)
			return
		}
		k := key{op, o}
		mu.RLock()
		b, ok := bound[k]
		mu.RUnlock()
		if !ok {
			b = exp.Bind(op, o.String())
			mu.Lock()
			bound[k] = b
			mu.Unlock()
		}
		b.Observe(latency)
	}
}

// publishState sets exp's level gauges (sessions, offered and achieved
// rate, server RSS and CPU) from one interval's progress.
func publishState(exp *report.Exporter, p framework.Progress, offered float64) {
	if exp == nil {
		return
	}
	st := report.State{Sessions: p.Sessions, OfferedRate: offered, AchievedRate: p.Rate}
	if r := p.Interval.Resources; r != nil && r.Server != nil {
		st.ServerRSSBytes, st.ServerCPUPercent = r.Server.RSSBytes, r.Server.CPUPercent
	}
	exp.SetState(st)
}
