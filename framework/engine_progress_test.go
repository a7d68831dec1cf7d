package framework

import (
	"os"
	"runtime"
	"testing"
	"testing/synctest"
	"time"
)

// TestRunProgressCarriesResources checks that the snapshot handed to
// RunOptions.Progress carries the interval's resource sample (the
// Prometheus server gauges read it), the same one the stored series gets.
func TestRunProgressCarriesResources(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := pingScenario("progress-resources", 2, 50, 3*time.Second)
		var got []IntervalSnapshot
		sum, err := Run(t.Context(), fakeTarget{&fakeServer{}}, sc, RunOptions{
			ServerPID: os.Getpid(), // this process stands in for the server
			Progress:  func(p Progress) { got = append(got, p.Interval) },
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) < 2 {
			t.Fatalf("%d progress calls, want at least 2", len(got))
		}
		for i, iv := range got {
			if iv.Resources == nil {
				t.Errorf("progress %d: Resources is nil", i)
				continue
			}
			if iv.Resources.Server == nil || iv.Resources.Server.PID != os.Getpid() {
				t.Errorf("progress %d: server sample %+v, want PID %d", i, iv.Resources.Server, os.Getpid())
				continue
			}
			if runtime.GOOS == "linux" && iv.Resources.Server.RSSBytes == 0 {
				t.Errorf("progress %d: server RSS 0 (%q)", i, iv.Resources.Server.Err)
			}
		}
		// The stored series has the very same samples.
		for i := range min(len(got), len(sum.Intervals)) {
			if s := sum.Intervals[i].Resources; s == nil || got[i].Resources == nil || !s.At.Equal(got[i].Resources.At) {
				t.Errorf("interval %d: stored sample differs from the progress one", i)
			}
		}
	})
}
