package report

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

var screenshotDir = flag.String("screenshot-dir", "", "also copy the browser test's screenshot into this directory (e.g. ../reports)")

// chromiumPath finds Debian's chromium ($MCPSTRESS_CHROMIUM overrides).
func chromiumPath() string {
	if p := os.Getenv("MCPSTRESS_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// chartInfo is what the page reports about one inline SVG chart.
type chartInfo struct {
	Width, Height float64
	Display       string
	Visibility    string
	Paths         int
	OnTop         bool // the element at the chart's centre is the chart
}

func TestHTMLReportRendersInHeadlessChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser; skipped with -short")
	}
	bin := chromiumPath()
	if bin == "" {
		t.Skip("chromium not installed: run .ci/install-report-deps.sh (apt-get install chromium) to run the browser test")
	}
	dir := t.TempDir()
	r := fixtureRun(t)
	if _, err := WriteAll(dir, r, FormatHTML); err != nil {
		t.Fatal(err)
	}
	wantCharts := 0
	r.Walk(func(_ []string, n *Node) {
		cs, err := nodeCharts(n, n.Faults)
		if err != nil {
			t.Fatal(err)
		}
		wantCharts += len(cs)
	})

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(filepath.Join(dir, "chromium-profile")),
		chromedp.WindowSize(1200, 900),
	)
	defer acancel()

	var mu sync.Mutex
	var problems []string
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+e.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning || e.Type == runtime.ConsoleAPICalledTypeAssert {
				problems = append(problems, "console "+string(e.Type))
			}
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError || e.Entry.Level == cdplog.EntryLevelWarning {
				problems = append(problems, "log "+string(e.Entry.Level)+": "+e.Entry.Text+" "+e.Entry.URL)
			}
		}
	}))
	defer bcancel()

	url := "file://" + filepath.Join(dir, "report.html")
	err := chromedp.Do(bctx,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{})
			return err
		}),
		chromedp.Navigate(url),
	)
	if err != nil {
		t.Fatalf("load %s: %v", url, err)
	}
	state, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.readyState`))
	if err != nil || state != "complete" {
		t.Fatalf("document.readyState = %q, %v; want complete", state, err)
	}
	// Self-contained: the page must have fetched nothing besides itself.
	resources, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`performance.getEntriesByType('resource').map(e => e.name)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(resources) != 0 {
		t.Errorf("report loaded external resources: %v", resources)
	}
	charts, err := chromedp.Run(bctx, chromedp.Evaluate[[]chartInfo](`Array.from(document.querySelectorAll('svg.chart')).map(s => {
		s.scrollIntoView({block: 'center'});
		const r = s.getBoundingClientRect(), cs = getComputedStyle(s);
		const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
		return {Width: r.width, Height: r.height, Display: cs.display, Visibility: cs.visibility,
			Paths: s.querySelectorAll('path').length, OnTop: top !== null && (top === s || s.contains(top))};
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if len(charts) != wantCharts || wantCharts == 0 {
		t.Errorf("page has %d charts, want %d", len(charts), wantCharts)
	}
	for i, c := range charts {
		if c.Width < 100 || c.Height < 50 || c.Display == "none" || c.Visibility != "visible" || c.Paths < 3 || !c.OnTop {
			t.Errorf("chart %d is not visibly rendered: %+v", i, c)
		}
	}
	tables, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('table.thresholds tr').length`))
	if err != nil {
		t.Fatal(err)
	}
	if tables < 2 {
		t.Errorf("threshold tables have %d rows", tables)
	}
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`)); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "report.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the report (%d bytes): %s", len(png), shot)
	if *screenshotDir != "" {
		if err := os.MkdirAll(*screenshotDir, 0o755); err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(*screenshotDir, "report-screenshot.png")
		if err := os.WriteFile(dst, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot copied to %s", dst)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(problems, "\n"))
	}
	bcancel()
	acancel()
}
