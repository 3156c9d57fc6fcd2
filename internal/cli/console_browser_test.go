package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// secretValue is a stage variable's value that must never reach the console page.
const secretValue = "s3cr3t-t0ken-do-not-show"

// lockedBuffer is an output stream a test reads while a command writes it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// chromiumPath returns Debian's chromium (installed by .ci/run), or skips.
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium is not installed (apt-get install chromium; .ci/run installs it): the console's browser tests do not run")
	return ""
}

// TestConsoleInChromium drives the console of `cws up dev master` in headless Chromium, as a user would:
// both deployed stages are listed, and the protected prod (not deployed) marked as such; dev's history shows
// its deploy as what runs now; a route of dev is tried from its route list and its answer shown; a
// request made with an HTTP client outside the page shows in the live request log, and its function log
// lines in dev's log view, both pushed without a reload; the keyboard opens a stage; the stage diff shows
// both sides; no secret value is anywhere in the page; nothing overflows a phone's width. With
// CWS_CONSOLE_SCREENSHOTS=1 it writes the screenshots of docs/local.md (docs/console*.png).
func TestConsoleInChromium(t *testing.T) {
	chrome := chromiumPath(t)
	project := copyExampleHello(t)
	cfgPath := filepath.Join(project, ".chalice", "config.json")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg = bytes.Replace(cfg, []byte(`"GREETING": "Hello from master"`), []byte(`"GREETING": "Hello from master", "API_TOKEN": "`+secretValue+`"`), 1)
	cfg = bytes.Replace(cfg, []byte(`"stages": {`), []byte(`"stages": {"prod": {"api_gateway_stage": "prod", "protected": true},`), 1)
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, stop := context.WithCancel(context.Background())
	out, errs := &lockedBuffer{}, &lockedBuffer{}
	env := &Env{Streams: Streams{In: strings.NewReader(""), Out: out, Err: errs}, Getenv: func(string) string { return "" },
		Now: time.Now, Getwd: func() (string, error) { return project, nil }}
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, env, []string{"--project-dir", project, "up", "dev", "master", "--port", "0"})
	}()
	defer func() {
		stop()
		if code := <-done; code != 0 {
			t.Errorf("cws up exited %d:\n%s", code, errs.String())
		}
	}()
	consoleRE := regexp.MustCompile(`(?m)^Console: (http://127\.0\.0\.1:\d+/)$`)
	gatewayRE := regexp.MustCompile(`(?m)^  dev: (http://127\.0\.0\.1:\d+)/dev/$`)
	var consoleURL, gatewayURL string
	for end := time.Now().Add(3 * time.Minute); consoleURL == ""; time.Sleep(50 * time.Millisecond) {
		select {
		case code := <-done:
			done <- code
			t.Fatalf("cws up exited %d:\n%s%s", code, out.String(), errs.String())
		default:
		}
		if m := consoleRE.FindStringSubmatch(out.String()); m != nil {
			consoleURL = m[1]
			gatewayURL = gatewayRE.FindStringSubmatch(out.String())[1]
		}
		if time.Now().After(end) {
			t.Fatalf("cws up printed no console URL:\n%s%s", out.String(), errs.String())
		}
	}

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chrome), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1000))
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	browser, cancelTimeout := context.WithTimeout(browser, 2*time.Minute)
	defer cancelTimeout()
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(browser, actions...); err != nil {
			t.Fatalf("%s: %v\nstdout:\n%s", what, err, out.String())
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(browser, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}

	// Both deployed stages, with their target and URL.
	run("open the console",
		chromedp.Navigate(consoleURL),
		chromedp.WaitVisible(`li.stage[data-stage="dev"]`),
		chromedp.WaitVisible(`li.stage[data-stage="master"]`),
	)
	devCard, masterCard := text(`li.stage[data-stage="dev"]`), text(`li.stage[data-stage="master"]`)
	for _, c := range []struct{ card, name string }{{devCard, "dev"}, {masterCard, "master"}} {
		if !strings.Contains(c.card, "local") || !strings.Contains(c.card, gatewayURL+"/"+c.name+"/") {
			t.Errorf("stage %s shows %q, want its target and URL", c.name, c.card)
		}
	}

	if prod := text(`li.stage[data-stage="prod"]`); !strings.Contains(prod, "protected") || strings.Contains(devCard+masterCard, "protected") {
		t.Errorf("only prod should be marked protected: prod %q, dev %q, master %q", prod, devCard, masterCard)
	}

	// dev's history: the deploy cws up made, running now.
	run("open dev and see its history",
		chromedp.Click(`li.stage[data-stage="dev"] button`),
		chromedp.WaitVisible(`#history tr[data-n="1"][aria-current="true"]`))
	if row, status := text(`#history tr[data-n="1"]`), text(`#history-status`); !strings.Contains(row, "* 1") || !strings.Contains(row, "deploy") ||
		!strings.Contains(row, "ok") || !strings.Contains(status, "runs now") {
		t.Errorf("dev's history shows %q (%q), want entry 1, a deploy that runs now", row, status)
	}
	if facts := text(`#facts`); !strings.Contains(facts, "Protected") || !strings.Contains(facts, "no") {
		t.Errorf("dev's facts do not say it is unprotected:\n%s", facts)
	}

	// A request sent from dev's route list, and its answer.
	run("try GET / of dev",
		chromedp.WaitVisible(`#routes tr[data-method="GET"][data-path="/"] button`),
		chromedp.Click(`#routes tr[data-method="GET"][data-path="/"] button`),
		chromedp.WaitVisible(`#response.ok`),
	)
	status, body := text(`#response-status`), text(`#response-body`)
	if !strings.Contains(status, "→ 200") || body != "Hello from dev" {
		t.Errorf("the response shows %q / %q, want 200 and dev's greeting", status, body)
	}

	// A request from outside the page shows in the live log and its lines in dev's function log.
	resp, err := http.Get(gatewayURL + "/dev/value/7")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	id := resp.Header.Get("X-Amzn-Requestid")
	sent := time.Now()
	run("see the request in the live log", chromedp.WaitVisible(`#requests tr[data-request-id="`+id+`"]`))
	row := text(`#requests tr[data-request-id="` + id + `"]`)
	t.Logf("the request showed in the live log %v after its answer", time.Since(sent))
	if !strings.Contains(row, "GET") || !strings.Contains(row, "/dev/value/7") || !strings.Contains(row, "200") {
		t.Errorf("live log row %q, want method, path and status", row)
	}
	lambdaID := id
	if _, after, ok := strings.Cut(row, "λ "); ok {
		lambdaID = strings.Fields(after)[0]
	}
	run("see the request's lines in dev's function log", chromedp.WaitVisible(`#logs li[data-request-id="`+lambdaID+`"]`))
	if _, err := chromedp.Run(browser, chromedp.Poll[bool](`[...document.querySelectorAll('#logs li')].some(li => li.textContent.includes('REPORT RequestId: `+lambdaID+`'))`)); err != nil {
		t.Fatalf("no REPORT line of %s in dev's function log: %v", lambdaID, err)
	}
	logs := text(`#logs`)
	if !strings.Contains(logs, "START RequestId: "+lambdaID) {
		t.Errorf("dev's function log lacks the START line of %s:\n%s", lambdaID, logs)
	}

	// The keyboard opens master; the diff shows both stages side by side.
	run("open master with the keyboard",
		chromedp.Focus(`li.stage[data-stage="master"] button`),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(`li.stage[data-stage="master"][aria-current="true"]`))
	detail := text(`#detail`)
	run("compare dev and master",
		chromedp.SetValue(`#diff-a`, "dev"),
		chromedp.SetValue(`#diff-b`, "master"),
		chromedp.Click(`#diff-form button`),
		chromedp.WaitVisible(`#diff-result table`))
	diff := text(`#diff-result`)
	if !strings.Contains(detail, "API_TOKEN") || !strings.Contains(detail, "********") {
		t.Errorf("master's environment does not list API_TOKEN masked:\n%s", detail)
	}
	if !strings.Contains(diff, "environment_variables.API_TOKEN") || !strings.Contains(diff, "(unset)") || !strings.Contains(diff, "environment_variables.GREETING") {
		t.Errorf("the diff of dev and master shows:\n%s", diff)
	}

	// Every form control has a label.
	unlabelled, err := chromedp.Run(browser, chromedp.Evaluate[int](`[...document.querySelectorAll('input,select,textarea')].filter(e => e.labels.length === 0).length`))
	if err != nil || unlabelled != 0 {
		t.Errorf("%d form controls have no label", unlabelled)
	}

	// No secret value anywhere: not in the page, not in what its API sends.
	html, err := chromedp.Run(browser, chromedp.OuterHTML(`html`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, secretValue) {
		t.Error("the page shows a secret value")
	}
	for _, path := range []string{"api/stages", "api/diff?a=dev&b=master", "api/history?stage=master"} {
		resp, err := http.Get(consoleURL + path)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if bytes.Contains(data, []byte(secretValue)) || !json.Valid(data) {
			t.Errorf("%s sends a secret value or bad JSON: %s", path, data)
		}
	}

	shots := os.Getenv("CWS_CONSOLE_SCREENSHOTS") != ""
	if shots {
		run("open dev again for the screenshot", chromedp.Click(`li.stage[data-stage="dev"] button`), chromedp.WaitVisible(`#logs li`))
		writeScreenshot(t, browser, "console.png", chromedp.FullScreenshot(100))
	}

	// At a phone's width nothing is wider than the screen (tables scroll inside their box).
	run("phone width",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Reload(),
		chromedp.WaitVisible(`#routes tr`))
	width, err := chromedp.Run(browser, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil || width > 390 {
		t.Errorf("at 390 px the page is %d px wide", width)
	}
	if shots {
		writeScreenshot(t, browser, "console-phone.png", chromedp.CaptureScreenshot())
	}
}

// writeScreenshot takes a screenshot and writes it into the repository's docs/.
func writeScreenshot(t *testing.T, browser context.Context, name string, shot chromedp.Action[[]byte]) {
	t.Helper()
	png, err := chromedp.Run(browser, shot)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "docs", name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", path, len(png))
}
