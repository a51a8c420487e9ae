package console_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The console in German, Dutch and English: the employee's and the
// administrator's main pages in each, with dates and times (with their
// zone) in the language's format; the switch in the header keeps the
// choice and saves it as the language of the reader's mails.
func TestConsoleSpeaksGermanDutchAndEnglish(t *testing.T) {
	s := newStack(t, devSignIn)
	// The employee's tokens: one in use, one expiring soon, one revoked.
	_, used := s.api(t, "POST", "/tokens", "lena", "", `{"name":"Buchhaltung Export","description":"nightly export","scopes":["crm:read","accounting:read"]}`)
	s.demo(t, used["token"].(string))
	s.api(t, "POST", "/tokens", "lena", "", `{"name":"CI deploy","scopes":["crm:read","products:update"],"expiresInDays":5}`)
	_, old := s.api(t, "POST", "/tokens", "lena", "", `{"name":"old laptop","scopes":["crm:read"]}`)
	s.api(t, "DELETE", "/tokens/"+fmt.Sprint(old["id"]), "lena", "", "")
	_, locked := s.api(t, "POST", "/tokens", "max", "", `{"name":"Shop sync","scopes":["products:read"]}`)
	s.api(t, "POST", "/admin/tokens/"+fmt.Sprint(locked["id"])+"/lock", "", "", `{"reason":"seen in a public repository"}`)

	for _, tc := range []struct {
		lang, locale, title, admin, revoked, soon, action string
	}{
		{"de", "de", "Persönliche Zugriffstokens", "Administration", "widerrufen", "läuft bald ab", "Token gesperrt"},
		{"nl", "nl", "Persoonlijke toegangstokens", "Beheer", "ingetrokken", "verloopt binnenkort", "Token geblokkeerd"},
		{"en", "en", "Personal access tokens", "Administration", "revoked", "expires soon", "Token locked"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			tb := s.tab(t, "lena")
			tb.eval(fmt.Sprintf(`localStorage.setItem("pat.lang", %q)`, tc.lang))
			tb.open("/console/")
			tb.waitFor(`document.querySelectorAll("#tokens tbody tr").length === 3`)
			if h1 := tb.text("main h1"); h1 != tc.title || eval[string](tb, `document.documentElement.lang`) != tc.lang {
				t.Errorf("heading %q, lang %q", h1, eval[string](tb, `document.documentElement.lang`))
			}
			page := tb.text("main")
			if !strings.Contains(page, tc.revoked) || !strings.Contains(page, tc.soon) {
				t.Errorf("statuses in %s: %s", tc.lang, page)
			}
			// Dates as the language writes them, as Intl does.
			want := eval[string](tb, fmt.Sprintf(`new Intl.DateTimeFormat(%q, {dateStyle: "medium"}).format(new Date(%q))`, tc.locale, used["createdAt"]))
			if got := tb.text(fmt.Sprintf(`#tokens tr[data-id=%q] td[data-label] time`, used["id"])); got != want {
				t.Errorf("created %q, want %q", got, want)
			}
			tb.screenshot("tokens-" + tc.lang)

			// The token's page: times with their zone, the note on last use.
			tb.click(fmt.Sprintf(`#tokens tr[data-id=%q] a.name`, used["id"]))
			tb.waitFor(`document.querySelector("#events") !== null`)
			if created := tb.text("dl.facts time"); !strings.Contains(created, "UTC") {
				t.Errorf("a time without its zone: %q", created)
			}

			admin := s.tab(t, "")
			admin.open("/console/")
			admin.eval(fmt.Sprintf(`localStorage.setItem("pat.lang", %q)`, tc.lang))
			admin.open("/console/admin/tokens")
			admin.waitFor(`[...document.querySelectorAll("#admin-tokens .badge")].some(b => b.dataset.status === "locked")`)
			if h1 := admin.text("main h1"); h1 != tc.admin {
				t.Errorf("administration heading %q", h1)
			}
			admin.screenshot("admin-tokens-" + tc.lang)
			admin.open("/console/admin/audit")
			admin.waitFor(`document.querySelector("#events tbody") !== null`)
			if audit := admin.text("#events"); !strings.Contains(audit, tc.action) || strings.Contains(audit, "token.locked") {
				t.Errorf("audit actions in %s: %s", tc.lang, audit)
			}
			tb.noConsoleErrors()
			admin.noConsoleErrors()
		})
	}

	t.Run("the switch", func(t *testing.T) {
		tb := s.tab(t, "lena")
		tb.open("/console/")
		tb.waitFor(`document.querySelector("#tokens") !== null`)
		if names := eval[[]string](tb, `[...document.querySelectorAll("#lang option")].map(o => o.innerText)`); fmt.Sprint(names) != "[Deutsch Nederlands English]" {
			t.Errorf("the switch offers %v", names)
		}
		tb.do(chromedp.SetValue(chromedp.CSS("#lang"), "nl"))
		tb.eval(`document.querySelector("#lang").dispatchEvent(new Event("change"))`)
		tb.waitFor(`document.querySelector("main h1")?.innerText === "Persoonlijke toegangstokens" && document.querySelector("#toast").innerText !== ""`)
		if nav := tb.text(`a[data-nav="tokens"]`); nav != "Mijn tokens" || eval[string](tb, `localStorage.getItem("pat.lang")`) != "nl" {
			t.Errorf("after the switch: nav %q, stored %q", nav, eval[string](tb, `localStorage.getItem("pat.lang")`))
		}
		// Signed in, the choice is the mails' language too: PATCH /me.
		deadline := time.Now().Add(5 * time.Second)
		for !s.requested("PATCH /me") && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if !s.requested("PATCH /me") {
			t.Error("the switch did not save the mail language")
		}
		// Where the service refuses it, the reader is told (in their language).
		if toast := tb.text("#toast"); !strings.Contains(toast, "e-mails") {
			t.Errorf("toast %q", toast)
		}
		tb.open("/console/") // the choice holds across pages and reloads
		if h1 := tb.text("main h1"); h1 != "Persoonlijke toegangstokens" {
			t.Errorf("after a reload: %q", h1)
		}
	})
}
