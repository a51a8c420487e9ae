package console_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// The lists count and filter: the administrator's all-tokens list says how
// many tokens match, newest first; an owner filters their own list by
// status and finds a token by a part of its name, without case.
func TestListsInABrowser(t *testing.T) {
	s := newStack(t, devSignIn)
	ids, secrets := map[string]string{}, map[string]string{}
	for _, c := range []struct{ user, name string }{{"anna", "CI build"}, {"bert", "laptop"}, {"anna", "deploy"}, {"anna", "old ci"}} {
		code, body := s.api(t, "POST", "/tokens", c.user, "", `{"name":"`+c.name+`","scopes":["crm:read"]}`)
		if code != 201 {
			t.Fatalf("create %s: %d %v", c.name, code, body)
		}
		ids[c.name], secrets[c.name] = body["id"].(string), body["token"].(string)
	}
	if code, body := s.api(t, "DELETE", "/tokens/"+ids["old ci"], "anna", "", ""); code >= 300 {
		t.Fatalf("revoke: %d %v", code, body)
	}

	t.Run("the administrator's list is counted and filtered", func(t *testing.T) {
		tb := s.tab(t, "")
		tb.open("/console/admin/tokens")
		tb.waitFor(`document.querySelectorAll("#admin-tokens tbody tr").length === 4`)
		if got := tb.rowIDs("admin-tokens"); !slices.Equal(got, []string{ids["old ci"], ids["deploy"], ids["laptop"], ids["CI build"]}) {
			t.Fatalf("newest first: %v", got)
		}
		if total := tb.text("#token-total"); total != "4 tokens" {
			t.Errorf("total: %q", total)
		}
		tb.eval(`document.querySelector('form.filters select[name="status"]').value = "revoked"`)
		tb.click(`form.filters button[type="submit"]`)
		tb.waitFor(`location.search.includes("status=revoked") && document.querySelectorAll("#admin-tokens tbody tr").length === 1`)
		if total := tb.text("#token-total"); total != "1 token" {
			t.Errorf("total of the revoked: %q", total)
		}
		tb.screenshot("lists-admin-tokens")
		tb.noConsoleErrors()
	})

	t.Run("an owner filters and searches their own list", func(t *testing.T) {
		tb := s.tab(t, "anna")
		tb.open("/console/tokens")
		tb.waitFor(`document.querySelectorAll("#tokens tbody tr").length === 3`)
		tb.typeInto(`form.filters input[name="q"]`, "Ci")
		tb.click(`form.filters button[type="submit"]`)
		tb.waitFor(`location.search.includes("q=Ci") && document.querySelectorAll("#tokens tbody tr").length === 2`)
		if got := tb.rowIDs("tokens"); !slices.Equal(got, []string{ids["old ci"], ids["CI build"]}) {
			t.Fatalf("name contains Ci: %v", got)
		}
		tb.eval(`document.querySelector('form.filters select[name="status"]').value = "active"`)
		tb.click(`form.filters button[type="submit"]`)
		tb.waitFor(`location.search.includes("status=active") && document.querySelectorAll("#tokens tbody tr").length === 1`)
		if got := tb.rowIDs("tokens"); !slices.Equal(got, []string{ids["CI build"]}) {
			t.Fatalf("active, name contains Ci: %v", got)
		}
		tb.open("/console/tokens?q=nothing")
		tb.waitFor(`document.querySelector("#no-tokens") !== null`)
		if msg := tb.text("#no-tokens"); !strings.Contains(msg, "No tokens match") {
			t.Errorf("an empty search says: %q", msg)
		}
		tb.noConsoleErrors()
	})

	for _, c := range []struct{ lang, accept, total, search string }{
		{"de", "de-DE,de", "4 Tokens", "Name enthält"},
		{"nl", "nl-NL,nl", "4 tokens", "Naam bevat"},
	} {
		t.Run("in "+c.lang, func(t *testing.T) {
			tb := s.tab(t, "")
			if _, err := chromedp.Call(tb.ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: "Mozilla/5.0 Chromium", AcceptLanguage: c.accept}); err != nil {
				t.Fatal(err)
			}
			tb.open("/console/admin/tokens")
			tb.waitFor(`(document.querySelector("#token-total")?.innerText || "") !== ""`)
			if total := tb.text("#token-total"); total != c.total {
				t.Errorf("total: %q, want %q", total, c.total)
			}
			tb.open("/console/tokens")
			tb.waitFor(`document.querySelector('form.filters input[name="q"]') !== null`)
			if form := tb.text("form.filters"); !strings.Contains(form, c.search) {
				t.Errorf("the search's label: %q", form)
			}
			tb.screenshot("lists-tokens-" + c.lang)
		})
	}

	// Last two: they add tokens and uses the counts above do not expect.
	t.Run("the administrator sorts every token by expiry", func(t *testing.T) {
		for _, c := range []struct{ name, days string }{{"later", "5"}, {"soon", "2"}} {
			code, body := s.api(t, "POST", "/tokens", "bert", "", `{"name":"`+c.name+`","scopes":["crm:read"],"expiresInDays":`+c.days+`}`)
			if code != 201 {
				t.Fatalf("create %s: %d %v", c.name, code, body)
			}
			ids[c.name] = body["id"].(string)
		}
		tb := s.tab(t, "")
		tb.open("/console/admin/tokens")
		tb.waitFor(`document.querySelectorAll("#admin-tokens tbody tr").length === 6`)
		tb.eval(`document.querySelector('#tokens-sort').value = "expires"`)
		tb.click(`form.filters button[type="submit"]`)
		tb.waitFor(`location.search.includes("sort=expires") && document.querySelectorAll("#admin-tokens tbody tr").length === 6 && document.querySelector("#admin-tokens tbody tr")?.innerText.includes("soon")`)
		// The four above expire after the default term: after these two, in
		// the order of their expiry (to the second), ties by id.
		rest := []string{ids["CI build"], ids["laptop"], ids["deploy"], ids["old ci"]}
		got := tb.rowIDs("admin-tokens")
		if len(got) != 6 || got[0] != ids["soon"] || got[1] != ids["later"] || !sameSet(got[2:], rest) {
			t.Fatalf("by expiry: %v, want %s, %s, then %v", got, ids["soon"], ids["later"], rest)
		}
		if sel := eval[string](tb, `document.querySelector("#tokens-sort").value`); sel != "expires" {
			t.Errorf("the order shown after reloading: %v", sel)
		}
		tb.noConsoleErrors()
	})

	t.Run("the administrator sorts every token by last use", func(t *testing.T) {
		for _, name := range []string{"deploy", "laptop"} {
			if code := s.demo(t, secrets[name]); code != 200 {
				t.Fatalf("use %s: %d", name, code)
			}
		}
		tb := s.tab(t, "")
		tb.open("/console/admin/tokens")
		tb.waitFor(`document.querySelectorAll("#admin-tokens tbody tr").length === 6`)
		tb.eval(`document.querySelector('#tokens-sort').value = "lastUsed"`)
		tb.click(`form.filters button[type="submit"]`)
		tb.waitFor(`location.search.includes("sort=lastUsed") && document.querySelectorAll("#admin-tokens tbody tr").length === 6`)
		// The used ones, the latest use first; then the others, newest first.
		want := []string{ids["laptop"], ids["deploy"], ids["soon"], ids["later"], ids["old ci"], ids["CI build"]}
		if got := tb.rowIDs("admin-tokens"); !slices.Equal(got, want) {
			t.Fatalf("by last use: %v, want %v", got, want)
		}
		if sel := eval[string](tb, `document.querySelector("#tokens-sort").value`); sel != "lastUsed" {
			t.Errorf("the order shown after reloading: %v", sel)
		}
		tb.noConsoleErrors()
	})
}

// sameSet reports whether a and b hold the same ids, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
