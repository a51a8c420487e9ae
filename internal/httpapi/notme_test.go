package httpapi_test

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/i18n"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/sesmail"
)

// notMeLink finds the "this was not me" link of a creation notice: on the
// API the request came in on (the fixtures' domain).
var notMeLink = regexp.MustCompile(`https://abc123\.execute-api\.eu-central-1\.amazonaws\.com/keep\?code=([A-Za-z0-9_%.-]+)`)

// A token created, rotated or issued by an administrator is told to its
// owner through the SES emulator, in the owner's language, with the
// token's name, scopes, expiry and allowed sources, the address and client
// of the request, and who did it, with a "this was not me" link. Opening
// the link changes nothing; its button revokes the token once (reason
// not_me, audited); used again, expired, or dead with its token, it
// changes nothing; each link revokes only its own token.
func TestCreationNoticesAndTheNotMeLink(t *testing.T) {
	h := newHarness(t)
	mail, err := sesmail.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	h.cfg.Claims.Locale = "locale"
	h.build(t, h.DB, mail)
	ctx := context.Background()
	owner := fmt.Sprintf("user-notme-%d", time.Now().UnixNano())
	address := owner + "@example.com"
	asOwner := func(ev *events.APIGatewayV2HTTPRequest) {
		as(owner, ownerGrants)(ev)
		ev.RequestContext.Authorizer.JWT.Claims["locale"] = "de-DE"
		ev.RequestContext.HTTP.SourceIP = "198.51.100.23"
		ev.RequestContext.HTTP.UserAgent = "evil-cli/1.0\r\nBcc: x@example.com " + strings.Repeat("A", 300)
	}
	// mailN waits for the n-th mail to the owner (the notice is sent
	// before the call returns; the emulator stores it at once).
	mailN := func(t *testing.T, n int) localstack.Email {
		t.Helper()
		mails := localstack.Inbox(t, address)
		if len(mails) != n {
			t.Fatalf("%d mails to the owner, want %d: %+v", len(mails), n, mails)
		}
		return mails[n-1]
	}
	codeOf := func(t *testing.T, m localstack.Email) string {
		t.Helper()
		found := notMeLink.FindStringSubmatch(m.Body.Text)
		if found == nil || !strings.Contains(m.Body.HTML, found[0]) {
			t.Fatalf("no \"this was not me\" link in the mail:\n%s\n%s", m.Body.Text, m.Body.HTML)
		}
		code, err := url.QueryUnescape(found[1])
		if err != nil {
			t.Fatal(err)
		}
		return code
	}
	open := func(code string) edit {
		return func(ev *events.APIGatewayV2HTTPRequest) {
			ev.QueryStringParameters = map[string]string{"code": code}
			ev.RawQueryString = "code=" + url.QueryEscape(code)
			ev.Headers = map[string]string{"accept-language": "de"}
		}
	}
	click := func(code string) edit {
		return func(ev *events.APIGatewayV2HTTPRequest) {
			body("code=" + url.QueryEscape(code))(ev)
			ev.Headers = map[string]string{"accept-language": "de", "content-type": "application/x-www-form-urlencoded"}
			ev.RequestContext.HTTP.SourceIP = "192.0.2.77"
		}
	}
	status := func(t *testing.T, id string) pat.Status {
		t.Helper()
		tok, err := h.Service.Store.GetToken(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return tok.Status
	}

	r := h.call(t, "create-token", asOwner, body(`{"name":"deploy","scopes":["crm:read","orders:read"],"expiresInDays":30,"allowedSources":["203.0.113.0/24"]}`))
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	id := r.fields()["id"].(string)
	created := mailN(t, 1)
	for _, want := range []string{"deploy", id, "crm:read, orders:read", "Ablaufdatum: " + i18n.Date(i18n.DE, time.Now().Add(30*24*time.Hour)),
		"203.0.113.0/24", "198.51.100.23", "evil-cli/1.0Bcc: x@example.com AAA", "…", "Das war ich nicht", "widerrufen"} {
		if !strings.Contains(created.Body.Text+created.Body.HTML, want) {
			t.Errorf("the creation notice lacks %q:\n%s", want, created.Body.Text)
		}
	}
	if !strings.HasPrefix(created.Subject, "Für Ihr Konto wurde ein Token erstellt") || strings.Contains(created.Body.Text, "\r\nBcc") || strings.Contains(created.Body.Text, strings.Repeat("A", 200)) {
		t.Errorf("subject %q, text:\n%s", created.Subject, created.Body.Text)
	}
	code := codeOf(t, created)

	// Opening the link, as a scanner does, in any language, changes nothing.
	for range 2 {
		g := h.call(t, "keep-token-get", open(code))
		if g.Status != 200 || !strings.Contains(string(g.Body), "Dieses Token widerrufen?") || !strings.Contains(string(g.Body), `<form method="post"`) {
			t.Fatalf("open the link: %d %s", g.Status, g.Body)
		}
	}
	if s := status(t, id); s != pat.StatusActive {
		t.Fatalf("opening the link left the token %s", s)
	}

	// A second token's link revokes that token only.
	id2 := h.call(t, "create-token", asOwner, body(`{"name":"other","scopes":["crm:read"]}`)).fields()["id"].(string)
	code2 := codeOf(t, mailN(t, 2))
	if p := h.call(t, "keep-token-post", click(code2)); p.Status != 200 || status(t, id2) != pat.StatusRevoked || status(t, id) != pat.StatusActive {
		t.Fatalf("the second token's link: %d, first %s, second %s", p.Status, status(t, id), status(t, id2))
	}

	// The button revokes, once; the page says what happened and what to check.
	p := h.call(t, "keep-token-post", click(code))
	if p.Status != 200 || !strings.Contains(string(p.Body), "ist widerrufen") || !strings.Contains(string(p.Body), "Passwort") {
		t.Fatalf("click: %d %s", p.Status, p.Body)
	}
	if s := status(t, id); s != pat.StatusRevoked {
		t.Fatalf("after the click the token is %s", s)
	}
	trail, err := h.Service.Store.ListEvents(ctx, id, pat.PageRequest{Limit: 10, List: "t"})
	if err != nil {
		t.Fatal(err)
	}
	last := trail.Items[len(trail.Items)-1]
	if last.Action != pat.ActionRevoked || last.Details["reason"] != pat.ReasonNotMe || last.Details["via"] != "email link" || last.SourceIP != "192.0.2.77" || last.ActorID != owner {
		t.Fatalf("the revocation's audit record: %+v", last)
	}
	for name, r := range map[string]result{"used again": h.call(t, "keep-token-post", click(code)), "opened after use": h.call(t, "keep-token-get", open(code))} {
		if r.Status != 404 || !strings.Contains(string(r.Body), "ungültig") {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	after, _ := h.Service.Store.ListEvents(ctx, id, pat.PageRequest{Limit: 10, List: "t"})
	if len(after.Items) != len(trail.Items) {
		t.Fatalf("a used link wrote %d more audit records", len(after.Items)-len(trail.Items))
	}

	// An expired link, and a link whose token died otherwise, change nothing.
	id3 := h.call(t, "create-token", asOwner, body(`{"name":"third","scopes":["crm:read"]}`)).fields()["id"].(string)
	code3 := codeOf(t, mailN(t, 3))
	tok3, _ := h.Service.Store.GetToken(ctx, id3)
	expired, err := h.Service.IssueKeepLink(ctx, tok3, pat.LinkNotMe, time.Now().Add(-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if r := h.call(t, "keep-token-post", click(expired)); r.Status != 404 || status(t, id3) != pat.StatusActive {
		t.Fatalf("an expired link: %d, token %s", r.Status, status(t, id3))
	}
	// A locked token is revoked too: revoking only takes access away.
	h.call(t, "admin-lock-token", onToken(id3), body(`{"reason":"checking"}`))
	if r := h.call(t, "keep-token-post", click(code3)); r.Status != 200 || status(t, id3) != pat.StatusRevoked {
		t.Fatalf("a locked token's link: %d %s", r.Status, r.Body)
	}
	mailN(t, 4) // the lock's notice

	// Rotation: the replacement is told of, with its own link; the old
	// token's link is dead with it.
	id4 := h.call(t, "create-token", asOwner, body(`{"name":"rotated","scopes":["crm:read"]}`)).fields()["id"].(string)
	code4 := codeOf(t, mailN(t, 5))
	rot := h.call(t, "rotate-token", asOwner, onToken(id4))
	if rot.Status != 201 {
		t.Fatalf("rotate: %d %s", rot.Status, rot.Body)
	}
	rotated := mailN(t, 6)
	if !strings.Contains(rotated.Subject, "wurde ersetzt") || !strings.Contains(rotated.Body.Text, id4) || !strings.Contains(rotated.Body.Text, rot.fields()["id"].(string)) {
		t.Fatalf("rotation notice: %s\n%s", rotated.Subject, rotated.Body.Text)
	}
	codeOf(t, rotated)
	if r := h.call(t, "keep-token-get", open(code4)); r.Status != 404 {
		t.Fatalf("the replaced token's link still opens: %d %s", r.Status, r.Body)
	}

	// An administrator's issue names the administrator.
	issued := h.call(t, "admin-create-token", func(ev *events.APIGatewayV2HTTPRequest) {
		ev.PathParameters["id"] = owner
		ev.RawPath = "/admin/users/" + owner + "/tokens"
	})
	if issued.Status != 201 {
		t.Fatalf("admin create: %d %s", issued.Status, issued.Body)
	}
	byAdmin := mailN(t, 7)
	if !strings.Contains(byAdmin.Subject, "Ein Administrator hat für Ihr Konto") || !strings.Contains(byAdmin.Body.Text, "ein Administrator, ") {
		t.Fatalf("administrator's notice: %s\n%s", byAdmin.Subject, byAdmin.Body.Text)
	}
	codeOf(t, byAdmin)
}
