package profile

import (
	"testing"
	"time"
)

// seedFigure is one figure of seed 000 (/work/shared/seeds/000_*.txt) and
// where the shipped profiles must hold it.
type seedFigure struct {
	name string
	get  func(t *testing.T, p map[string]*Profile) float64
	want float64
}

func loadShippedProfiles(t *testing.T) (map[string]*Profile, *Zones) {
	t.Helper()
	fsys, _, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*Profile{}
	for _, s := range []string{"baseline", "scale", "sustained", "chaos", "cascading"} {
		p, err := ReadProfile(fsys, s)
		if err != nil {
			t.Fatal(err)
		}
		out[s] = p
	}
	z, err := ReadZones(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return out, z
}

func level(suite, name string, f func(Level) float64) func(*testing.T, map[string]*Profile) float64 {
	return func(t *testing.T, p map[string]*Profile) float64 {
		l, ok := p[suite].Level(name)
		if !ok {
			t.Fatalf("%s has no level %q", suite, name)
		}
		return f(l)
	}
}

func criterion(suite, key string) func(*testing.T, map[string]*Profile) float64 {
	return func(t *testing.T, p map[string]*Profile) float64 {
		v, ok := p[suite].Criteria[key]
		if !ok {
			t.Fatalf("%s has no criterion %q", suite, key)
		}
		return v
	}
}

func scenarioFigure(suite, name string, params bool, key string) func(*testing.T, map[string]*Profile) float64 {
	return func(t *testing.T, p map[string]*Profile) float64 {
		for _, s := range p[suite].Scenarios {
			if s.Name == name {
				m := s.Targets
				if params {
					m = s.Params
				}
				v, ok := m[key]
				if !ok {
					t.Fatalf("%s scenario %s has no %q", suite, name, key)
				}
				return v
			}
		}
		t.Fatalf("%s has no scenario %q", suite, name)
		return 0
	}
}

func modeDuration(suite string, m Mode, phase string) func(*testing.T, map[string]*Profile) float64 {
	return func(t *testing.T, p map[string]*Profile) float64 {
		mp := p[suite].Modes[m]
		if phase == "" {
			return mp.Duration.D().Seconds()
		}
		if phase == "level" {
			return mp.LevelDuration.D().Seconds()
		}
		d, ok := mp.Phases[phase]
		if !ok {
			t.Fatalf("%s mode %s has no phase %q", suite, m, phase)
		}
		return d.D().Seconds()
	}
}

func ms(d Duration) float64 { return float64(d.D()) / float64(time.Millisecond) }

// The seed's load-level tables (Throughput Targets and Latency Targets):
// the scale suite holds every row, the baseline suite the Baseline row and
// the sustained suite the Maximum row.
var seedLevels = []struct {
	seedName, scaleName    string
	conns                  int
	rate, minRate          float64
	p50, p95, p99, maxLate float64
}{
	{"Baseline", "150", 150, 5000, 4500, 40, 85, 150, 300},
	{"Moderate", "500", 500, 15000, 13500, 40, 80, 140, 280},
	{"Medium", "1K", 1000, 30000, 27000, 42, 75, 130, 260},
	{"Heavy", "5K", 5000, 150000, 135000, 45, 65, 110, 200},
	{"Peak", "10K", 10000, 300000, 270000, 48, 58, 100, 180},
	{"Maximum", "15K", 15000, 500000, 450000, 50, 50, 95, 170},
}

func seedFigures() []seedFigure {
	var f []seedFigure
	add := func(name string, get func(*testing.T, map[string]*Profile) float64, want float64) {
		f = append(f, seedFigure{name, get, want})
	}
	for _, r := range seedLevels {
		homes := [][2]string{{"scale", r.scaleName}}
		switch r.seedName {
		case "Baseline":
			homes = append(homes, [2]string{"baseline", "baseline"})
		case "Maximum":
			homes = append(homes, [2]string{"sustained", "maximum"})
		}
		for _, h := range homes {
			pre := h[0] + "/" + h[1] + " (" + r.seedName + ") "
			add(pre+"connections", level(h[0], h[1], func(l Level) float64 { return float64(l.Sessions) }), float64(r.conns))
			add(pre+"target throughput", level(h[0], h[1], func(l Level) float64 { return l.Rate }), r.rate)
			add(pre+"min acceptable (90%)", level(h[0], h[1], func(l Level) float64 { return l.MinRate }), r.minRate)
			add(pre+"p50 ms", level(h[0], h[1], func(l Level) float64 { return ms(l.P50) }), r.p50)
			add(pre+"p95 ms", level(h[0], h[1], func(l Level) float64 { return ms(l.P95) }), r.p95)
			add(pre+"p99 ms", level(h[0], h[1], func(l Level) float64 { return ms(l.P99) }), r.p99)
			add(pre+"max ms", level(h[0], h[1], func(l Level) float64 { return ms(l.Max) }), r.maxLate)
			add(pre+"error rate <0.1%", level(h[0], h[1], func(l Level) float64 { return l.ErrorRate }), 0.001)
		}
	}
	// 1. Baseline: Expected Results and Pass Criteria; 10 minutes.
	add("baseline max throughput 5500", level("baseline", "baseline", func(l Level) float64 { return l.MaxRate }), 5500)
	add("baseline p95 ceiling 102 ms (85 +20%)", level("baseline", "baseline", func(l Level) float64 { return ms(l.P95Ceiling) }), 102)
	add("baseline p95 band low 68 ms", criterion("baseline", "p95_band_low_ms"), 68)
	add("baseline p95 band high 102 ms", criterion("baseline", "p95_band_high_ms"), 102)
	add("baseline throughput ±10%", criterion("baseline", "throughput_tolerance_fraction"), 0.1)
	add("baseline p95 ±20%", criterion("baseline", "p95_tolerance_fraction"), 0.2)
	add("baseline memory <500 MB", criterion("baseline", "memory_mb_max"), 500)
	add("baseline memory growth <100 MB", criterion("baseline", "memory_growth_mb_max"), 100)
	add("baseline memory window 5 minutes", criterion("baseline", "memory_growth_window_s"), 300)
	add("baseline recovery <10 s", criterion("baseline", "recovery_s_max"), 10)
	add("baseline error rate <0.1%", criterion("baseline", "error_rate_max"), 0.001)
	add("baseline duration 10 minutes (demo)", modeDuration("baseline", ModeDemo, ""), 600)
	add("baseline stabilisation T+10 s (demo warmup)", modeDuration("baseline", ModeDemo, "warmup"), 10)
	// 2. Scale: 60 minutes, 10 per level; 90% of target; 100x.
	add("scale duration 60 minutes (short)", modeDuration("scale", ModeShort, ""), 3600)
	add("scale 10 minutes per level (short)", modeDuration("scale", ModeShort, "level"), 600)
	add("scale 90% of target throughput", criterion("scale", "min_throughput_fraction"), 0.9)
	add("scale error rate <0.1%", criterion("scale", "error_rate_max"), 0.001)
	add("scale 100x connections", criterion("scale", "scaling_factor_connections"), 100)
	add("scale 100x throughput", criterion("scale", "scaling_factor_throughput"), 100)
	// 3. Chaos scenarios and pass criteria.
	add("chaos crashes every 30 s", scenarioFigure("chaos", "process_crashes", true, "every_s"), 30)
	add("chaos crash recovery <10 s", scenarioFigure("chaos", "process_crashes", false, "recovery_s_max"), 10)
	add("chaos crash error rate <5%", scenarioFigure("chaos", "process_crashes", false, "error_rate_during_max"), 0.05)
	add("chaos disconnect every 60 s", scenarioFigure("chaos", "client_disconnections", true, "every_s"), 60)
	add("chaos disconnect 10% of clients", scenarioFigure("chaos", "client_disconnections", true, "fraction"), 0.1)
	add("chaos 100% reconnection", scenarioFigure("chaos", "client_disconnections", false, "reconnect_success_min"), 1)
	add("chaos <50% throughput loss", scenarioFigure("chaos", "client_disconnections", false, "throughput_loss_max"), 0.5)
	add("chaos partitions every 2 minutes", scenarioFigure("chaos", "network_partitions", true, "every_s"), 120)
	add("chaos partitions of 30 s", scenarioFigure("chaos", "network_partitions", true, "hold_s"), 30)
	add("chaos detect partition <5 s", scenarioFigure("chaos", "network_partitions", false, "detect_s_max"), 5)
	add("chaos heal <15 s", scenarioFigure("chaos", "network_partitions", false, "heal_s_max"), 15)
	add("chaos 2% message loss", scenarioFigure("chaos", "message_loss", true, "loss_fraction"), 0.02)
	add("chaos <1% unrecovered loss", scenarioFigure("chaos", "message_loss", false, "unrecovered_loss_max"), 0.01)
	add("chaos loss detection <100 ms", scenarioFigure("chaos", "message_loss", false, "detect_ms_max"), 100)
	add("chaos delays from 100 ms", scenarioFigure("chaos", "latency_injection", true, "delay_min_ms"), 100)
	add("chaos delays to 500 ms", scenarioFigure("chaos", "latency_injection", true, "delay_max_ms"), 500)
	add("chaos no cascading failures", scenarioFigure("chaos", "latency_injection", false, "cascading_failures_max"), 0)
	add("chaos combined recovery <30 s", scenarioFigure("chaos", "combined", false, "recovery_s_max"), 30)
	add("chaos single failure error rate <1%", criterion("chaos", "single_failure_error_rate_max"), 0.01)
	add("chaos single failure recovery <10 s", criterion("chaos", "single_failure_recovery_s_max"), 10)
	add("chaos 30 minutes per scenario (extended)", modeDuration("chaos", ModeExtended, ""), 1800)
	// 4. Sustained: pass criteria and modes.
	add("sustained memory growth <500 MB over 24 h", criterion("sustained", "memory_growth_mb_max_24h"), 500)
	add("sustained growth after warmup <50 MB/h", criterion("sustained", "memory_growth_mb_per_hour_after_warmup"), 50)
	add("sustained error rate <0.1%", criterion("sustained", "error_rate_max"), 0.001)
	add("sustained p95 variation <±20 ms", criterion("sustained", "p95_variation_ms_max"), 20)
	add("sustained no unhandled crashes", criterion("sustained", "unhandled_crashes_max"), 0)
	add("sustained CPU should be <80%", criterion("sustained", "cpu_percent_max_investigate"), 80)
	add("sustained GC pauses should be <50 ms", criterion("sustained", "gc_pause_ms_max_investigate"), 50)
	add("sustained collection every minute", criterion("sustained", "regular_collection_s"), 60)
	add("sustained hourly snapshots", criterion("sustained", "snapshot_interval_s"), 3600)
	add("sustained demo 10 minutes", modeDuration("sustained", ModeDemo, ""), 600)
	add("sustained short 1 hour", modeDuration("sustained", ModeShort, ""), 3600)
	add("sustained extended 24 hours", modeDuration("sustained", ModeExtended, ""), 86400)
	add("sustained extended hourly snapshot", modeDuration("sustained", ModeExtended, "snapshot"), 3600)
	// 5. Cascading scenarios and recovery progression.
	add("cascading disconnect 500 clients", scenarioFigure("cascading", "crash_and_mass_disconnect", true, "disconnect_clients"), 500)
	add("cascading 5.1 error <15%", scenarioFigure("cascading", "crash_and_mass_disconnect", false, "error_rate_max"), 0.15)
	add("cascading 5.1 recover <2 min", scenarioFigure("cascading", "crash_and_mass_disconnect", false, "recovery_s_max"), 120)
	add("cascading 5.2 200 ms delays", scenarioFigure("cascading", "registry_partition_and_latency", true, "delay_ms"), 200)
	add("cascading 5.2 recovery <10 min", scenarioFigure("cascading", "registry_partition_and_latency", false, "recovery_s_max"), 600)
	add("cascading 5.3 500 ms handler delay", scenarioFigure("cascading", "slow_handler_timeout_cascade", true, "handler_delay_ms"), 500)
	add("cascading 5.3 contain the cascade", scenarioFigure("cascading", "slow_handler_timeout_cascade", false, "cascade_contained"), 1)
	add("cascading 5.4 error <25%", scenarioFigure("cascading", "triple_failure", false, "error_rate_max"), 0.25)
	add("cascading 5.4 recover <2 min", scenarioFigure("cascading", "triple_failure", false, "recovery_s_max"), 120)
	add("cascading error rate <15% (reliability table)", criterion("cascading", "cascading_error_rate_max"), 0.15)
	add("cascading recovery <120 s (reliability table)", criterion("cascading", "cascading_recovery_s_max"), 120)
	add("cascading 100% recovered at 120 s", criterion("cascading", "recovery_curve_100pct_s"), 120)
	add("cascading baseline phase 30 s (demo)", modeDuration("cascading", ModeDemo, "baseline"), 30)
	add("cascading failure phase 60 s (demo)", modeDuration("cascading", ModeDemo, "failure"), 60)
	add("cascading recovery phase 120 s (demo)", modeDuration("cascading", ModeDemo, "recovery"), 120)
	// Prometheus ports of the seed's suites.
	for s, port := range map[string]float64{"baseline": 9090, "scale": 9091, "chaos": 9092, "sustained": 9093, "cascading": 9094} {
		add(s+" prometheus port", func(_ *testing.T, p map[string]*Profile) float64 { return float64(p[s].PrometheusPort) }, port)
	}
	return f
}

func TestShippedProfilesHoldEverySeedFigure(t *testing.T) {
	profiles, _ := loadShippedProfiles(t)
	for _, tt := range seedFigures() {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.get(t, profiles); got != tt.want {
				t.Errorf("profile has %v, the seed says %v", got, tt.want)
			}
		})
	}
}

// The seed's Interpreting Results zones, as data, and how values on and
// around each boundary are rated.
func TestZonesHoldTheSeedBandsAndClassify(t *testing.T) {
	_, z := loadShippedProfiles(t)
	tests := []struct {
		metric string
		v      float64
		want   Zone
	}{
		{"throughput", 1.0, ZoneGreen}, {"throughput", 0.9, ZoneGreen}, {"throughput", 0.89, ZoneYellow},
		{"throughput", 0.8, ZoneYellow}, {"throughput", 0.79, ZoneRed},
		{"p95_variance", 0.1, ZoneGreen}, {"p95_variance", 0.2, ZoneGreen}, {"p95_variance", 0.25, ZoneYellow},
		{"p95_variance", 0.3, ZoneYellow}, {"p95_variance", 0.4, ZoneUnrated}, {"p95_variance", 0.51, ZoneRed},
		{"error_rate", 0.0005, ZoneGreen}, {"error_rate", 0.001, ZoneYellow}, {"error_rate", 0.01, ZoneYellow}, {"error_rate", 0.011, ZoneRed},
		{"memory_growth", 99, ZoneGreen}, {"memory_growth", 100, ZoneYellow}, {"memory_growth", 200, ZoneYellow},
		{"memory_growth", 300, ZoneUnrated}, {"memory_growth", 501, ZoneRed},
		{"recovery", 29, ZoneGreen}, {"recovery", 30, ZoneYellow}, {"recovery", 60, ZoneYellow},
		{"recovery", 90, ZoneUnrated}, {"recovery", 121, ZoneRed},
	}
	for _, tt := range tests {
		got, ok := z.Classify(tt.metric, tt.v)
		if !ok || got != tt.want {
			t.Errorf("%s %v: %q (known %v), want %q", tt.metric, tt.v, got, ok, tt.want)
		}
	}
	if _, ok := z.Classify("latency_p42", 1); ok {
		t.Error("an unknown metric was rated")
	}
	bad := Zones{Metrics: []ZoneMetric{{Name: "x", Green: 5, Yellow: 1, Red: 9}, {Name: "x", HigherIsBetter: true, Green: 1, Yellow: 2, Red: 3}}}
	if err := bad.Validate(); err == nil {
		t.Error("out-of-order and duplicate bands accepted")
	}
}
