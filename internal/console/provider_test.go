package console_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/console"
	"github.com/patservice/pat/internal/localgw"
	"github.com/patservice/pat/internal/localidp"
	"github.com/patservice/pat/internal/testenv"
)

// The console signs in through a real OpenID provider, zitadel's example
// provider, which this project did not write: code + PKCE, its login page,
// its RS256 id token, verified as API Gateway's JWT authorizer verifies it
// (issuer, audience, the key from its JWKS) before any management function
// runs; the claims mapping turns the token's groups into the user's
// permissions and role. What the provider cannot show (refresh, a silent
// re-authorization) the stand-in of oidc_test.go checks.
func TestConsoleSignsInThroughARealProvider(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p, err := localidp.Start(ln, "http://127.0.0.1/console/") // a loopback redirect URI: any port
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	jwt, err := localgw.NewJWTAuthorizer(context.Background(), localgw.JWTConfig{Issuer: p.Issuer, Audience: []string{localidp.ClientID}})
	if err != nil {
		t.Fatal(err)
	}
	d := jwt.Discovery()
	claims := testenv.Claims
	claims.Groups = localidp.GroupsClaim
	claims.GroupPermissions = map[string][]string{"sales": {"crm:*", "products:*"}, "finance": {"accounting:read", "orders:read"}}
	s := newStack(t, signIn{identity: jwt, claims: &claims, console: func(base string) console.Options {
		return console.Options{Config: config.Console{DemoAPIURL: base, OIDC: config.OIDC{Issuer: d.Issuer, ClientID: localidp.ClientID,
			AuthorizeURL: d.AuthorizationEndpoint, TokenURL: d.TokenEndpoint, LogoutURL: d.EndSessionEndpoint, Scopes: "openid email profile"}}}
	}})

	// Without a verified token nothing reaches a function: no development
	// identity, no X-Dev-User.
	for _, user := range []string{"", "alice"} {
		if code, body := s.api(t, "GET", "/tokens", user, "", ""); code != 401 || body["message"] != "Unauthorized" {
			t.Errorf("GET /tokens as %q without a token: %d %v", user, code, body)
		}
	}

	admin, alice := localidp.Users[0], localidp.Users[1]
	tb := s.tab(t, "")
	tb.signInAt(p, "/console/", admin)
	if who := tb.text("#who"); !strings.Contains(who, admin.Email) || !strings.Contains(who, "admin") {
		t.Errorf("signed in as %q, want %s, an administrator", who, admin.Email)
	}
	tok := tb.createInDialog("from zitadel", "crm:read", "orders:read") // held through the groups sales and finance
	if code := s.demo(t, tok); code != 200 {
		t.Errorf("the token at the demo API: %d", code)
	}
	tb.closeReveal(tok)
	// (Within the page: a reload signs in again, and this provider keeps
	// no session, so it would ask for the password again.)
	tb.click("#admin-link")
	tb.waitFor(`document.querySelector("#admin-tokens")?.innerText.includes("from zitadel")`)

	// Signing out goes to the provider's end-session endpoint.
	tb.click("#sign-out")
	tb.waitFor(`location.origin === ` + jsString(p.Issuer))

	// Another user of the provider: not an administrator, own tokens only.
	other := s.tab(t, "")
	other.signInAt(p, "/console/admin/tokens", alice)
	if who := other.text("#who"); !strings.Contains(who, alice.Email) || strings.Contains(who, "admin") {
		t.Errorf("signed in as %q, want %s, not an administrator", who, alice.Email)
	}
	if !strings.Contains(other.text("main"), "You are not an administrator") {
		t.Errorf("alice on the administration page: %s", other.text("main"))
	}
	other.click(`a[data-nav="tokens"]`)
	other.waitFor(`document.querySelector("main h1")?.innerText === "Personal access tokens" && !document.querySelector("main").innerText.includes("Loading…")`)
	if !strings.Contains(other.text("main"), "You have no tokens yet") {
		t.Errorf("alice's tokens: %s", other.text("main"))
	}
	other.noConsoleErrors("403")
}

// signInAt opens a console page, signs in on the provider's login page as
// user, and waits until the console shows the page again, signed in, the
// code gone from the address.
func (tb *tab) signInAt(p *localidp.Provider, path string, user localidp.User) {
	tb.t.Helper()
	tb.do(chromedp.Navigate(tb.s.url + path))
	tb.waitFor(`location.origin === ` + jsString(p.Issuer) + ` && document.querySelector("#username") !== null`)
	tb.typeInto("#username", user.Username)
	tb.typeInto("#password", user.Password)
	tb.click(`button[type="submit"]`)
	tb.waitFor(`location.origin + location.pathname === ` + jsString(tb.s.url+path) + ` && location.search === "" &&
		document.querySelector("#who")?.innerText.includes(` + jsString(user.Email) + `) && !document.querySelector("main").innerText.includes("Loading…")`)
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
