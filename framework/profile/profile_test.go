package profile

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/mcpstress/mcpstress/framework"
)

func TestEveryShippedProfileLoadsInEveryMode(t *testing.T) {
	fsys, _, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	for _, suite := range []string{"baseline", "scale", "sustained", "chaos", "cascading"} {
		for _, mode := range Modes() {
			t.Run(suite+"/"+string(mode), func(t *testing.T) {
				pl, err := LoadProfile(fsys, suite, mode)
				if err != nil {
					t.Fatal(err)
				}
				if pl.Duration <= 0 || pl.String() == "" {
					t.Errorf("plan %v", pl)
				}
				// Quick mode runs in every CI run (make test, well under
				// 30 min for all suites): seconds, and at most the 75 s
				// the sustained soak needs to judge memory over a minute
				// after its warm-up.
				if mode == ModeQuick && pl.Duration.D() > 75*time.Second {
					t.Errorf("quick mode runs %v, want at most 75 s", pl.Duration.D())
				}
			})
		}
	}
}

func TestShippedProfilesHoldTheSeedFigures(t *testing.T) {
	fsys, _, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	base, err := LoadProfile(fsys, "baseline", ModeDemo)
	if err != nil {
		t.Fatal(err)
	}
	l := base.RunLevels()[0]
	if l.Sessions != 150 || l.Rate != 5000 || l.MinRate != 4500 || l.MaxRate != 5500 ||
		l.P95Ceiling.D() != 102*time.Millisecond || l.P50.D() != 40*time.Millisecond || l.Max.D() != 300*time.Millisecond ||
		l.ErrorRate != 0.001 || base.Duration.D() != 10*time.Minute {
		t.Errorf("baseline level %+v, duration %v", l, base.Duration.D())
	}
	if base.Profile.Criteria["memory_growth_mb_max"] != 100 || base.Profile.Criteria["recovery_s_max"] != 10 {
		t.Errorf("baseline criteria %v", base.Profile.Criteria)
	}
	scale, err := LoadProfile(fsys, "scale", ModeShort)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range scale.RunLevels() {
		got = append(got, strings.Join([]string{l.Name, time.Duration(l.P95).String()}, "@"))
	}
	if want := "150@85ms 500@80ms 1K@75ms 5K@65ms 10K@58ms 15K@50ms"; strings.Join(got, " ") != want {
		t.Errorf("scale levels %v, want %s", got, want)
	}
	if l, _ := scale.Profile.Level("15K"); l.Sessions != 15000 || l.Rate != 500000 || l.MinRate != 450000 {
		t.Errorf("15K level %+v", l)
	}
}

func TestReadProfileListsEveryProblem(t *testing.T) {
	fsys := fstest.MapFS{"bad.json": {Data: []byte(`{
		"suite": "bad",
		"levels": [{"name": "a", "sessions": 0, "rate": 1}, {"name": "a", "sessions": 1, "rate": 1, "error_rate": 2}],
		"thresholds": ["p95 <"],
		"modes": {"quick": {"duration": "0s", "levels": ["zz"]}, "demo": {"duration": "1m"}, "weekly": {"duration": "1m"}}
	}`)}, "unknown.json": {Data: []byte(`{"suite": "x", "colour": "red"}`)}}
	_, err := LoadProfile(fsys, "bad", ModeQuick)
	if err == nil {
		t.Fatal("bad profile accepted")
	}
	for _, want := range []string{"sessions and rate", "defined twice", "error_rate", "p95 <", "mode quick: duration", `unknown level "zz"`, "mode short is missing", "mode extended is missing", "weekly"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
	if _, err := ReadProfile(fsys, "unknown"); err == nil || !strings.Contains(err.Error(), "colour") {
		t.Errorf("unknown field: %v", err)
	}
	if _, err := ReadProfile(fsys, "missing"); err == nil {
		t.Error("missing profile read")
	}
}

func TestModeFromEnv(t *testing.T) {
	tests := []struct {
		name, env  string
		set, short bool
		want       Mode
		wantErr    bool
	}{
		{name: "unset is quick", want: ModeQuick},
		{name: "empty is quick", set: true, want: ModeQuick},
		{name: "demo", env: "demo", set: true, want: ModeDemo},
		{name: "case and space", env: " Extended ", set: true, want: ModeExtended},
		{name: "-short caps at quick", env: "short", set: true, short: true, want: ModeQuick},
		{name: "unknown is an error", env: "weekly", set: true, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.set {
				t.Setenv(ModeEnv, tt.env)
			} else {
				t.Setenv(ModeEnv, "")
				os.Unsetenv(ModeEnv)
			}
			got, err := ModeFromEnv(tt.short)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ModeFromEnv = %q, %v; want %q (error %v)", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestPlanScenarioCarriesTheLevelTargets(t *testing.T) {
	fsys, _, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	pl, err := LoadProfile(fsys, "baseline", ModeQuick)
	if err != nil {
		t.Fatal(err)
	}
	sc := pl.Scenario(pl.RunLevels()[0], framework.Workload{Ops: []framework.Operation{framework.CallTool("echo", map[string]any{"message": "x"})}})
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(sc.Thresholds, "; ")
	want := "throughput >= 4500/s; p50 <= 40ms; p95 <= 102ms; p99 <= 150ms; max <= 300ms; error_rate < 0.1%; drop_rate < 0.1%"
	if got != want {
		t.Errorf("thresholds\n got %s\nwant %s", got, want)
	}
	if sc.Sessions != 150 || sc.Rate != 5000 || sc.Duration != 5*time.Second {
		t.Errorf("scenario %+v", sc)
	}
}

// Every level of every shipped profile is judged on errors and on drops,
// both at the seed's error-rate ceiling (a dropped request is a failed
// message to the user).
func TestPlanScenarioChecksErrorsAndDropsAtEveryLevel(t *testing.T) {
	fsys, _, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	wl := framework.Workload{Ops: []framework.Operation{framework.Ping()}}
	for _, suite := range []string{"baseline", "scale", "sustained", "chaos", "cascading"} {
		pl, err := LoadProfile(fsys, suite, ModeQuick)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range pl.Profile.Levels {
			t.Run(suite+"/"+l.Name, func(t *testing.T) {
				if l.ErrorRate <= 0 {
					t.Fatalf("level %q has no error-rate ceiling", l.Name)
				}
				ths, err := framework.ParseThresholds(pl.Scenario(l, wl).Thresholds)
				if err != nil {
					t.Fatal(err)
				}
				found := map[string]bool{}
				for _, th := range ths {
					if (th.Metric == "error_rate" || th.Metric == "drop_rate") && th.Op == "<" && th.Value == l.ErrorRate {
						found[th.Metric] = true
					}
				}
				if !found["error_rate"] || !found["drop_rate"] {
					t.Errorf("thresholds %v; want error_rate and drop_rate < %g", ths, l.ErrorRate)
				}
			})
		}
	}
}
