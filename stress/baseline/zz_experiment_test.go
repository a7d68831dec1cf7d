//go:build stress

package baseline

import (
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/stress"
)

func TestZZMemoryExperiment(t *testing.T) {
	p := loadPlan(t)
	sc := p.scenario("exp", 40*time.Second, 500*time.Millisecond)
	sum := stress.RunWith(t, "", sc, stress.Options{NoFail: true})
	for _, s := range sum.Intervals {
		if s.Resources != nil && s.Resources.Server != nil {
			t.Logf("%5.1fs rss %.2f MB thr %.0f", s.End.Sub(sum.Start).Seconds(), float64(s.Resources.Server.RSSBytes)/(1<<20), s.Throughput)
		}
	}
	for _, w := range []time.Duration{5, 10, 15, 20} {
		from := sum.Start.Add(w * time.Second)
		tr, err := stress.ServerMemoryTrend(sum.Intervals, from, from.Add(20*time.Second), 5*time.Minute)
		t.Logf("warmup %ds window 20s: %s %v", w, tr, err)
	}
}
