package regression
import ("testing";"fmt")
func TestDbg(t *testing.T){
	for _, p := range []string{"../testdata/noise/loopback_echo.json","../testdata/noise/loopback_echo_1client.json"} {
	c, _ := LoadNoiseCorpus(p)
	for _, g := range []GateConfig{{}, {OutlierK: -1}, {Log: true}, {OutlierK: -1, Log: true}, {OutlierK: -1, KeepOldLevels: true}} {
		rows, _ := EvaluateGate(c, g, []float64{0.1})
		fmt.Printf("%+v:", g.OutlierK)
		for _, r := range rows { fmt.Printf(" %s %.1f/%.1f", r.Metric.Name, 100*r.Fail[0].Value(), 100*r.Fail[1].Value()) }
		fmt.Println(g.Log, g.KeepOldLevels)
	}}
}
