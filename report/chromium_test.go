package report

import (
	"context"
	"flag"
	"fmt"
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

// pageCheck is what loading a page in the browser found.
type pageCheck struct {
	Problems  []string // exceptions, console errors/warnings, log errors
	Resources []string // anything fetched besides the page itself
	Charts    []chartInfo
	PNG       []byte
}

// invisible lists the charts that are not visibly rendered.
func (p pageCheck) invisible() []string {
	var out []string
	for i, c := range p.Charts {
		if c.Width < 100 || c.Height < 50 || c.Display == "none" || c.Visibility != "visible" || c.Paths < 3 || !c.OnTop {
			out = append(out, fmt.Sprintf("chart %d: %+v", i, c))
		}
	}
	return out
}

// browser starts headless chromium with a throw-away profile; it skips the
// test when chromium is not installed.
func browser(t *testing.T) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a browser; skipped with -short")
	}
	bin := chromiumPath()
	if bin == "" {
		t.Skip("chromium not installed: run .ci/install-report-deps.sh (apt-get install chromium) to run the browser test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "chromium-profile")),
		chromedp.WindowSize(1200, 900),
	)
	t.Cleanup(func() { acancel(); cancel() })
	return actx
}

// inspect loads url in a new tab and reports what the page did.
func inspect(t *testing.T, browserCtx context.Context, url string) pageCheck {
	t.Helper()
	var mu sync.Mutex
	var pc pageCheck
	tab, cancel := chromedp.NewContext(browserCtx, chromedp.WithListener(func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			pc.Problems = append(pc.Problems, "exception: "+e.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning || e.Type == runtime.ConsoleAPICalledTypeAssert {
				pc.Problems = append(pc.Problems, "console "+string(e.Type))
			}
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError || e.Entry.Level == cdplog.EntryLevelWarning {
				pc.Problems = append(pc.Problems, "log "+string(e.Entry.Level)+": "+e.Entry.Text+" "+e.Entry.URL)
			}
		}
	}))
	defer cancel()
	err := chromedp.Do(tab,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{})
			return err
		}),
		chromedp.Navigate(url),
	)
	if err != nil {
		t.Fatalf("load %s: %v", url, err)
	}
	state, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.readyState`))
	if err != nil || state != "complete" {
		t.Fatalf("document.readyState = %q, %v; want complete", state, err)
	}
	resources, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`performance.getEntriesByType('resource').map(e => e.name)`))
	if err != nil {
		t.Fatal(err)
	}
	charts, err := chromedp.Run(tab, chromedp.Evaluate[[]chartInfo](`Array.from(document.querySelectorAll('svg.chart')).map(s => {
		s.scrollIntoView({block: 'center'});
		const r = s.getBoundingClientRect(), cs = getComputedStyle(s);
		const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
		return {Width: r.width, Height: r.height, Display: cs.display, Visibility: cs.visibility,
			Paths: s.querySelectorAll('path').length, OnTop: top !== null && (top === s || s.contains(top))};
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(tab, chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`)); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	pc.Resources, pc.Charts, pc.PNG = resources, charts, png
	return pc
}

// TestHTMLReportInHeadlessChromium starts one browser for both checks:
// the report renders cleanly, and the same checks flag a broken page.
func TestHTMLReportInHeadlessChromium(t *testing.T) {
	ctx := browser(t)
	t.Run("the report loads cleanly with visible charts", func(t *testing.T) { checkReportRenders(t, ctx) })
	t.Run("the checks catch a broken page", func(t *testing.T) { checkBrokenPageIsCaught(t, ctx) })
}

func checkReportRenders(t *testing.T, ctx context.Context) {
	dir := t.TempDir()
	r := fixtureRun(t)
	if _, err := WriteAll(dir, r, FormatHTML); err != nil {
		t.Fatal(err)
	}
	wantCharts := 0
	for _, s := range r.Suites {
		(&Run{Suites: []*Node{s}}).Walk(func(_ []string, n *Node) {
			cs, err := nodeCharts(n, s.Faults)
			if err != nil {
				t.Fatal(err)
			}
			wantCharts += len(cs)
		})
	}

	pc := inspect(t, ctx, "file://"+filepath.Join(dir, "report.html"))
	shot := filepath.Join(dir, "report.png")
	if err := os.WriteFile(shot, pc.PNG, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the report (%d bytes): %s", len(pc.PNG), shot)
	if *screenshotDir != "" {
		if err := os.MkdirAll(*screenshotDir, 0o755); err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(*screenshotDir, "report-screenshot.png")
		if err := os.WriteFile(dst, pc.PNG, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot copied to %s", dst)
	}
	if len(pc.Problems) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(pc.Problems, "\n"))
	}
	if len(pc.Resources) != 0 {
		t.Errorf("report is not self-contained, it loaded: %v", pc.Resources)
	}
	if len(pc.Charts) != wantCharts || wantCharts == 0 {
		t.Errorf("page has %d charts, want %d", len(pc.Charts), wantCharts)
	}
	if bad := pc.invisible(); len(bad) > 0 {
		t.Errorf("charts not visibly rendered:\n%s", strings.Join(bad, "\n"))
	}
	if len(pc.PNG) < 8 || string(pc.PNG[1:4]) != "PNG" {
		t.Errorf("screenshot is not a PNG")
	}
}

// checkBrokenPageIsCaught shows that the checks above can fail: a page
// with a script error, a console error, an external fetch and hidden, empty
// and covered charts is flagged on every count.
func checkBrokenPageIsCaught(t *testing.T, ctx context.Context) {
	page := `<!DOCTYPE html><html><body>
<svg class="chart" width="400" height="200"><path d="M0 0L10 10"/><path d="M0 0"/><path d="M1 1"/></svg>
<svg class="chart" style="display:none" width="400" height="200"><path/><path/><path/></svg>
<svg class="chart" width="0" height="0"></svg>
<div style="position:relative"><svg class="chart" width="400" height="200"><path/><path/><path/></svg>
<div style="position:absolute;left:0;top:0;width:400px;height:200px;background:#fff"></div></div>
<img src="http://127.0.0.1:9/missing.png">
<script>console.error("boom"); undefinedFunction();</script>
</body></html>`
	path := filepath.Join(t.TempDir(), "broken.html")
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	pc := inspect(t, ctx, "file://"+path)
	joined := strings.Join(pc.Problems, "\n")
	for _, want := range []string{"exception", "console error"} {
		if !strings.Contains(joined, want) {
			t.Errorf("problems %q lack %q", pc.Problems, want)
		}
	}
	if len(pc.Resources) == 0 {
		t.Error("the external image fetch was not noticed")
	}
	if bad := pc.invisible(); len(bad) != 3 {
		t.Errorf("flagged %d of 3 bad charts: %v", len(bad), bad)
	}
}
