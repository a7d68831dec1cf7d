package stress

import (
	"flag"
	"testing"

	"github.com/mcpstress/mcpstress/framework"
	"github.com/mcpstress/mcpstress/framework/profile"
	"github.com/mcpstress/mcpstress/mcptest"
)

// Config.Backlog is the backlog of the server the framework starts: the
// scenario's (or its 2048 default) reaches the embedded server's options
// unless the caller chose one. (mcptest's TestBacklogSetsTheListenQueue
// shows the server applies it.)
func TestTheScenarioBacklogReachesTheEmbeddedServer(t *testing.T) {
	if got := serverOptions(mcptest.Options{}, framework.Config{Backlog: 37}.WithDefaults()); got.Backlog != 37 {
		t.Errorf("backlog %d, want the scenario's 37", got.Backlog)
	}
	if got := serverOptions(mcptest.Options{}, framework.Config{}.WithDefaults()); got.Backlog != framework.DefaultBacklog {
		t.Errorf("backlog %d, want the default %d", got.Backlog, framework.DefaultBacklog)
	}
	if got := serverOptions(mcptest.Options{Backlog: 5}, framework.Config{Backlog: 37}.WithDefaults()); got.Backlog != 5 {
		t.Errorf("backlog %d, want the caller's 5", got.Backlog)
	}
}

// Profile.PrometheusPort is the suite's -prometheus-port default; the flag
// overrides it.
func TestTheSuiteServesMetricsOnItsProfilePort(t *testing.T) {
	pl, err := profile.Load("scale", profile.ModeQuick)
	if err != nil {
		t.Fatal(err)
	}
	want := pl.Profile.PrometheusPort
	if want == 0 {
		t.Fatal("the scale profile has no prometheus_port")
	}
	s := newSuite("scale", flag.NewFlagSet("s", flag.ContinueOnError))
	s.mode = profile.ModeQuick
	if got := s.prometheusPort(); got != want {
		t.Errorf("port %d, want the profile's %d", got, want)
	}
	fs := flag.NewFlagSet("s", flag.ContinueOnError)
	s = newSuite("scale", fs)
	s.mode = profile.ModeQuick
	if err := fs.Parse([]string{"-prometheus-port", "19999"}); err != nil {
		t.Fatal(err)
	}
	if got := s.prometheusPort(); got != 19999 {
		t.Errorf("port %d, want the flag's 19999", got)
	}
}
