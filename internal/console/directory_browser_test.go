package console_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/patservice/pat/internal/localgw"
	"github.com/patservice/pat/internal/localstack"
)

// directoryNames are the display names the identity provider gives the
// directory's users (its name claim); one has none.
var directoryNames = map[string]string{"anna": "Anna Schmidt", "zoe": "Berta Zoë", "bert": "Bert de Vries"}

// namedSignIn is devSignIn with the name claim.
var namedSignIn = signIn{identity: localgw.Claims(func(r *http.Request) map[string]string {
	c := claims(r)
	if name, ok := directoryNames[c["sub"]]; ok {
		c["name"] = name
	}
	return c
}), console: devSignIn.console}

func (tb *tab) rowIDs(table string) []string {
	tb.t.Helper()
	return eval[[]string](tb, fmt.Sprintf(`[...document.querySelectorAll("#%s tbody tr")].map(r => r.dataset.id)`, table))
}

// An administrator finds users in the directory: sorted by name or email,
// searched by the start of either, opened with a click; a user is refused.
func TestDirectoryInABrowser(t *testing.T) {
	s := newStack(t, namedSignIn)
	for _, u := range []string{"zoe", "anna", "bert", "carl"} {
		if code, body := s.api(t, "POST", "/tokens", u, "", `{"name":"laptop","scopes":["crm:read"]}`); code != 201 {
			t.Fatalf("create a token as %s: %d %v", u, code, body)
		}
	}
	s.api(t, "POST", "/tokens", "anna", "", `{"name":"ci","scopes":["crm:read"]}`)

	t.Run("list, search, sort and open", func(t *testing.T) {
		tb := s.tab(t, "")
		tb.open("/console/admin/users")
		tb.waitFor(`document.querySelectorAll("#directory tbody tr").length === 4`)
		// By name ("Bert de Vries" before "Berta Zoë"); carl has none and is sorted by his address.
		if got := tb.rowIDs("directory"); !slices.Equal(got, []string{"anna", "bert", "zoe", "carl"}) {
			t.Fatalf("by name: %v", got)
		}
		row := tb.text(`#directory tr[data-id="anna"]`)
		for _, want := range []string{"Anna Schmidt", "anna@example.com", "active", "crm:read", "2"} {
			if !strings.Contains(row, want) {
				t.Errorf("anna's row lacks %q: %s", want, row)
			}
		}
		if !strings.Contains(tb.text(`#directory tr[data-id="carl"]`), "no name") {
			t.Errorf("carl's row: %s", tb.text(`#directory tr[data-id="carl"]`))
		}
		tb.screenshot("directory")

		tb.typeInto("#directory-prefix", "BERTA")
		tb.click(`#directory-search button[type="submit"]`)
		tb.waitFor(`location.search.includes("prefix=BERTA") && document.querySelectorAll("#directory tbody tr").length === 1`)
		if got := tb.rowIDs("directory"); !slices.Equal(got, []string{"zoe"}) {
			t.Fatalf("prefix BERTA: %v", got)
		}

		tb.open("/console/admin/users?prefix=nobody")
		tb.waitFor(`document.querySelector("#no-users") !== null`)

		tb.open("/console/admin/users")
		tb.waitFor(`document.querySelectorAll("#directory tbody tr").length === 4`)
		tb.eval(`document.querySelector("#directory-sort").value = "email"`)
		tb.click(`#directory-search button[type="submit"]`)
		tb.waitFor(`location.search.includes("sort=email") && [...document.querySelectorAll("#directory tbody tr")].map(r => r.dataset.id).join() === "anna,bert,carl,zoe"`)
		tb.typeInto("#directory-prefix", "bert@")
		tb.click(`#directory-search button[type="submit"]`)
		tb.waitFor(`document.querySelectorAll("#directory tbody tr").length === 1`)

		tb.click(`#directory tr[data-id="bert"] a.name`)
		tb.waitFor(`location.pathname === "/console/admin/users/bert" && document.querySelector("main h1")?.innerText.includes("bert")`)
		tb.noConsoleErrors()
	})

	t.Run("an administrator creates a token for a user", func(t *testing.T) {
		tb := s.tab(t, "")
		tb.open("/console/admin/users?prefix=bert%20de")
		tb.waitFor(`document.querySelectorAll("#directory tbody tr").length === 1`)
		tb.click(`#directory tr[data-id="bert"] a.name`)
		tb.waitFor(`document.querySelector("#create-for-user") !== null`)
		if name := tb.text("#user-name"); name != "Bert de Vries" {
			t.Errorf("the user's name: %q", name)
		}
		tb.click("#create-for-user")
		tb.typeInto(`dialog input[name="name"]`, "ERP import")
		// The user's permissions are offered: crm:read is among them.
		tb.click(`dialog input[value="crm:read"]`)
		tb.click(`dialog button[type="submit"]`)
		tok := tb.revealed()
		if heading := tb.text("dialog h2"); !strings.Contains(heading, "Bert de Vries") {
			t.Errorf("the reveal names the user: %q", heading)
		}
		tb.closeReveal(tok)
		tb.waitFor(`document.querySelector("main h1")?.innerText.includes("bert")`)
		_, list := s.api(t, "GET", "/tokens", "bert", "", "")
		items, _ := list["items"].([]any)
		found := false
		for _, it := range items {
			found = found || it.(map[string]any)["name"] == "ERP import"
		}
		if !found {
			t.Fatalf("bert's tokens lack the one created for him: %v", items)
		}
		told := false
		for i := 0; i < 100 && !told; i++ {
			for _, m := range localstack.Inbox(t, "bert@example.com") {
				told = told || strings.Contains(m.Body.Text, "ERP import")
			}
			time.Sleep(100 * time.Millisecond)
		}
		if !told {
			t.Errorf("bert was not mailed about the token: %+v", localstack.Inbox(t, "bert@example.com"))
		}
		tb.noConsoleErrors()
	})

	t.Run("an administrator opens one token, locks, unlocks and revokes it", func(t *testing.T) {
		_, tok := s.api(t, "POST", "/tokens", "zoe", "", `{"name":"zoe ci","scopes":["crm:read"]}`)
		id := tok["id"].(string)
		tb := s.tab(t, "")
		tb.open("/console/admin/tokens?owner=zoe@example.com")
		tb.waitFor(fmt.Sprintf(`document.querySelector('#admin-tokens tr[data-id=%q] a.name') !== null`, id))
		tb.click(fmt.Sprintf(`#admin-tokens tr[data-id=%q] a.name`, id))
		tb.waitFor(`document.querySelector("#token-facts") !== null && document.querySelector("#token-trail tbody tr") !== null`)
		facts := tb.text("#token-facts")
		for _, want := range []string{"zoe", "zoe@example.com", id, "crm:read", "every 10 minutes"} {
			if !strings.Contains(facts, want) {
				t.Errorf("the token's details lack %q: %s", want, facts)
			}
		}
		if trail := tb.text("#token-trail tbody"); !strings.Contains(trail, "Token created") || strings.Contains(trail, "token.created") {
			t.Errorf("the trail in words: %s", trail)
		}

		tb.click("#lock-token")
		tb.typeInto(`dialog input[name="reason"]`, "leaked in a ticket")
		tb.click(`dialog button[type="submit"]`)
		tb.waitFor(`document.querySelector("dialog") === null && document.querySelector("main h1 .badge")?.innerText === "locked"`)
		tb.waitFor(`[...document.querySelectorAll("#token-trail tbody tr")].some(r => r.dataset.action === "token.locked" && r.innerText.includes("Token locked") && r.innerText.includes("leaked in a ticket"))`)
		if code := s.demo(t, tok["token"].(string)); code != 401 {
			t.Errorf("a locked token: %d, want 401", code)
		}

		tb.click("#unlock-token")
		tb.click(`dialog button[type="submit"]`)
		tb.waitFor(`document.querySelector("dialog") === null && document.querySelector("main h1 .badge")?.innerText === "active"`)

		tb.click("#revoke-token")
		tb.click(`dialog button[type="submit"]`)
		tb.waitFor(`document.querySelector("dialog") === null && document.querySelector("main h1 .badge")?.innerText === "revoked"`)
		if eval[bool](tb, `document.querySelector("#lock-token, #unlock-token, #revoke-token") !== null`) {
			t.Error("a revoked token still offers actions")
		}
		tb.screenshot("admin-token")
		tb.noConsoleErrors()
	})

	t.Run("in German", func(t *testing.T) {
		tb := s.tab(t, "")
		// The browser's language, as navigator.languages gives it.
		if _, err := chromedp.Call(tb.ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: "Mozilla/5.0 Chromium", AcceptLanguage: "de-DE,de"}); err != nil {
			t.Fatal(err)
		}
		tb.open("/console/admin/users")
		tb.waitFor(`document.querySelectorAll("#directory tbody tr").length === 4`)
		if h1 := tb.text("main h1"); h1 != "Benutzer" {
			t.Errorf("heading in German: %q", h1)
		}
		if head := eval[string](tb, `document.querySelector("#directory thead").textContent`); !strings.Contains(head, "Berechtigungen") {
			t.Errorf("columns in German: %q", head)
		}
		tb.screenshot("directory-de")
	})

	t.Run("a user is refused", func(t *testing.T) {
		tb := s.tab(t, "anna")
		tb.open("/console/admin/users")
		tb.waitFor(`document.querySelector("main [role=alert]") !== null`)
		if msg := tb.text("main"); !strings.Contains(msg, "Not allowed") || strings.Contains(msg, "zoe@example.com") {
			t.Errorf("a user opened the directory: %s", msg)
		}
	})
}
