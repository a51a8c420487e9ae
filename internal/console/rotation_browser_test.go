package console_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Rotating with an overlap in the console: the old token keeps working at
// the demo API (behind the real authorizer) and its page says "replaced,
// works until …" with a link to its replacement; both tokens work.
func TestRotateWithOverlapInABrowser(t *testing.T) {
	s := newStack(t, devSignIn)
	tb := s.tab(t, "")
	tb.open("/console/")
	tok := tb.createInDialog("build agent", "crm:read")
	tb.closeReveal(tok)
	tb.click(`#tokens a.name`)
	tb.waitFor(`document.querySelector("#rotate-token") !== null`)

	tb.click("#rotate-token")
	tb.do(chromedp.SetValue(chromedp.CSS(`#rotate-overlap`), "3600"))
	tb.click(`#rotate-revoke-on-reuse`)
	tb.screenshot("rotate-overlap")
	tb.click(`dialog button[type="submit"]`)
	rotated := tb.revealed()
	if code := s.demo(t, tok); code != 200 {
		t.Errorf("the replaced token in its overlap: %d, want 200", code)
	}
	if code := s.demo(t, rotated); code != 200 {
		t.Errorf("the new token: %d, want 200", code)
	}
	tb.closeReveal(rotated)

	oldID, newID := strings.Split(tok, "_")[1], strings.Split(rotated, "_")[1]
	tb.waitFor(fmt.Sprintf(`location.pathname === "/console/tokens/%s" && document.querySelector("#events") !== null`, newID))
	tb.open("/console/tokens/" + oldID)
	tb.waitFor(`document.querySelector("#replaced-notice") !== null`)
	if badge := tb.text("main h1 .badge"); badge != "replaced" {
		t.Errorf("the old token's badge: %q, want replaced", badge)
	}
	if notice := tb.text("#replaced-notice"); !strings.Contains(notice, "Replaced, works until") || !strings.Contains(notice, "See its replacement") {
		t.Errorf("the old token's notice: %s", notice)
	}
	// A replaced token can only be revoked.
	for _, id := range []string{"#rotate-token", "#extend-token", "#edit-token"} {
		if eval[bool](tb, fmt.Sprintf(`document.querySelector(%q) !== null`, id)) {
			t.Errorf("a replaced token offers %s", id)
		}
	}
	if !eval[bool](tb, `document.querySelector("#revoke-token") !== null`) {
		t.Error("a replaced token cannot be revoked")
	}
	if _, m := s.api(t, "GET", "/tokens/"+oldID, "", "", ""); m["status"] != "replaced" || m["replacedBy"] != newID || m["replacedUntil"] == nil {
		t.Errorf("the old token through the API: %v", m)
	}
	tb.screenshot("replaced")
	tb.noConsoleErrors()
}
