//go:build stress

package baseline

import (
	"fmt"
	"testing"
	"time"

	"github.com/mcpstress/mcpstress/judge"
	"github.com/mcpstress/mcpstress/mcptest"
	"github.com/mcpstress/mcpstress/verdict"
)

// distributionSlowEvery and distributionSlowDelay are the fault of the
// distribution check's negative control: every tenth connection answers
// 500 ms late, so each of its 4 engine slots turns over twice a second
// (8 answers/s) where its fair share of 5,000 msg/s over 150 sessions is
// 33/s.
const (
	distributionSlowEvery = 10
	distributionSlowDelay = 500 * time.Millisecond
)

// TestBaselineDistributionCheckFailsAgainstAServerSlowingEveryTenthConnection
// is the negative control of TestBaselineMessageDistribution: the check
// counts what the server answered on each session, so a server that serves
// every tenth connection slowly must fail it, and the same server unfaulted
// must pass it (whatever -target says).
func TestBaselineDistributionCheckFailsAgainstAServerSlowingEveryTenthConnection(t *testing.T) {
	tr := suite.Test(t)
	p := loadFigures(t)

	slowed := shortLoad(t, p, "slow-every-tenth", mcptest.Faults{SlowEvery: distributionSlowEvery, SlowEveryDelay: distributionSlowDelay})
	bad, u := judge.Distribution(slowed, p.distributionAlpha)
	tr.Metric("slowed_session_count_cv", "", u.CV, "")
	tr.Check(verdict.Check{
		Expr:     fmt.Sprintf("the distribution check FAILS against a server slowing every %dth connection by %v", distributionSlowEvery, distributionSlowDelay),
		Metric:   "distribution_p",
		Measured: bad.Measured, Pass: bad.Failed() && !bad.Unmeasured(),
		Detail: bad.Detail,
	})

	fair := shortLoad(t, p, "unfaulted", mcptest.Faults{})
	good, u := judge.Distribution(fair, p.distributionAlpha)
	tr.Metric("unfaulted_session_count_cv", "", u.CV, "")
	tr.Check(verdict.Check{
		Expr:     "the distribution check passes against the unfaulted server",
		Metric:   "distribution_p",
		Measured: good.Measured, Pass: good.Passed(),
		Detail: good.Detail,
	})
}
