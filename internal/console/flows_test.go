package console_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/chromedp/chromedp"

	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/console"
	"github.com/patservice/pat/internal/localgw"
)

// The flows that broke when the console was tried (issue 18), each as the
// user met it.

// refusing stands in for API Gateway's JWT authorizer when the service
// does not accept the provider's tokens (another audience, issuer or a
// clock that is off): every request is refused with its reason.
type refusing struct{}

func (refusing) Authorize(*http.Request) (*events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription, error) {
	return nil, &localgw.Refusal{Status: http.StatusUnauthorized, Code: "invalid_token", Description: "the token's audience is not this service"}
}

func oidcConsole(p *idp, issuer, logout string) func(string) console.Options {
	return func(base string) console.Options {
		return console.Options{Config: config.Console{DemoAPIURL: base, OIDC: config.OIDC{Issuer: issuer, ClientID: p.clientID,
			AuthorizeURL: p.srv.URL + "/authorize", TokenURL: p.srv.URL + "/token", LogoutURL: logout, Scopes: "openid email profile"}}}
	}
}

// S1: the API refuses a fresh sign-in. The page says so, with the reason
// and a way out, instead of bouncing between the provider and /me.
func TestConsoleShowsARefusedSignIn(t *testing.T) {
	p := newIDP(t)
	s := newStack(t, signIn{identity: refusing{}, console: oidcConsole(p, p.srv.URL, p.srv.URL+"/logout")})
	tb := s.tab(t, "")
	tb.do(chromedp.Navigate(s.url + "/console/"))
	tb.waitFor(`document.querySelector("#sign-in-refused") !== null`)
	time.Sleep(2 * time.Second) // a loop would have signed in again by now
	p.mu.Lock()
	authorizations := p.authorizations
	p.mu.Unlock()
	if authorizations != 1 {
		t.Errorf("%d sign-ins, want 1: the page loops", authorizations)
	}
	page := tb.text("main")
	if !strings.Contains(page, "The service refused your sign-in") || !strings.Contains(page, "the token's audience is not this service") {
		t.Errorf("page: %s", page)
	}
	if !eval[bool](tb, `document.querySelector("#sign-in-again") !== null && document.querySelector("#refused-sign-out") !== null`) {
		t.Errorf("no way out: %s", page)
	}
	tb.noLeaks(p)
	tb.noConsoleErrors("401")
}

// S2: a standard provider's sign-out (its end_session_endpoint from the
// discovery document, with id_token_hint and post_logout_redirect_uri),
// and a provider with no logout endpoint: either way a signed-out page
// that does not sign in again by itself.
func TestConsoleSignsOutOfAStandardProvider(t *testing.T) {
	p := newIDP(t)
	p.endSession = p.srv.URL + "/logout"
	s := newStack(t, signIn{identity: localgw.Claims(p.verify), console: oidcConsole(p, p.srv.URL, "")})
	tb := s.tab(t, "")
	tb.do(chromedp.Navigate(s.url + "/console/"))
	tb.waitFor(`document.querySelector("#tokens, #no-tokens") !== null`)
	tb.click("#sign-out")
	tb.waitFor(`document.querySelector("#sign-in") !== null`)
	p.mu.Lock()
	logouts, issued, authorizations := p.logouts, p.issued, p.authorizations
	p.mu.Unlock()
	if len(logouts) != 1 || logouts[0].Get("post_logout_redirect_uri") != s.url+"/console/" || logouts[0].Get("client_id") != p.clientID ||
		logouts[0].Has("logout_uri") || !contains(issued, logouts[0].Get("id_token_hint")) {
		t.Fatalf("logout: %v", logouts)
	}
	if !strings.Contains(tb.text("main"), "You are signed out") || !eval[bool](tb, `document.querySelector("#sign-out").hidden`) {
		t.Errorf("signed-out page: %s", tb.text("main"))
	}

	// A provider without a logout endpoint: the session ends in the page.
	p.mu.Lock()
	p.endSession = ""
	p.mu.Unlock()
	tb.click("#sign-in")
	tb.waitFor(`document.querySelector("#tokens, #no-tokens") !== null`)
	tb.click("#sign-out")
	tb.waitFor(`document.querySelector("#sign-in") !== null`)
	tb.do(chromedp.Reload()) // and a reload does not sign in either
	tb.waitFor(`document.querySelector("#sign-in") !== null`)
	time.Sleep(time.Second)
	p.mu.Lock()
	if len(p.logouts) != 1 || p.authorizations != authorizations+1 {
		t.Errorf("after signing out without a logout endpoint: %d logouts, %d sign-ins (want 1, %d)", len(p.logouts), p.authorizations, authorizations+1)
	}
	p.mu.Unlock()
	tb.noLeaks(p)
	tb.noConsoleErrors("404") // the discovery document the provider no longer serves
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if s != "" && v == s {
			return true
		}
	}
	return false
}

func TestConsoleFlows(t *testing.T) {
	s := newStack(t, devSignIn)

	t.Run("B1 the service out of reach, at start-up and later", func(t *testing.T) {
		tb := s.tab(t, "frank")
		s.cut(func(r *http.Request) bool { return r.URL.Path == "/me" })
		tb.do(chromedp.Navigate(s.url + "/console/"))
		tb.waitFor(`document.querySelector("main [role=alert]") !== null`)
		s.cut(nil)
		if msg := tb.text("main"); !strings.Contains(msg, "could not be reached") || strings.Contains(msg, "HTTP 0") {
			t.Errorf("start-up: %s", msg)
		}
		tb.open("/console/")
		s.cut(func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/tokens") })
		tb.click("#revoke-all-mine")
		tb.waitFor(`document.querySelector("#toast").innerText !== ""`)
		s.cut(nil)
		if msg := tb.text("#toast"); !strings.Contains(msg, "could not be reached") {
			t.Errorf("a failed call: %q", msg)
		}
	})

	t.Run("B2 the revoke-everyone dialog and its button agree after the count changed", func(t *testing.T) {
		for range 2 {
			s.api(t, "POST", "/tokens", "gina", "", `{"name":"g","scopes":["crm:read"]}`)
		}
		tb := s.tab(t, "")
		tb.open("/console/admin/tokens")
		tb.click("#revoke-everyone")
		tb.waitFor(`document.querySelector("dialog") !== null`)
		n := eval[int](tb, `Number(document.querySelector("dialog label").innerText.match(/\d+/)[0])`)
		s.api(t, "POST", "/tokens", "gina", "", `{"name":"one more","scopes":["crm:read"]}`)
		tb.typeInto(`dialog input[name="count"]`, fmt.Sprint(n))
		tb.click(`dialog button[type="submit"]`)
		tb.waitFor(`document.querySelector("dialog [role=alert]") !== null`)
		label, button := tb.text("dialog label"), tb.text(`dialog button[type="submit"]`)
		if label != fmt.Sprintf("Type %d to confirm", n+1) || button != fmt.Sprintf("Revoke %d tokens", n+1) || !strings.Contains(tb.text("dialog p"), fmt.Sprintf("%d tokens", n+1)) {
			t.Errorf("after the count changed: label %q, button %q, text %q", label, button, tb.text("dialog p"))
		}
		tb.do(chromedp.KeyEvent("\x1b"))
		tb.noConsoleErrors("409")
	})

	t.Run("B3 a disabled user sees their tokens and revokes them", func(t *testing.T) {
		_, m := s.api(t, "POST", "/tokens", "hans", "", `{"name":"hans ci","scopes":["crm:read"]}`)
		if code, _ := s.api(t, "PATCH", "/admin/users/hans", "", "", `{"status":"disabled"}`); code != 200 {
			t.Fatalf("disable: %d", code)
		}
		tb := s.tab(t, "hans")
		tb.open("/console/")
		tb.waitFor(`document.querySelector("#tokens") !== null`)
		if n := eval[int](tb, `document.querySelectorAll("main [role=alert], main .notice.error").length`); n != 1 {
			t.Errorf("%d error notices, want one: %s", n, tb.text("main"))
		}
		tb.click(fmt.Sprintf(`#tokens tr[data-id=%q] button`, m["id"]))
		tb.click(`dialog button[type="submit"]`)
		tb.waitFor(fmt.Sprintf(`document.querySelector('#tokens tr[data-id=%q] .badge')?.dataset.status === "revoked"`, m["id"]))
		tb.noConsoleErrors()
	})

	t.Run("B4 B6 the reveal after a rotation asks before Escape loses it, focus returns", func(t *testing.T) {
		tb := s.tab(t, "ines")
		tb.open("/console/")
		tok := tb.createInDialog("rotate me", "crm:read")
		tb.closeReveal(tok)
		if id := eval[string](tb, `document.activeElement?.id || document.activeElement?.tagName`); id != "new-token-button" && id != "MAIN" {
			t.Errorf("focus after the reveal: %s", id)
		}
		tb.click(`#tokens a.name`)
		tb.waitFor(`document.querySelector("#rotate-token") !== null`)
		tb.click("#rotate-token")
		tb.click(`dialog button[type="submit"]`)
		rotated := tb.revealed()
		tb.do(chromedp.KeyEvent("\x1b"))
		tb.waitFor(`!document.querySelector("#reveal-ask").hidden`)
		if !eval[bool](tb, `document.querySelector("dialog")?.open === true && document.querySelector("#new-token").value.startsWith("pat_")`) {
			t.Fatal("Escape closed the reveal dialog")
		}
		if !strings.Contains(tb.text("#reveal-ask"), "will never be shown again") {
			t.Errorf("the question: %s", tb.text("#reveal-ask"))
		}
		// A second Escape at once, which Chromium may not let the page cancel.
		tb.do(chromedp.KeyEvent("\x1b"))
		time.Sleep(200 * time.Millisecond)
		if !eval[bool](tb, `document.querySelector("dialog")?.open === true && document.querySelector("#new-token")?.value.startsWith("pat_")`) {
			t.Fatal("a second Escape closed the reveal dialog")
		}
		tb.click("#reveal-keep") // keep it open
		if !eval[bool](tb, `document.querySelector("dialog")?.open === true && document.querySelector("#reveal-ask").hidden`) {
			t.Fatal("keeping it open closed it")
		}
		tb.closeReveal(rotated)

		// B6: a dialog closed by Escape gives focus back to its button.
		newID := strings.Split(rotated, "_")[1]
		tb.waitFor(fmt.Sprintf(`location.pathname.endsWith(%q) && document.querySelector("#events") !== null && document.querySelector("main").innerText.includes(%q)`, newID, newID))
		tb.click("#edit-token")
		tb.waitFor(`document.querySelector("dialog") !== null`)
		tb.do(chromedp.KeyEvent("\x1b"))
		tb.waitFor(`document.querySelector("dialog") === null`)
		if id := eval[string](tb, `document.activeElement?.id || document.activeElement?.tagName`); id != "edit-token" {
			t.Errorf("focus after the dialog: %s, want the button that opened it", id)
		}
		tb.noConsoleErrors()
	})

	t.Run("B5 the scope error goes when a scope is ticked", func(t *testing.T) {
		tb := s.tab(t, "jana")
		tb.open("/console/")
		tb.click("#new-token-button")
		tb.typeInto(`dialog input[name="name"]`, "no scope yet")
		tb.click(`dialog button[type="submit"]`)
		tb.waitFor(`document.querySelector("dialog [role=alert]")?.innerText.includes("choose at least one scope")`)
		tb.click(`dialog input[value="crm:read"]`)
		if eval[bool](tb, `document.querySelector("dialog [role=alert]") !== null`) {
			t.Errorf("the error stays after a scope was ticked: %s", tb.text("dialog [role=alert]"))
		}
		tb.do(chromedp.KeyEvent("\x1b"))
	})

	t.Run("B7 a user without permissions is told why, not to generate one", func(t *testing.T) {
		tb := s.tab(t, "nobody")
		tb.open("/console/")
		tb.waitFor(`document.querySelector("#no-tokens") !== null`)
		if empty := tb.text("#no-tokens"); strings.Contains(empty, "Generate") {
			t.Errorf("the empty list says %q next to a disabled button", empty)
		}
		if !eval[bool](tb, `document.querySelector("#new-token-button").disabled && document.querySelector("#new-token-button").getAttribute("aria-describedby") === "no-permissions"`) {
			t.Error("the disabled button does not point at why")
		}
	})

	t.Run("expires soon, and how often last use is recorded", func(t *testing.T) {
		s.api(t, "POST", "/tokens", "kai", "", `{"name":"short","scopes":["crm:read"],"expiresInDays":3}`)
		s.api(t, "POST", "/tokens", "kai", "", `{"name":"long","scopes":["crm:read"],"expiresInDays":30}`)
		tb := s.tab(t, "kai")
		tb.open("/console/")
		tb.waitFor(`document.querySelectorAll("#tokens tbody tr").length === 2`)
		marks := eval[[]string](tb, `[...document.querySelectorAll("#tokens tbody tr")].filter(r => r.querySelector(".badge.soon")).map(r => r.querySelector("a.name").innerText)`)
		if fmt.Sprint(marks) != "[short]" {
			t.Errorf("marked as expiring soon: %v, want [short] (first reminder 7 days before)", marks)
		}
		if note := tb.text("#last-used-note"); !strings.Contains(note, "at most every 10 minutes") {
			t.Errorf("last-used note: %q", note)
		}
	})
}
