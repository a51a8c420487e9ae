package console_test

import (
	"strings"
	"testing"
)

// A token's allowed sources in the console: set in the create form (a bad
// range is refused there with the service's message, and nothing is
// created), shown in the list and on the token's page, changed and lifted
// in the edit form; the protected API follows each change (the browser's
// requests come from 127.0.0.1).
func TestConsoleAllowedSources(t *testing.T) {
	s := newStack(t, devSignIn)
	tb := s.tab(t, "erin")
	tb.open("/console/")
	tb.waitFor(`document.querySelector("#new-token-button") !== null && !document.querySelector("#new-token-button").disabled`)

	tb.click("#new-token-button")
	tb.typeInto(`dialog input[name="name"]`, "office only")
	tb.click(`dialog input[value="crm:read"]`)
	tb.typeInto(`dialog textarea[name="allowedSources"]`, "10.0.0.0/8\n10.1.2.3/16")
	tb.click(`dialog button[type="submit"]`)
	tb.waitFor(`document.querySelector("dialog")?.innerText.includes("allowedSources[1]")`)
	if msg := tb.text("dialog"); !strings.Contains(msg, "10.1.0.0/16") {
		t.Errorf("the refusal does not say which range was meant: %s", msg)
	}
	if _, m := s.api(t, "GET", "/tokens", "erin", "", ""); len(m["items"].([]any)) != 0 {
		t.Fatalf("a refused creation made a token: %v", m["items"])
	}
	tb.clear(`dialog textarea[name="allowedSources"]`)
	tb.typeInto(`dialog textarea[name="allowedSources"]`, "203.0.113.0/24, 2001:db8::/32")
	tb.click(`dialog button[type="submit"]`)
	tok := tb.revealed()
	if code := s.demo(t, tok); code != 403 {
		t.Errorf("the token from 127.0.0.1, outside its sources: %d, want 403", code)
	}
	tb.closeReveal(tok)
	tb.waitFor(`document.querySelector("#tokens tbody tr") !== null`)
	if row := tb.text("#tokens tbody tr"); !strings.Contains(row, "only from 203.0.113.0/24, 2001:db8::/32") {
		t.Errorf("list row: %s", row)
	}

	tb.click(`#tokens a.name`)
	tb.waitFor(`document.querySelector("#allowed-sources") !== null`)
	if got := tb.text("#allowed-sources"); !strings.Contains(got, "203.0.113.0/24") || !strings.Contains(got, "2001:db8::/32") {
		t.Errorf("token page: %s", got)
	}
	tb.click("#edit-token")
	tb.waitFor(`document.querySelector('dialog textarea[name="allowedSources"]')?.value.includes("203.0.113.0/24")`)
	tb.clear(`dialog textarea[name="allowedSources"]`)
	tb.typeInto(`dialog textarea[name="allowedSources"]`, "127.0.0.1")
	tb.click(`dialog button[type="submit"]`)
	tb.waitFor(`document.querySelector("dialog") === null && document.querySelector("#allowed-sources")?.innerText.includes("127.0.0.1/32")`)
	if code := s.demo(t, tok); code != 200 {
		t.Errorf("the token from 127.0.0.1 once allowed: %d, want 200", code)
	}

	tb.click("#edit-token")
	tb.waitFor(`document.querySelector('dialog textarea[name="allowedSources"]') !== null`)
	tb.clear(`dialog textarea[name="allowedSources"]`)
	tb.click(`dialog button[type="submit"]`)
	tb.waitFor(`document.querySelector("dialog") === null && document.querySelector("#allowed-sources")?.innerText === "anywhere"`)
	// The activity shows each change of the list.
	tb.waitFor(`document.querySelector("#events")?.innerText.includes("allowedSources: 127.0.0.1/32")`)
	tb.noConsoleErrors("400")
}
