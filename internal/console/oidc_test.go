package console_test

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/console"
	"github.com/patservice/pat/internal/localgw"
)

// idp stands in for Cognito's Hosted UI, which cannot run here: an OpenID
// provider with a live session, so it signs its one user in without a
// prompt. It checks what Cognito checks of a public client (client id,
// redirect URI, PKCE S256, single-use codes) and issues HS256 id tokens,
// which verify (the stack's stand-in for the JWT authorizer) checks.
//
// It is kept for what a real provider here cannot show: a session that
// survives a reload (a silent re-authorization, counted), Cognito's logout
// parameters, id tokens whose lifetime the test shortens (a counted
// refresh), and no token anywhere but in the page's memory. Sign-in
// through a real provider, verified as the JWT authorizer verifies it, is
// provider_test.go's.
type idp struct {
	srv      *httptest.Server
	key      []byte
	clientID string

	mu             sync.Mutex
	codes          map[string]grant
	authorizations int
	refreshes      int
	lifetime       time.Duration // of the id tokens it issues
	logouts        []url.Values
	endSession     string   // the end_session_endpoint its discovery document names; empty: it serves none
	issued         []string // every id and refresh token, which the page must not keep anywhere but memory
	failures       []string // requests it refused, and why
}

type grant struct{ challenge, nonce, redirect string }

func newIDP(t *testing.T) *idp {
	p := &idp{key: []byte(rand.Text()), clientID: "console-client", codes: map[string]grant{}, lifetime: time.Hour}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("GET /logout", func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.logouts = append(p.logouts, r.URL.Query())
		p.mu.Unlock()
		// Cognito's logout_uri, or a standard provider's post_logout_redirect_uri.
		back := r.URL.Query().Get("logout_uri")
		if back == "" {
			back = r.URL.Query().Get("post_logout_redirect_uri")
		}
		http.Redirect(w, r, back, http.StatusFound)
	})
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		end := p.endSession
		p.mu.Unlock()
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if end == "" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"issuer": p.srv.URL, "end_session_endpoint": end})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *idp) refuse(w http.ResponseWriter, why string) {
	p.mu.Lock()
	p.failures = append(p.failures, why)
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `{"error":"invalid_request","error_description":%q}`, why)
}

func (p *idp) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case q.Get("response_type") != "code" || q.Get("client_id") != p.clientID:
		p.refuse(w, "authorize: want response_type=code and the client id")
		return
	case q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43:
		p.refuse(w, "authorize: want a PKCE S256 challenge")
		return
	case q.Get("state") == "" || q.Get("nonce") == "" || !strings.Contains(" "+q.Get("scope")+" ", " openid "):
		p.refuse(w, "authorize: want state, nonce and the openid scope")
		return
	}
	code := rand.Text()
	p.mu.Lock()
	p.authorizations++
	p.codes[code] = grant{challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), redirect: q.Get("redirect_uri")}
	p.mu.Unlock()
	back, _ := url.Parse(q.Get("redirect_uri"))
	back.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (p *idp) token(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin")) // Cognito's token endpoint allows CORS
	if err := r.ParseForm(); err != nil || r.PostForm.Get("client_id") != p.clientID {
		p.refuse(w, "token: want the client id in a form")
		return
	}
	nonce := ""
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		p.mu.Lock()
		g, ok := p.codes[r.PostForm.Get("code")]
		delete(p.codes, r.PostForm.Get("code")) // once
		p.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || g.redirect != r.PostForm.Get("redirect_uri") || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			p.refuse(w, "token: unknown code, another redirect URI, or a verifier that does not match the challenge")
			return
		}
		nonce = g.nonce
	case "refresh_token":
		if !p.wasIssued(r.PostForm.Get("refresh_token")) {
			p.refuse(w, "token: unknown refresh token")
			return
		}
		p.mu.Lock()
		p.refreshes++
		p.mu.Unlock()
	default:
		p.refuse(w, "token: unknown grant type")
		return
	}
	id, refresh := p.sign(map[string]any{"iss": p.srv.URL, "aud": p.clientID, "sub": "oidc-user", "email": "oidc-user@example.com",
		"cognito:groups": []string{"pat-admins"}, "permissions": []string{"crm:read", "orders:read"}, "nonce": nonce,
		"token_use": "id", "exp": time.Now().Add(p.ttl()).Unix()}), rand.Text()
	p.mu.Lock()
	p.issued = append(p.issued, id, refresh)
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"id_token": id, "access_token": "opaque-" + rand.Text(), "refresh_token": refresh,
		"token_type": "Bearer", "expires_in": 3600})
}

func (p *idp) ttl() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lifetime
}

func (p *idp) wasIssued(tok string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range p.issued {
		if t == tok {
			return true
		}
	}
	return false
}

func (p *idp) sign(claims map[string]any) string {
	enc := base64.RawURLEncoding
	payload, _ := json.Marshal(claims)
	head := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(payload)
	mac := hmac.New(sha256.New, p.key)
	mac.Write([]byte(head))
	return head + "." + enc.EncodeToString(mac.Sum(nil))
}

// verify is what API Gateway's JWT authorizer does before the management
// functions run: a valid, unexpired id token of this client, whose claims
// are passed on (arrays rendered "[a b]", as API Gateway does).
func (p *idp) verify(r *http.Request) map[string]string {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	parts := strings.Split(tok, ".")
	if !ok || len(parts) != 3 {
		return nil
	}
	mac := hmac.New(sha256.New, p.key)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	payload, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	if err != nil || err2 != nil || !hmac.Equal(sig, mac.Sum(nil)) || json.Unmarshal(payload, &claims) != nil ||
		claims["aud"] != p.clientID || int64(claims["exp"].(float64)) < time.Now().Unix() {
		return nil
	}
	out := map[string]string{}
	for k, v := range claims {
		switch v := v.(type) {
		case []any:
			out[k] = fmt.Sprint(v) // "[a b]"
		case float64:
			out[k] = fmt.Sprint(int64(v))
		default:
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

// On AWS the console signs in with OIDC: code + PKCE, the id token as the
// API's bearer, kept in memory only; a reload signs in again, and the page
// the user asked for is where they land.
func TestConsoleSignsInWithOIDC(t *testing.T) {
	p := newIDP(t)
	// Cognito's issuer: the page signs out with Cognito's parameters.
	const cognito = "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_test"
	s := newStack(t, signIn{identity: localgw.Claims(p.verify), console: func(base string) console.Options {
		return console.Options{Config: config.Console{DemoAPIURL: base, OIDC: config.OIDC{Issuer: cognito, ClientID: p.clientID,
			AuthorizeURL: p.srv.URL + "/authorize", TokenURL: p.srv.URL + "/token", LogoutURL: p.srv.URL + "/logout", Scopes: "openid email profile"}}}
	}})
	tb := s.tab(t, "")

	// A deep link: through the identity provider and back to it, the code
	// gone from the address.
	tb.do(chromedp.Navigate(s.url + "/console/admin/audit"))
	tb.waitFor(`location.pathname === "/console/admin/audit" && location.search === "" && document.querySelector("#events") !== null`)
	if who := tb.text("#who"); !strings.Contains(who, "oidc-user@example.com") || !strings.Contains(who, "admin") {
		t.Errorf("signed in as %q", who)
	}
	if !eval[bool](tb, `!document.querySelector("#sign-out").hidden && document.querySelector("#dev-user-label").hidden`) {
		t.Error("OIDC sign-in shows the local user switcher or no sign-out")
	}

	// The API is called with the id token; a token made in the console works.
	tb.open("/console/")
	tok := tb.createInDialog("from oidc", "crm:read")
	if code := s.demo(t, tok); code != 200 {
		t.Errorf("the token at the demo API: %d", code)
	}
	tb.closeReveal(tok)
	tb.noLeaks(p)

	// A reload has no session in the page: it signs in again, silently.
	p.mu.Lock()
	before := p.authorizations
	p.mu.Unlock()
	tb.do(chromedp.Reload())
	tb.waitFor(`document.querySelector("#tokens")?.innerText.includes("from oidc")`)
	p.mu.Lock()
	after := p.authorizations
	p.mu.Unlock()
	if after != before+1 {
		t.Errorf("authorizations: %d before a reload, %d after", before, after)
	}
	tb.noLeaks(p)

	// Signing out ends the provider's session and comes back to a
	// signed-out page that does not sign in again by itself (S2).
	p.mu.Lock()
	before = p.authorizations
	p.mu.Unlock()
	tb.click("#sign-out")
	tb.waitFor(`document.querySelector("#sign-in") !== null`)
	time.Sleep(time.Second) // time enough for a sign-in the page must not start
	p.mu.Lock()
	logouts, failures, after := p.logouts, p.failures, p.authorizations
	p.mu.Unlock()
	if len(logouts) != 1 || logouts[0].Get("client_id") != p.clientID || logouts[0].Get("logout_uri") != s.url+"/console/" || logouts[0].Has("id_token_hint") {
		t.Errorf("logout: %v", logouts)
	}
	if len(failures) > 0 {
		t.Errorf("the identity provider refused: %q", failures)
	}
	if after != before || !strings.Contains(tb.text("main"), "You are signed out") {
		t.Errorf("after signing out: %d authorizations (%d before), page %q", after, before, tb.text("main"))
	}
	tb.noLeaks(p)
	tb.click("#sign-in") // and signing in again is one click
	tb.waitFor(`document.querySelector("#tokens")?.innerText.includes("from oidc")`)

	// An id token about to expire is renewed with the refresh token, in
	// the page, without leaving it.
	p.mu.Lock()
	p.lifetime = 30 * time.Second // within the page's one-minute margin
	p.mu.Unlock()
	tb.do(chromedp.Reload())
	tb.waitFor(`document.querySelector("#tokens") !== null`)
	tb.click(`#tokens a.name`)
	tb.waitFor(`document.querySelector("#events") !== null`)
	p.mu.Lock()
	refreshes := p.refreshes
	p.mu.Unlock()
	if refreshes == 0 {
		t.Error("no refresh of an expiring id token")
	}
	tb.noLeaks(p)
	tb.noConsoleErrors()
}

// noLeaks checks that no OIDC token the provider issued is in the page's
// DOM, storage, cookies or address: they live in memory only.
func (tb *tab) noLeaks(p *idp) {
	tb.t.Helper()
	dump := eval[string](tb, `JSON.stringify({html: document.documentElement.outerHTML, local: {...localStorage},
		session: {...sessionStorage}, cookie: document.cookie, url: location.href})`)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, tok := range p.issued {
		if strings.Contains(dump, tok) {
			tb.t.Fatalf("an OIDC token is stored in the page: %s", dump)
		}
	}
	if strings.Contains(dump, "pat.oidc") {
		tb.t.Errorf("the sign-in's PKCE state stayed in sessionStorage: %s", dump)
	}
}
