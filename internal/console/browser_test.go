package console_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/console"
	"github.com/patservice/pat/internal/devstack"
	"github.com/patservice/pat/internal/localgw"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/testenv"
	"github.com/patservice/pat/internal/version"
)

// Every token the browser saw, the tables and the logs (the server's and
// the browser console's): after the suite, none may hold a secret.
var ledger localstack.Ledger

func TestMain(m *testing.M) { os.Exit(ledger.Main(m)) }

// chromiumPath is Debian's Chromium, which `make test` installs when missing.
const chromiumPath = "/usr/bin/chromium"

// The users of the browser tests, as the JWT authorizer would pass them: the
// development user is an administrator; "nobody" holds no permissions;
// everyone else holds the same grants and is not an administrator.
const grants = "crm:* products:* orders:read accounting:read"

func claims(r *http.Request) map[string]string {
	user, groups, perms := "dev-user", "pat-admins", grants
	if other := r.Header.Get("X-Dev-User"); other != "" {
		user, groups = other, ""
	}
	if user == "nobody" {
		perms = ""
	}
	return map[string]string{"sub": user, "email": user + "@example.com", "permissions": "[" + perms + "]", "cognito:groups": "[" + groups + "]"}
}

// stack is the whole service on the local stack, served as `make run`
// serves it, and a browser.
type stack struct {
	url     string
	browser context.Context
	shots   string // where screenshots go

	mu       sync.Mutex
	drop     func(*http.Request) bool // requests whose connection is cut, as a network failure would
	requests []string                 // "METHOD /path" of every request, in order
}

// requested tells whether the service got a request ("PATCH /me").
func (s *stack) requested(req string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.requests {
		if r == req {
			return true
		}
	}
	return false
}

// cut makes the network fail for the requests drop matches (nil: none).
func (s *stack) cut(drop func(*http.Request) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drop = drop
}

func (s *stack) dropped(r *http.Request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r.Method+" "+r.URL.Path)
	return s.drop != nil && s.drop(r)
}

// signIn is how the stack's console signs users in: what stands in for
// the JWT authorizer, and the console's options for the stack's base URL.
type signIn struct {
	identity localgw.Authorizer
	console  func(base string) console.Options
	// claims names the identity's claims; nil: testenv's (Cognito's).
	claims *config.Claims
}

// devSignIn is the local server's: the X-Dev-User switcher.
var devSignIn = signIn{identity: localgw.Claims(claims), console: func(base string) console.Options {
	return console.Options{Config: config.Console{DemoAPIURL: base}, DevUsers: []console.DevUser{
		{ID: "dev-user", Label: "dev-user (administrator)"}, {ID: "alice", Label: "alice (user)", Header: "alice"}}}
}}

func newStack(t *testing.T, in signIn) *stack {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	base := "http://" + srv.Listener.Addr().String()
	e := testenv.New(t, &ledger, testenv.WithMail(), testenv.Configure(func(c *config.Config) { // skips without the local stack
		c.MailFrom, c.ConsoleURL = "tokens@example.com", base+"/console"
		c.Rules.Lifecycle.ExpiryReminders = []int{7, 1} // the deployment's default: the console marks tokens within 7 days
		if in.claims != nil {
			c.Claims = *in.claims
		}
	}))
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("no Chromium at %s: `make test` installs it (infra/browser.sh)", chromiumPath)
	}
	authorizer := e.AuthorizerConfig()
	authorizer.Timeout = 2 * time.Second
	mux, err := devstack.Handler(devstack.Options{
		Config: e.Config, Authorizer: authorizer, DB: e.DB, Mail: e.Mail,
		Identity: in.identity, Console: in.console(base), Log: e.Log,
	})
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{url: base}
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.dropped(r) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close() // no answer at all: the browser's fetch fails
			}
			return
		}
		mux.ServeHTTP(w, r)
	})
	srv.Start()

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", "new"),
		chromedp.NoSandbox, // root in CI
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	if err := chromedp.Do(browser); err != nil { // start it once, without a deadline
		t.Fatalf("start Chromium: %v", err)
	}
	shots := os.Getenv("PAT_SCREENSHOTS") // `make screenshots` sets docs/screenshots
	if shots == "" {
		shots = t.TempDir()
	} else if !filepath.IsAbs(shots) {
		shots = filepath.Join(localstack.RepoRoot(t), shots)
	}
	s.browser, s.shots = browser, shots
	return s
}

// tab is one browser tab, acting as one local user.
type tab struct {
	t       *testing.T
	s       *stack
	ctx     context.Context
	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

func (s *stack) tab(t *testing.T, user string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(s.browser)
	tb := &tab{t: t, s: s, ctx: ctx}
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			fmt.Fprintf(&ledger.Logs, "browser console: %s\n", m)
			tb.mu.Lock()
			tb.console = append(tb.console, m)
			tb.mu.Unlock()
		}
	}()
	if user != "" {
		// The console's user switcher keeps the choice for the tab.
		tb.open("/console/")
		tb.eval(fmt.Sprintf(`sessionStorage.setItem("pat.devUser", %q)`, user))
	}
	return tb
}

func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.t.Fatalf("browser: %v\npage: %s\nconsole errors: %q", err, tb.mainText(), tb.errors())
	}
}

func (tb *tab) mainText() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main")?.innerText + " | dialog: " + (document.querySelector("dialog")?.innerText || "")`))
	return s
}

func eval[T any](tb *tab, js string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		tb.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func (tb *tab) eval(js string) { tb.t.Helper(); eval[any](tb, js) }

// waitFor waits until a JavaScript expression is true. It evaluates it
// again and again rather than once in the page, so it survives navigations
// (the sign-in redirects).
func (tb *tab) waitFor(js string) {
	tb.t.Helper()
	deadline := time.Now().Add(30 * time.Second) // generous: a loaded CI machine, not the page, is slow
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	tb.t.Fatalf("waiting for %s: timed out (last error: %v)\npage: %s\nconsole errors: %q", js, last, tb.mainText(), tb.errors())
}

// open loads a console page and waits until it has rendered its heading.
func (tb *tab) open(path string) {
	tb.t.Helper()
	tb.do(chromedp.Navigate(tb.s.url + path))
	tb.waitFor(`document.querySelector("main h1") !== null && !document.querySelector("main").innerText.includes("Loading…")`)
}

func (tb *tab) click(css string) {
	tb.t.Helper()
	tb.do(chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible))
}

func (tb *tab) text(css string) string {
	tb.t.Helper()
	return eval[string](tb, fmt.Sprintf(`document.querySelector(%q)?.innerText ?? ""`, css))
}

func (tb *tab) typeInto(css, text string) {
	tb.t.Helper()
	tb.do(chromedp.SendKeys(chromedp.CSS(css), text, chromedp.NodeVisible))
}

// clear empties a field as a user selecting its text and deleting it would.
func (tb *tab) clear(css string) {
	tb.t.Helper()
	tb.do(chromedp.Focus(chromedp.CSS(css)))
	tb.eval(fmt.Sprintf(`document.querySelector(%q).select()`, css))
	tb.do(chromedp.KeyEvent("\b"))
}

func (tb *tab) screenshot(name string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Fatal(err)
	}
	if err := os.MkdirAll(tb.s.shots, 0o755); err != nil {
		tb.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tb.s.shots, name+".png"), png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

func (tb *tab) viewport(width, height int64) {
	tb.t.Helper()
	tb.do(chromedp.EmulateViewport(width, height))
}

// errors are the console's errors and exceptions so far.
func (tb *tab) errors() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	var out []string
	for _, m := range tb.console {
		if m.Type == chromedp.ConsoleError || m.IsException() {
			out = append(out, m.String())
		}
	}
	return out
}

// noConsoleErrors fails the test on any console error but the browser's
// own report of a response a test provoked ("status of 400").
func (tb *tab) noConsoleErrors(expected ...string) {
	tb.t.Helper()
	var unexpected []string
	for _, e := range tb.errors() {
		allowed := false
		for _, x := range expected {
			allowed = allowed || strings.Contains(e, "Failed to load resource") && strings.Contains(e, x)
		}
		if !allowed {
			unexpected = append(unexpected, e)
		}
	}
	if len(unexpected) > 0 {
		tb.t.Errorf("console errors: %q", unexpected)
	}
}

// createInDialog fills the create dialog and returns the token the reveal
// dialog shows.
func (tb *tab) createInDialog(name string, scopes ...string) string {
	tb.t.Helper()
	tb.click("#new-token-button")
	tb.typeInto(`dialog input[name="name"]`, name)
	for _, s := range scopes {
		tb.click(fmt.Sprintf(`dialog input[value=%q]`, s))
	}
	tb.click(`dialog button[type="submit"]`)
	return tb.revealed()
}

// revealed reads the token of the reveal dialog.
func (tb *tab) revealed() string {
	tb.t.Helper()
	tb.waitFor(`document.querySelector("#new-token")?.value.startsWith("pat_")`)
	tok := eval[string](tb, `document.querySelector("#new-token").value`)
	ledger.AddToken(tok)
	return tok
}

// closeReveal closes the reveal dialog and checks the token is gone from
// the page: its DOM, its inputs, storage, cookies, the address and history.
func (tb *tab) closeReveal(tok string) {
	tb.t.Helper()
	tb.click("#reveal-done")
	tb.waitFor(`document.querySelector("dialog") === null`)
	dump := eval[string](tb, `JSON.stringify({
		html: document.documentElement.outerHTML,
		inputs: [...document.querySelectorAll("input, textarea, select")].map(i => i.value),
		local: {...localStorage}, session: {...sessionStorage}, cookie: document.cookie,
		url: location.href, loaded: performance.getEntries().map(e => e.name)})`)
	if strings.Contains(dump, tok) || strings.Contains(dump, tok[len(tok)-49:]) {
		tb.t.Fatalf("the token is still in the page after the dialog closed: %s", dump)
	}
	entries := eval[string](tb, `JSON.stringify([location.href, document.referrer, history.length])`)
	if strings.Contains(entries, tok) {
		tb.t.Fatalf("the token is in the address or history: %s", entries)
	}
}

// api calls the service as a user ("" for the development user) or with a
// bearer token, and decodes a JSON answer.
func (s *stack) api(t *testing.T, method, path, user, bearer, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, s.url+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.Header.Set("X-Dev-User", user)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	if tok, ok := m["token"].(string); ok {
		ledger.AddToken(tok)
	}
	return resp.StatusCode, m
}

// demo calls the protected demo API with a token.
func (s *stack) demo(t *testing.T, tok string) int {
	t.Helper()
	code, _ := s.api(t, "GET", "/api/crm/contacts", "", tok, "")
	return code
}

func TestConsoleInABrowser(t *testing.T) {
	s := newStack(t, devSignIn)

	t.Run("headers", func(t *testing.T) {
		resp, err := http.Get(s.url + "/console/tokens/x")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") ||
			resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("headers: %v", resp.Header)
		}
		resp, err = http.Get(s.url + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Request.URL.Path != "/console/" {
			t.Errorf("/ ends at %s, want /console/", resp.Request.URL)
		}
	})

	t.Run("create, reveal once, use, close", func(t *testing.T) {
		tb := s.tab(t, "")
		tb.open("/console/")
		if !strings.Contains(tb.text("main"), "You have no tokens yet") {
			t.Errorf("empty list: %s", tb.text("main"))
		}
		tok := tb.createInDialog("ci deploy", "crm:read", "orders:read")
		if !strings.Contains(tb.text("dialog"), "won't be able to see it again") || !strings.Contains(tb.text("dialog pre"), "Authorization: Bearer $PAT_TOKEN") ||
			!strings.Contains(tb.text("dialog pre"), s.url+"/api/crm") {
			t.Errorf("reveal dialog: %s", tb.text("dialog"))
		}
		for _, tab := range []string{"Python requests", "PowerShell"} {
			tb.do(chromedp.Click(fmt.Sprintf(`//dialog//button[text()=%q]`, tab), chromedp.NodeVisible))
		}
		if !strings.Contains(tb.text("dialog pre"), "Invoke-RestMethod") {
			t.Errorf("PowerShell snippet: %s", tb.text("dialog pre"))
		}
		if code := s.demo(t, tok); code != 200 {
			t.Fatalf("the revealed token at the demo API: %d", code)
		}
		tb.screenshot("reveal")
		tb.closeReveal(tok)
		tb.waitFor(`document.querySelector("#tokens tbody tr") !== null`)
		row := tb.text("#tokens tbody tr")
		if !strings.Contains(row, "ci deploy") || !strings.Contains(row, "crm:read") || !strings.Contains(row, "active") {
			t.Errorf("list row: %s", row)
		}
		// After a use the list shows when, from where and with what (at
		// <console>/tokens, where notice mails link).
		tb.open("/console/tokens")
		tb.waitFor(`document.querySelector("#tokens tbody tr") !== null`)
		if row := tb.text("#tokens tbody tr"); !strings.Contains(row, "127.0.0.1") || !strings.Contains(row, "Go-http-client") {
			t.Errorf("last use: %s", row)
		}
		tb.noConsoleErrors()
	})

	t.Run("rename, rotate, revoke", func(t *testing.T) {
		tb := s.tab(t, "")
		tb.open("/console/")
		tok := tb.createInDialog("laptop", "crm:read")
		tb.closeReveal(tok)
		tb.click(`#tokens a.name`)
		tb.waitFor(`document.querySelector("#rotate-token") !== null`)

		tb.click("#edit-token")
		tb.clear(`dialog input[name="name"]`)
		tb.typeInto(`dialog input[name="name"]`, "work laptop")
		tb.typeInto(`dialog textarea[name="description"]`, "the grey one")
		tb.click(`dialog button[type="submit"]`)
		tb.waitFor(`document.querySelector("main h1").innerText.startsWith("work laptop") && document.querySelector("#events") !== null`)
		if !strings.Contains(tb.text("main"), "the grey one") || !strings.Contains(tb.text("#events"), "Token changed") {
			t.Errorf("after rename: %s", tb.text("main"))
		}

		// Extend: a new expiry, 30 days from now.
		tb.click("#extend-token")
		tb.do(chromedp.SetValue(chromedp.CSS(`dialog select[name="days"]`), "30"))
		tb.click(`dialog button[type="submit"]`)
		tb.waitFor(`document.querySelector("dialog") === null && document.querySelector("#events")?.innerText.includes("Token extended")`)
		id := strings.Split(tok, "_")[1]
		if _, m := s.api(t, "GET", "/tokens/"+id, "", "", ""); !strings.HasPrefix(fmt.Sprint(m["expiresAt"]), time.Now().AddDate(0, 0, 30).UTC().Format("2006-01-02")) {
			t.Errorf("extended to %v, want 30 days from now", m["expiresAt"])
		}

		tb.click("#rotate-token")
		tb.click(`dialog button[type="submit"]`)
		rotated := tb.revealed()
		if rotated == tok {
			t.Fatal("rotation revealed the old token")
		}
		if code := s.demo(t, tok); code != 401 {
			t.Errorf("the rotated-away token: %d, want 401", code)
		}
		if code := s.demo(t, rotated); code != 200 {
			t.Errorf("the new token: %d, want 200", code)
		}
		tb.closeReveal(rotated)
		// The console moves to the new token's page.
		// The address changes before the new page is drawn: wait for the
		// page to show the new token, not the old one's page at the new address.
		newID := strings.Split(rotated, "_")[1]
		tb.waitFor(fmt.Sprintf(`location.pathname === "/console/tokens/%s" && document.querySelector("#events") !== null && document.querySelector("main").innerText.includes(%q)`, newID, newID))
		if h1 := tb.text("main h1"); !strings.HasPrefix(h1, "work laptop") {
			t.Errorf("rotated token's page: %s", h1)
		}

		tb.click("#revoke-token")
		if !strings.Contains(tb.text("dialog"), "cannot be undone") {
			t.Errorf("revoke asks: %s", tb.text("dialog"))
		}
		tb.click(`dialog button[type="submit"]`)
		tb.waitFor(`document.querySelector("main h1 .badge")?.innerText === "revoked"`)
		if code := s.demo(t, rotated); code != 401 {
			t.Errorf("the revoked token: %d, want 401 at once", code)
		}
		tb.open("/console/")
		tb.waitFor(`document.querySelectorAll("#tokens tbody tr").length >= 3`)
		tb.screenshot("tokens")
		tb.noConsoleErrors()
	})

	t.Run("revoke all mine with the typed count", func(t *testing.T) {
		tb := s.tab(t, "carol")
		var toks []string
		for _, name := range []string{"a", "b", "c"} {
			_, m := s.api(t, "POST", "/tokens", "carol", "", `{"name":"`+name+`","scopes":["crm:read"]}`)
			toks = append(toks, m["token"].(string))
		}
		tb.open("/console/")
		tb.click("#revoke-all-mine")
		tb.waitFor(`document.querySelector("dialog") !== null`)
		if !strings.Contains(tb.text("dialog"), "revokes 3 tokens") || !eval[bool](tb, `document.querySelector('dialog button[type="submit"]').disabled`) {
			t.Fatalf("the dialog: %s", tb.text("dialog"))
		}
		tb.typeInto(`dialog input[name="count"]`, "2")
		if !eval[bool](tb, `document.querySelector('dialog button[type="submit"]').disabled`) {
			t.Error("a wrong count enables the button")
		}
		tb.clear(`dialog input[name="count"]`)
		tb.typeInto(`dialog input[name="count"]`, "3")
		tb.click(`dialog button[type="submit"]`)
		tb.waitFor(`document.querySelector("dialog") === null && [...document.querySelectorAll("#tokens .badge")].every(b => b.innerText === "revoked")`)
		for _, tok := range toks {
			if code := s.demo(t, tok); code != 401 {
				t.Errorf("after revoke-all: %d", code)
			}
		}
		tb.noConsoleErrors()
	})

	t.Run("the scope picker offers only held scopes", func(t *testing.T) {
		tb := s.tab(t, "")
		tb.open("/console/")
		tb.click("#new-token-button")
		offered := eval[[]string](tb, `[...document.querySelectorAll('dialog input[type="checkbox"]')].map(i => i.value)`)
		// And below the grid the owner's own scope, which no permission grants.
		want := []string{"crm:create", "crm:read", "crm:update", "crm:delete", "products:create", "products:read", "products:update", "products:delete", "orders:read", "accounting:read", "tokens:self-rotate"}
		if fmt.Sprint(offered) != fmt.Sprint(want) {
			t.Errorf("offered %v, want %v", offered, want)
		}
		if hint := tb.text("dialog"); !strings.Contains(hint, "180 days (default)") || !strings.Contains(hint, "maximum is 365 days") {
			t.Errorf("expiry: %s", hint)
		}
		// The API's refusal, in words, in the dialog: a name of blanks.
		tb.typeInto(`dialog input[name="name"]`, "   ")
		tb.click(`dialog input[value="crm:read"]`)
		tb.click(`dialog button[type="submit"]`)
		tb.waitFor(`document.querySelector("dialog [role=alert]") !== null`)
		if msg := tb.text("dialog [role=alert]"); !strings.HasPrefix(msg, "Please check your input: name") || strings.ContainsAny(msg, "{}") {
			t.Errorf("error shown as %q", msg)
		}
		tb.do(chromedp.KeyEvent("\x1b")) // Escape closes the dialog
		tb.waitFor(`document.querySelector("dialog") === null`)

		// A user with no permissions is told, not offered an empty picker.
		nobody := s.tab(t, "nobody")
		nobody.open("/console/")
		nobody.waitFor(`document.querySelector("#no-permissions") !== null`)
		if !strings.Contains(nobody.text("#no-permissions"), "You may not create tokens") || !eval[bool](nobody, `document.querySelector("#new-token-button").disabled`) {
			t.Errorf("no permissions: %s", nobody.text("main"))
		}
		tb.noConsoleErrors("status of 400") // the refused name
		nobody.noConsoleErrors()
	})

	t.Run("a user sees no administration", func(t *testing.T) {
		tb := s.tab(t, "alice")
		tb.open("/console/")
		tb.waitFor(`document.querySelector("#who").innerText.includes("alice")`)
		if !eval[bool](tb, `document.querySelector("#admin-link").hidden`) {
			t.Error("alice sees the administration link")
		}
		// The footer names the release GET /me reports: this test's server
		// is built by go test, so the development version.
		if got := tb.text("footer"); got != "Version "+version.Development {
			t.Errorf("footer: %q, want %q", got, "Version "+version.Development)
		}
		tb.open("/console/admin/tokens")
		tb.waitFor(`document.querySelector("main [role=alert]") !== null`)
		if msg := tb.text("main"); !strings.Contains(msg, "Not allowed") || !strings.Contains(msg, "You are not an administrator") || strings.Contains(msg, "{") {
			t.Errorf("forced admin URL: %s", msg)
		}
	})

	t.Run("an administrator locks a token and revokes all of one owner's", func(t *testing.T) {
		owner := "bob-" + strings.ToLower(rand.Text()[:6])
		_, first := s.api(t, "POST", "/tokens", owner, "", `{"name":"bob ci","scopes":["crm:read"]}`)
		_, second := s.api(t, "POST", "/tokens", owner, "", `{"name":"bob laptop","scopes":["crm:read"]}`)
		_, other := s.api(t, "POST", "/tokens", "someone-else", "", `{"name":"not bob's","scopes":["crm:read"]}`)

		tb := s.tab(t, "")
		tb.open("/console/admin/tokens?owner=" + owner)
		tb.waitFor(`document.querySelectorAll("#admin-tokens tbody tr").length === 2`)
		tb.click(fmt.Sprintf(`#admin-tokens tr[data-id=%q] button`, first["id"]))
		if !eval[bool](tb, `document.querySelector('dialog button[type="submit"]').disabled`) {
			t.Error("lock without a reason is offered")
		}
		tb.typeInto(`dialog input[name="reason"]`, "seen in a public repository")
		tb.click(`dialog button[type="submit"]`)
		tb.waitFor(fmt.Sprintf(`document.querySelector('#admin-tokens tr[data-id=%q] .badge')?.innerText === "locked"`, first["id"]))
		if code := s.demo(t, first["token"].(string)); code != 401 {
			t.Errorf("locked token: %d, want 401", code)
		}
		// The two creation notices, then the lock's.
		var mails []localstack.Email
		for range 50 {
			if mails = localstack.Inbox(t, owner+"@example.com"); len(mails) > 2 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if len(mails) != 3 || !strings.Contains(mails[2].Body.Text, "seen in a public repository") {
			t.Errorf("the owner's mail: %+v", mails)
		}

		// Everyone's tokens, one locked, for the README.
		tb.open("/console/admin/tokens")
		tb.waitFor(`[...document.querySelectorAll("#admin-tokens .badge")].some(b => b.innerText === "locked")`)
		tb.screenshot("admin-tokens")

		tb.open("/console/admin/tokens?owner=" + owner)
		tb.waitFor(`document.querySelectorAll("#admin-tokens tbody tr").length === 2`)
		tb.click("#revoke-owner")
		tb.waitFor(`document.querySelector("dialog") !== null`)
		if !strings.Contains(tb.text("dialog"), "revokes 2 tokens of "+owner) {
			t.Errorf("the dialog: %s", tb.text("dialog"))
		}
		tb.typeInto(`dialog input[name="count"]`, "2")
		tb.typeInto(`dialog input[name="reason"]`, "offboarding")
		tb.click(`dialog button[type="submit"]`)
		tb.waitFor(`document.querySelector("dialog") === null && [...document.querySelectorAll("#admin-tokens .badge")].every(b => b.innerText === "revoked")`)
		if code := s.demo(t, second["token"].(string)); code != 401 {
			t.Errorf("after revoke-all of the owner: %d", code)
		}
		if code := s.demo(t, other["token"].(string)); code != 200 {
			t.Errorf("another owner's token after revoke-all of %s: %d", owner, code)
		}

		tb.open("/console/admin/audit?owner=" + owner)
		tb.waitFor(`document.querySelector("#events") !== null`)
		// Actions in words, the token's name beside its id, times with their zone.
		if audit := tb.text("#events"); !strings.Contains(audit, "Token locked") || !strings.Contains(audit, "offboarding") ||
			!strings.Contains(audit, "bob laptop") || !strings.Contains(audit, fmt.Sprint(second["id"])) || !strings.Contains(audit, "UTC") {
			t.Errorf("audit log: %s", audit)
		}
		tb.open("/console/admin/users/" + owner)
		tb.waitFor(`document.querySelector("#effective") !== null`)
		if page := tb.text("main"); !strings.Contains(page, "crm:read") || !strings.Contains(page, "Disable user") {
			t.Errorf("user page: %s", page)
		}
		// Narrow the user's permissions to orders:read, then disable them.
		// The form starts from nothing ticked, so that saving never freezes
		// the current grants by accident, and says what the user keeps.
		if checked := eval[[]string](tb, `[...document.querySelectorAll('#limit-form input[type=checkbox]:checked')].map(i => i.value)`); len(checked) != 0 {
			t.Errorf("the limit form starts ticked: %v", checked)
		}
		if effect := tb.text("#limit-effect"); !strings.Contains(effect, "keeps no permission") {
			t.Errorf("effect of nothing ticked: %q", effect)
		}
		// Saving with nothing ticked asks first; cancelled, nothing changes.
		tb.click(`#limit-form button[type="submit"]`)
		tb.waitFor(`document.querySelector("dialog")?.innerText.includes("Remove every permission")`)
		tb.click(`dialog button[type="button"]`)
		tb.waitFor(`document.querySelector("dialog") === null`)
		if _, u := s.api(t, "GET", "/admin/users/"+owner, "", "", ""); u["permissionLimit"] != nil {
			t.Errorf("a cancelled removal saved a limit: %v", u["permissionLimit"])
		}
		tb.click(`#limit-form input[value="orders:read"]`)
		tb.click(`#limit-form input[value="accounting:delete"]`) // the identity provider does not grant it
		if effect := tb.text("#limit-effect"); effect != "After saving, "+owner+"@example.com keeps: orders:read." {
			t.Errorf("effect: %q", effect)
		}
		tb.click(`#limit-form input[value="accounting:delete"]`)
		tb.click(`#limit-form button[type="submit"]`)
		tb.waitFor(`document.querySelector("#effective")?.innerText === "orders:read"`)
		tb.click("#disable-user")
		tb.typeInto(`dialog input[name="reason"]`, "left the company")
		tb.click(`dialog button[type="submit"]`)
		tb.waitFor(`document.querySelector("#enable-user") !== null`)
		if _, u := s.api(t, "GET", "/admin/users/"+owner, "", "", ""); u["status"] != "disabled" || fmt.Sprint(u["permissionLimit"]) != "[orders:read]" {
			t.Errorf("user after the page's changes: %v", u)
		}
		tb.screenshot("admin-user")
		tb.noConsoleErrors()
	})

	t.Run("an expiry on the last allowed day", func(t *testing.T) {
		tb := s.tab(t, "erin")
		tb.open("/console/")
		tb.click("#new-token-button")
		tb.typeInto(`dialog input[name="name"]`, "long lived")
		tb.click(`dialog input[value="crm:read"]`)
		tb.eval(`(() => { const s = document.querySelector("dialog select[name=expiry]"); s.value = "date"; s.dispatchEvent(new Event("change")); })()`)
		last := eval[string](tb, `document.querySelector("dialog input[name=expiresOn]").max`)
		tb.eval(fmt.Sprintf(`document.querySelector("dialog input[name=expiresOn]").value = %q`, last))
		tb.click(`dialog button[type="submit"]`)
		tok := tb.revealed()
		tb.closeReveal(tok)
		_, m := s.api(t, "GET", "/tokens/"+strings.Split(tok, "_")[1], "erin", "", "")
		at, err := time.Parse(time.RFC3339, fmt.Sprint(m["expiresAt"]))
		if err != nil || at.After(time.Now().AddDate(0, 0, 365)) || at.Before(time.Now().AddDate(0, 0, 364)) {
			t.Errorf("expires %v (%v), want the last allowed day (max %s)", m["expiresAt"], err, last)
		}
		tb.noConsoleErrors()
	})

	t.Run("keyboard only create", func(t *testing.T) {
		tb := s.tab(t, "dave")
		tb.open("/console/")
		tb.waitFor(`document.querySelector("#who").innerText.includes("dave")`)
		// Tab from the top of the page to the create button.
		tb.focusByTab(`document.activeElement?.id === "new-token-button"`, false)
		tb.do(chromedp.KeyEvent("\r"))
		tb.waitFor(`document.activeElement?.name === "name"`) // the dialog opens with the name focused
		tb.do(chromedp.KeyEvent("keyboard token"))
		tb.focusByTab(`document.activeElement?.value === "crm:read"`, true)
		tb.do(chromedp.KeyEvent(" "))
		tb.focusByTab(`document.activeElement?.type === "submit"`, true)
		tb.do(chromedp.KeyEvent("\r"))
		tok := tb.revealed()
		tb.focusByTab(`document.activeElement?.id === "reveal-done"`, true)
		tb.do(chromedp.KeyEvent("\r"))
		tb.waitFor(`document.querySelector("dialog") === null`)
		tb.waitFor(`document.querySelector("#tokens")?.innerText.includes("keyboard token")`)
		if code := s.demo(t, tok); code != 200 {
			t.Errorf("keyboard-made token: %d", code)
		}
		tb.noConsoleErrors()
	})

	t.Run("narrow screens", func(t *testing.T) {
		tb := s.tab(t, "dave")
		tb.viewport(360, 740)
		for _, path := range []string{"/console/", "/console/admin/audit"} {
			tb.open(path)
			tb.waitFor(`!document.querySelector("main").innerText.includes("Loading")`)
			if w := eval[int](tb, `document.documentElement.scrollWidth`); w > 360 {
				t.Errorf("%s is %dpx wide at 360px", path, w)
			}
		}
		tb.open("/console/")
		tb.waitFor(`document.querySelector("#tokens") !== null`)
		tb.screenshot("tokens-360")
		tb.click("#new-token-button")
		tb.waitFor(`document.querySelector("dialog") !== null`)
		if over := eval[bool](tb, `[...document.querySelectorAll("dialog *")].some(e => e.getBoundingClientRect().right > 360)`); over {
			t.Error("the create dialog is wider than 360px")
		}
		tb.screenshot("create-360")
	})
}

// focusByTab presses Tab until the condition holds (at most 40 times). In a
// dialog, focus must stay inside it: the dialog traps it.
func (tb *tab) focusByTab(cond string, inDialog bool) {
	tb.t.Helper()
	for range 40 {
		if eval[bool](tb, cond) {
			return
		}
		tb.do(chromedp.KeyEvent("\t"))
		if inDialog && !eval[bool](tb, `document.activeElement?.closest("dialog") !== null`) {
			tb.t.Fatalf("focus left the dialog: %s", eval[string](tb, `document.activeElement?.outerHTML ?? "none"`))
		}
	}
	tb.t.Fatalf("Tab never reached %s", cond)
}
