//go:build stress

package chaossuite

import (
	"fmt"
	"testing"

	"github.com/mcpstress/mcpstress/chaos"
	"github.com/mcpstress/mcpstress/judge"
	"github.com/mcpstress/mcpstress/report"
	"github.com/mcpstress/mcpstress/verdict"
)

// TestChaosNetworkPartitions is seed scenario 3.3: every partition_every
// (the seed's 2 min; scaled by mode) the chaos proxy holds both
// directions of every connection, and any new one, for partition_hold
// (the seed's 30 s), then heals. Judged per partition: detected < 5 s —
// the first 100 ms point whose throughput fell below half the pre-fault
// throughput or whose errors (timeouts, drops of the open model with
// every slot held) rose past 5% — and healed < 15 s: from the heal to
// the first 1 s window back at ≥ 90% of the pre-fault throughput with
// errors back to normal. Its negative control is in the same test: the
// detection check, run over the undisturbed pre-fault traffic as if a
// fault had struck in its middle, must fail.
func TestChaosNetworkPartitions(t *testing.T) {
	tr := suite.Test(t)
	f := loadFigures(t)
	const sc = "network_partitions"
	detectMax := secs(f.target(t, sc, "detect_s_max"))
	healMax := secs(f.target(t, sc, "heal_s_max"))
	e := setup(t, tr, envOptions{proxy: true})
	t.Logf("plan: %s", f.plan(fmt.Sprintf("a %v partition every %v (seed: %gs every %gs)", f.partitionHold, f.partitionEvery, f.param(t, sc, "hold_s"), f.param(t, sc, "every_s"))))

	r := run(t, tr, f, e, spec{name: "network-partitions", total: f.warmup + f.baseline + f.fault + f.recovery, faultAt: f.warmup + f.baseline,
		faultFor: f.fault, timeout: f.timeout,
		schedule: chaos.Schedule{Seed: 33, Entries: []chaos.Entry{{Name: "partition", Fault: chaos.PartitionFault{Proxy: e.proxy}, Every: f.partitionEvery, For: f.partitionHold}}}})
	ims := measureEach(t, f, r, chaos.KindPartition)
	det := judge.DetectionTime(ims, "the partition", detectMax)
	heal := judge.RecoveryTime(ims, "a partition", healMax, true)

	// The negative control: a phantom fault in the middle of the
	// pre-fault reference, watched until the real faults began.
	ref := r.sum.Start.Add(f.warmup)
	phantom := chaos.FaultEvent{Kind: "none (control)", At: ref.Add(r.faultStart.Sub(ref) / 2)}
	var none []chaos.Impact
	if r.faultStart.Sub(ref) >= 2*f.window {
		var pts []chaos.RatePoint
		for _, p := range r.pts {
			if !p.Start.Before(ref) && !p.End.After(r.faultStart) {
				pts = append(pts, p)
			}
		}
		if m, err := chaos.MeasureImpact(pts, phantom, f.impactOptions(r.sum.Start)); err == nil {
			none = append(none, m)
		} else {
			t.Errorf("the control's phantom fault: %v", err)
		}
	}
	ctl := judge.DetectionTime(none, "a fault that never happened (control)", detectMax)
	tr.Judge(r.sum, det, heal, verdict.Check{Expr: "FAILS on traffic with no fault: " + ctl.Expr, Metric: ctl.Metric, Unit: ctl.Unit,
		Measured: ctl.Measured, Pass: ctl.Failed() && !ctl.Unmeasured(), Detail: ctl.String()})
	record(tr, f, r, ims, "partitions")
	tr.KeyMetric("time_to_detect_s", "s", det.Measured, report.BetterLower)
	tr.Metric("heal_time_s", "s", heal.Measured, report.BetterLower)
	if err := chaos.NetnsAvailable(); err != nil {
		tr.Warn("the proxy's partition only: a network-namespace partition (chaos.Netns) is not available here: %v", err)
	}
}
