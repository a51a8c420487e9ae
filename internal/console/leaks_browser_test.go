package console_test

import (
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/patservice/pat/internal/localstack"
)

// "Report as leaked": an owner on their token's page and an administrator
// in the list of every token; the token stops working at once, the
// activity shows token.leaked with where it was found, and the owner is
// mailed.
func TestReportLeakedInABrowser(t *testing.T) {
	s := newStack(t, devSignIn)

	t.Run("an owner reports their token", func(t *testing.T) {
		tb := s.tab(t, "")
		tb.open("/console/")
		tok := tb.createInDialog("pasted", "crm:read")
		tb.closeReveal(tok)
		if code := s.demo(t, tok); code != 200 {
			t.Fatalf("the new token at the demo API: %d", code)
		}
		tb.click(`#tokens a.name`)
		tb.waitFor(`document.querySelector("#report-leaked") !== null`)
		tb.click("#report-leaked")
		tb.waitFor(`document.querySelector("dialog") !== null`)
		if d := tb.text("dialog"); !strings.Contains(d, "revoked at once") || !strings.Contains(d, "Never paste the token itself") {
			t.Errorf("the dialog: %s", d)
		}
		where := "https://gist.github.com/someone/0123abcd"
		tb.typeInto(`dialog input[name="url"]`, where)
		tb.typeInto(`dialog input[name="note"]`, "pasted by mistake")
		tb.click(`dialog button[type="submit"]`)
		tb.waitFor(`document.querySelector("dialog") === null && document.querySelector("#events")?.innerText.includes("Token revoked as leaked")`)
		if h1 := tb.text("main h1"); !strings.Contains(h1, "revoked") {
			t.Errorf("after the report: %s", h1)
		}
		if !strings.Contains(tb.text("#events"), where) {
			t.Errorf("the activity does not say where: %s", tb.text("#events"))
		}
		if eval[bool](tb, `document.querySelector("#report-leaked") !== null`) {
			t.Error("a revoked token is offered to be reported again")
		}
		if code := s.demo(t, tok); code != 401 {
			t.Errorf("the reported token at the demo API: %d, want 401", code)
		}
		var mails []localstack.Email
		for range 50 {
			if mails = localstack.Inbox(t, "dev-user@example.com"); len(leakMails(mails)) > 0 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if m := leakMails(mails); len(m) != 1 || !strings.Contains(m[0].Body.Text, where) {
			t.Errorf("the owner's leak mail: %+v", m)
		}
		tb.noConsoleErrors()
	})

	t.Run("an administrator reports someone's token", func(t *testing.T) {
		owner := "carol-" + strings.ToLower(rand.Text()[:6])
		_, created := s.api(t, "POST", "/tokens", owner, "", `{"name":"carol ci","scopes":["crm:read"]}`)
		tok, id := created["token"].(string), created["id"].(string)
		tb := s.tab(t, "")
		tb.open("/console/admin/tokens?owner=" + owner)
		tb.waitFor(`document.querySelectorAll("#admin-tokens tbody tr").length === 1`)
		tb.click(fmt.Sprintf(`#admin-tokens tr[data-id=%q] button[aria-label^="Report"]`, id))
		tb.waitFor(`document.querySelector("dialog") !== null`)
		if d := tb.text("dialog"); !strings.Contains(d, owner) {
			t.Errorf("the dialog does not name the owner: %s", d)
		}
		// Not a web address: the browser refuses it before anything is sent.
		tb.typeInto(`dialog input[name="url"]`, "not a url")
		tb.click(`dialog button[type="submit"]`)
		if code := s.demo(t, tok); code != 200 {
			t.Fatalf("after an invalid address, the token: %d, want 200 (nothing sent)", code)
		}
		tb.clear(`dialog input[name="url"]`)
		tb.click(`dialog button[type="submit"]`)
		tb.waitFor(fmt.Sprintf(`document.querySelector("dialog") === null && document.querySelector('#admin-tokens tr[data-id=%q] .badge')?.innerText === "revoked"`, id))
		if code := s.demo(t, tok); code != 401 {
			t.Errorf("the reported token: %d, want 401", code)
		}
		var mails []localstack.Email
		for range 50 {
			if mails = leakMails(localstack.Inbox(t, owner+"@example.com")); len(mails) > 0 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if len(mails) != 1 || !strings.Contains(mails[0].Body.Text, "carol ci") {
			t.Errorf("the owner's leak mail: %+v", mails)
		}
		tb.noConsoleErrors()
	})
}

// leakMails are the mails about a leaked token.
func leakMails(mails []localstack.Email) []localstack.Email {
	var out []localstack.Email
	for _, m := range mails {
		if strings.Contains(m.Subject, "found in public") {
			out = append(out, m)
		}
	}
	return out
}
