package httpapi_test

import (
	"context"
	"html"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/pat"
)

// The keep page says why a link cannot keep its token, before and after
// the click: a locked token, or one whose scopes its owner no longer
// holds (their rights as recorded at their last sign-in).
func TestKeepPageSaysWhyNot(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id := h.call(t, "create-token", alice).fields()["id"].(string)
	tok, err := h.Service.Store.GetToken(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	code, err := h.Service.IssueKeepLink(ctx, tok, pat.KeepExpiry, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	open := func(ev *events.APIGatewayV2HTTPRequest) {
		ev.QueryStringParameters = map[string]string{"code": code}
		ev.RawQueryString = "code=" + url.QueryEscape(code)
	}
	click := body("code=" + url.QueryEscape(code))
	h.call(t, "admin-lock-token", onToken(id))
	for _, r := range []result{h.call(t, "keep-token-get", open), h.call(t, "keep-token-post", click)} {
		if r.Status != 409 || !strings.Contains(string(r.Body), "locked") {
			t.Fatalf("keep a locked token: %d %s", r.Status, r.Body)
		}
	}
	h.call(t, "admin-unlock-token", onToken(id))
	// alice signs in without crm:* (the token's scopes): her record says so.
	h.call(t, "get-token", as("user-alice", "orders:read"), onToken(id))
	h.call(t, "create-token", as("user-alice", "orders:read"), body(`{"name":"orders","scopes":["orders:read"]}`))
	for _, r := range []result{h.call(t, "keep-token-get", open), h.call(t, "keep-token-post", click)} {
		if r.Status != 409 || !strings.Contains(string(r.Body), "permissions") {
			t.Fatalf("keep a token beyond the owner's rights: %d %s", r.Status, r.Body)
		}
	}
	if got, _ := h.Service.Store.GetToken(ctx, id); got.ExtendedAt != nil {
		t.Fatalf("a refused keep link kept the token: %+v", got)
	}
}

// The keep page speaks the browser's language, and its switch links the
// same page in the others with the code kept; following one (a GET)
// changes nothing, and the button then keeps the token in that language.
func TestKeepPageLanguages(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id := h.call(t, "create-token", alice).fields()["id"].(string)
	tok, err := h.Service.Store.GetToken(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	code, err := h.Service.IssueKeepLink(ctx, tok, pat.KeepActivity, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	open := func(lang, accept string) edit {
		return func(ev *events.APIGatewayV2HTTPRequest) {
			ev.QueryStringParameters = map[string]string{"code": code}
			if lang != "" {
				ev.QueryStringParameters["lang"] = lang
			}
			ev.Headers = map[string]string{"accept-language": accept}
		}
	}
	r := h.call(t, "keep-token-get", open("", "de-AT,de;q=0.9"))
	page := string(r.Body)
	if r.Status != 200 || !strings.Contains(page, `<html lang="de">`) || !strings.Contains(page, "Dieses Token behalten") || r.Header.Get("Content-Language") != "de" {
		t.Fatalf("German browser: %d %s", r.Status, page)
	}
	if strings.Contains(r.Header.Get("Content-Security-Policy"), "unsafe-inline") || r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers %v", r.Header)
	}
	for _, l := range []string{"en", "nl"} {
		want := `href="?` + html.EscapeString(url.Values{"code": {code}, "lang": {l}}.Encode()) + `"`
		if !strings.Contains(page, want) {
			t.Errorf("no switch to %s that keeps the code (%s):\n%s", l, want, page)
		}
	}
	r = h.call(t, "keep-token-get", open("nl", "de"))
	if !strings.Contains(string(r.Body), "Dit token behouden") || !strings.Contains(string(r.Body), `action="keep?lang=nl"`) {
		t.Fatalf("?lang=nl: %s", r.Body)
	}
	if got, _ := h.Service.Store.GetToken(ctx, id); got.ExtendedAt != nil || got.LastUsedAt != nil {
		t.Fatalf("opening the page in three languages kept the token: %+v", got)
	}
	r = h.call(t, "keep-token-post", body("code="+url.QueryEscape(code)), func(ev *events.APIGatewayV2HTTPRequest) {
		ev.QueryStringParameters = map[string]string{"lang": "nl"}
	})
	if r.Status != 200 || !strings.Contains(string(r.Body), "blijft behouden tot ten minste") || strings.Contains(string(r.Body), "href=") {
		t.Fatalf("kept in Dutch: %d %s", r.Status, r.Body)
	}
}

// Every JSON answer of the API, success or problem, is sent with nosniff
// and HSTS.
func TestJSONAnswersHeaders(t *testing.T) {
	h := newHarness(t)
	for name, r := range map[string]result{
		"GET /me":         h.call(t, "get-me", alice),
		"a problem":       h.call(t, "create-token", alice, body(`{"name":`)),
		"unauthenticated": h.call(t, "list-tokens", func(ev *events.APIGatewayV2HTTPRequest) { ev.RequestContext.Authorizer = nil }),
	} {
		if r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Strict-Transport-Security") != "max-age=31536000; includeSubDomains" {
			t.Errorf("%s (%d): %v", name, r.Status, r.Header)
		}
	}
}
