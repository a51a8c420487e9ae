package httpapi_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/sesmail"
)

// asAdmin is another administrator than the sample events' user-root.
func asAdmin(user string) edit {
	return func(ev *events.APIGatewayV2HTTPRequest) {
		as(user, ownerGrants)(ev)
		ev.RequestContext.Authorizer.JWT.Claims["cognito:groups"] = "[pat-admins]"
	}
}

func contentType(v string) edit {
	return func(ev *events.APIGatewayV2HTTPRequest) {
		delete(ev.Headers, "content-type")
		if v != "" {
			ev.Headers["content-type"] = v
		}
	}
}

// A disabled user gets 403 user_disabled from every management route and
// changes nothing, except listing and revoking their own tokens, which
// only reduces access. A disabled administrator administers nothing either.
func TestDisabledUserChangesNothing(t *testing.T) {
	h := newHarness(t)
	id := h.call(t, "create-token", alice).fields()["id"].(string)
	if r := h.call(t, "admin-update-user", onUser("user-alice"), body(`{"status":"disabled","reason":"left"}`)); r.Status != 200 {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}
	tokens, audit := localstack.Dump(t, h.DB, h.Tables.Tokens), localstack.Dump(t, h.DB, h.Tables.Audit)
	for _, tc := range []struct {
		function string
		edits    []edit
	}{
		{"create-token", nil},
		{"get-token", []edit{onToken(id)}},
		{"update-token", []edit{onToken(id), body(`{"name":"still mine"}`)}},
		{"extend-token", []edit{onToken(id), body(`{"expiresInDays":365}`)}},
		{"extend-token", []edit{onToken(id), body(``)}},
		{"rotate-token", []edit{onToken(id)}},
		{"list-token-events", []edit{onToken(id)}},
	} {
		r := h.call(t, tc.function, append([]edit{alice}, tc.edits...)...)
		if r.Status != 403 || r.code() != "user_disabled" {
			t.Errorf("disabled user on %s: %d %s", tc.function, r.Status, r.Body)
		}
	}
	if !reflect.DeepEqual(tokens, localstack.Dump(t, h.DB, h.Tables.Tokens)) || !reflect.DeepEqual(audit, localstack.Dump(t, h.DB, h.Tables.Audit)) {
		t.Fatal("a disabled user's request changed a table")
	}
	// Listing their tokens, to revoke them: allowed.
	if r := h.call(t, "list-tokens", alice); r.Status != 200 || len(r.fields()["items"].([]any)) != 1 {
		t.Fatalf("a disabled user lists their tokens: %d %s", r.Status, r.Body)
	}
	// Revoking only reduces access: allowed.
	if r := h.call(t, "revoke-all-tokens", alice); r.Status != 200 || r.fields()["count"] != 1.0 {
		t.Fatalf("a disabled user previews revoke-all: %d %s", r.Status, r.Body)
	}
	if r := h.call(t, "revoke-token", alice, onToken(id)); r.Status != 204 {
		t.Fatalf("a disabled user revokes their token: %d %s", r.Status, r.Body)
	}

	// A disabled administrator: refused on every admin route.
	if r := h.call(t, "admin-update-user", onUser("user-root"), asAdmin("user-root2"), body(`{"status":"disabled"}`)); r.Status != 200 {
		t.Fatalf("disable an administrator: %d %s", r.Status, r.Body)
	}
	tokens, audit = localstack.Dump(t, h.DB, h.Tables.Tokens), localstack.Dump(t, h.DB, h.Tables.Audit)
	for _, function := range adminRoutes(h) {
		r := h.call(t, function, h.onTokenRoute(function, id))
		if r.Status != 403 || r.code() != "user_disabled" {
			t.Errorf("disabled administrator on %s: %d %s", function, r.Status, r.Body)
		}
	}
	if !reflect.DeepEqual(tokens, localstack.Dump(t, h.DB, h.Tables.Tokens)) || !reflect.DeepEqual(audit, localstack.Dump(t, h.DB, h.Tables.Audit)) {
		t.Fatal("a disabled administrator's request changed a table")
	}
}

// A locked token cannot be extended, as it cannot be rotated: 409 token_locked.
func TestLockedTokenIsNotExtended(t *testing.T) {
	h := newHarness(t)
	id := h.call(t, "create-token", alice).fields()["id"].(string)
	h.call(t, "admin-lock-token", onToken(id))
	before := localstack.Dump(t, h.DB, h.Tables.Tokens)
	for function, b := range map[string]string{"extend-token": `{"expiresInDays":365}`, "rotate-token": `{"overlapSeconds":3600}`} {
		if r := h.call(t, function, alice, onToken(id), body(b)); r.Status != 409 || r.code() != "token_locked" {
			t.Errorf("%s on a locked token: %d %s", function, r.Status, r.Body)
		}
	}
	if !reflect.DeepEqual(before, localstack.Dump(t, h.DB, h.Tables.Tokens)) {
		t.Fatal("a refused extension changed the token")
	}
}

// Bodies must be JSON, said so, valid UTF-8 with no lone surrogates; text
// must not carry controls, bidirectional overrides or only invisible
// characters. Each is refused with a clear message and changes nothing.
func TestLenientBodiesAreRefused(t *testing.T) {
	h := newHarness(t)
	id := h.call(t, "create-token", alice).fields()["id"].(string)
	tokens, audit := localstack.Dump(t, h.DB, h.Tables.Tokens), localstack.Dump(t, h.DB, h.Tables.Audit)
	create := func(name string) edit { return body(`{"name":"` + name + `","scopes":["crm:read"]}`) }
	cases := []struct {
		name, function string
		edits          []edit
		status         int
		code, says     string
	}{
		{"no content type", "create-token", []edit{contentType("")}, 415, "unsupported_media_type", "application/json"},
		{"text/plain", "create-token", []edit{contentType("text/plain")}, 415, "unsupported_media_type", "application/json"},
		{"json-ish", "create-token", []edit{contentType("application/jsonx")}, 415, "unsupported_media_type", "application/json"},
		{"optional body without type", "extend-token", []edit{onToken(id), contentType(""), body(`{"expiresInDays":5}`)}, 415, "unsupported_media_type", "application/json"},
		{"lock without type", "admin-lock-token", []edit{onToken(id), contentType(""), body(`{"reason":"x"}`)}, 415, "unsupported_media_type", "application/json"},
		{"invalid UTF-8", "create-token", []edit{create("bad \xff byte")}, 400, "invalid_request", "UTF-8"},
		{"lone surrogate", "create-token", []edit{create(`a\ud800b`)}, 400, "invalid_request", "surrogate"},
		{"lone low surrogate", "create-token", []edit{create(`a\udc00`)}, 400, "invalid_request", "surrogate"},
		{"reversed pair", "create-token", []edit{create(`\ude00\ud83d`)}, 400, "invalid_request", "surrogate"},
		{"surrogate in a key", "create-token", []edit{body(`{"name\ud800":"a","scopes":["crm:read"]}`)}, 400, "invalid_request", "surrogate"},
		{"bidi override", "create-token", []edit{create("evil\u202Egpj.exe")}, 400, "invalid_request", "bidirectional"},
		{"bidi isolate escaped", "create-token", []edit{create(`x\u2067y`)}, 400, "invalid_request", "bidirectional"},
		{"zero-width only", "create-token", []edit{create("\u200b\u200c\u200d")}, 400, "invalid_request", "visible"},
		{"soft hyphen and BOM only", "create-token", []edit{create(`\u00ad\ufeff`)}, 400, "invalid_request", "visible"},
		{"escaped control", "create-token", []edit{create(`a\u0007b`)}, 400, "invalid_request", "control"},
		{"description bidi", "create-token", []edit{body(`{"name":"a","description":"\u202Dx","scopes":["crm:read"]}`)}, 400, "invalid_request", "bidirectional"},
		{"rename invisible", "update-token", []edit{onToken(id), body(`{"name":"\u2060"}`)}, 400, "invalid_request", "visible"},
		{"reason bidi", "admin-lock-token", []edit{onToken(id), body(`{"reason":"\u202Eok"}`)}, 400, "invalid_request", "bidirectional"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.call(t, tc.function, append([]edit{alice}, tc.edits...)...)
			if tc.function == "admin-lock-token" {
				r = h.call(t, tc.function, tc.edits...)
			}
			if r.Status != tc.status || r.code() != tc.code {
				t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
			if detail, _ := r.fields()["detail"].(string); !strings.Contains(detail, tc.says) {
				t.Fatalf("detail does not say %q: %s", tc.says, r.Body)
			}
		})
	}
	if !reflect.DeepEqual(tokens, localstack.Dump(t, h.DB, h.Tables.Tokens)) || !reflect.DeepEqual(audit, localstack.Dump(t, h.DB, h.Tables.Audit)) {
		t.Fatal("a refused body changed a table")
	}
	// What is fine stays fine: a charset parameter, a surrogate pair, an
	// emoji with a zero-width joiner, right-to-left text without overrides.
	for _, ok := range []edit{
		contentType("application/json; charset=utf-8"),
		contentType("Application/JSON"),
		create(`rocket \ud83d\ude80`),
		create("family 👩\u200d👩\u200d👧"),
		create("שלום deploy"),
	} {
		if r := h.call(t, "create-token", alice, ok); r.Status != 201 {
			t.Errorf("a good request refused: %d %s", r.Status, r.Body)
		}
	}
	if r := h.call(t, "extend-token", alice, onToken(id), contentType(""), body("")); r.Status != 200 {
		t.Errorf("an extension without a body needs no content type: %d %s", r.Status, r.Body)
	}
}

// JSON answers end with a newline; problem types are the service's own
// /problems/<code> pages.
func TestResponsesEndWithNewlineAndNameTheirProblem(t *testing.T) {
	h := newHarness(t)
	ok := h.call(t, "list-tokens", alice)
	bad := h.call(t, "get-token", alice, onToken("x"))
	for _, r := range []result{ok, bad} {
		if !strings.HasSuffix(string(r.Body), "}\n") {
			t.Errorf("body does not end with a newline: %q", r.Body)
		}
	}
	if typ := bad.fields()["type"]; typ != "/problems/not_found" {
		t.Fatalf("problem type %v", typ)
	}
	page := h.call(t, "problem-page", func(ev *events.APIGatewayV2HTTPRequest) {
		ev.PathParameters["code"] = "not_found"
		ev.RawPath = "/problems/not_found"
	})
	if page.Status != 200 || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(page.Body), "not_found") || !strings.Contains(string(page.Body), "404") {
		t.Fatalf("problem page: %d %s", page.Status, page.Body)
	}
	if r := h.call(t, "problem-page", func(ev *events.APIGatewayV2HTTPRequest) {
		ev.PathParameters["code"] = "<script>"
		ev.RawPath = "/problems/%3Cscript%3E"
	}); r.Status != 404 || strings.Contains(string(r.Body), "<script>") {
		t.Fatalf("unknown problem page: %d %s", r.Status, r.Body)
	}
}

// A revoke-all preview says what it would do, not that it revoked nothing.
func TestRevokeAllPreviewIsHonest(t *testing.T) {
	h := newHarness(t)
	h.call(t, "create-token", alice)
	r := h.call(t, "revoke-all-tokens", alice, body(`{"preview":true}`))
	f := r.fields()
	if r.Status != 200 || f["preview"] != true || f["count"] != 1.0 || f["revoked"] != nil || f["complete"] != nil {
		t.Fatalf("preview: %d %s", r.Status, r.Body)
	}
	r = h.call(t, "admin-revoke-all", body(`{"owner":"user-alice","preview":true}`))
	if f := r.fields(); r.Status != 200 || f["preview"] != true || f["count"] != 1.0 || f["revoked"] != nil {
		t.Fatalf("admin preview: %d %s", r.Status, r.Body)
	}
}

// An administrator creates a token for a user: within the user's effective
// permissions, shown once to the administrator, audited as theirs on the
// user's token, and the owner is told by mail.
func TestAdminCreatesTokenForUser(t *testing.T) {
	h := newHarness(t)
	mail, err := sesmail.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	h.build(t, h.DB, mail)
	owner := fmt.Sprintf("user-issued-%d", time.Now().UnixNano())
	onOwner := func(ev *events.APIGatewayV2HTTPRequest) {
		ev.PathParameters["id"] = owner
		ev.RawPath = "/admin/users/" + owner + "/tokens"
	}
	if r := h.call(t, "admin-create-token", onOwner); r.Status != 404 || r.code() != "not_found" {
		t.Fatalf("a user never seen: %d %s", r.Status, r.Body)
	}
	// The owner signs in once (a token of their own) with crm:read only.
	h.call(t, "create-token", as(owner, "crm:read"), body(`{"name":"own","scopes":["crm:read"]}`))
	before := localstack.Dump(t, h.DB, h.Tables.Tokens)
	for _, tc := range []struct {
		edits  []edit
		status int
		code   string
	}{
		{[]edit{onOwner, body(`{"name":"x","scopes":["crm:delete"]}`)}, 403, "scope_not_permitted"}, // the administrator holds crm:*, the user does not
		{[]edit{onOwner, body(`{"name":"x","scopes":["hr:read"]}`)}, 400, "unknown_scope"},
		{[]edit{onOwner, body(`{"name":"\u202Ex","scopes":["crm:read"]}`)}, 400, "invalid_request"},
		{[]edit{onOwner, contentType("")}, 415, "unsupported_media_type"},
		{[]edit{onOwner, alice}, 403, "forbidden"},
		{[]edit{onOwner, anonymous}, 401, "unauthenticated"},
	} {
		if r := h.call(t, "admin-create-token", tc.edits...); r.Status != tc.status || r.code() != tc.code {
			t.Errorf("%d %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
		}
	}
	if !reflect.DeepEqual(before, localstack.Dump(t, h.DB, h.Tables.Tokens)) {
		t.Fatal("a refused request changed the tokens table")
	}

	r := h.call(t, "admin-create-token", onOwner)
	f := r.fields()
	secret, _ := f["token"].(string)
	if r.Status != 201 || f["userId"] != owner || f["ownerEmail"] != owner+"@example.com" || !strings.HasPrefix(secret, "pat_"+f["id"].(string)+"_") || fmt.Sprint(f["scopes"]) != "[crm:read]" {
		t.Fatalf("admin create: %d %s", r.Status, r.Body)
	}
	id := f["id"].(string)
	// The owner sees it (never its secret); the administrator's act is audited on it.
	if got := h.call(t, "get-token", as(owner, "crm:read"), onToken(id)); got.Status != 200 || got.fields()["token"] != nil || got.fields()["name"] != "alice ci" {
		t.Fatalf("the owner's view: %d %s", got.Status, got.Body)
	}
	evs := h.audit(t, "token", id)
	if len(evs) != 1 || evs[0]["action"] != "token.created" || evs[0]["actorId"] != "user-root" || evs[0]["actorRole"] != "admin" || evs[0]["ownerId"] != owner {
		t.Fatalf("audit: %v", evs)
	}
	mails := localstack.Inbox(t, owner+"@example.com")
	if len(mails) == 0 {
		t.Fatal("the owner got no mail")
	}
	if m := mails[len(mails)-1]; !strings.Contains(m.Subject, "An administrator issued") || !strings.Contains(m.Body.Text, id) || !strings.Contains(m.Body.Text, "root@example.com") || strings.Contains(m.Body.Text, secret[len(secret)-49:]) {
		t.Fatalf("owner's mail: %+v", mails)
	}

	// A disabled user gets no token from an administrator either.
	h.call(t, "admin-update-user", func(ev *events.APIGatewayV2HTTPRequest) {
		ev.PathParameters["id"] = owner
		ev.RawPath = "/admin/users/" + owner
	}, body(`{"status":"disabled"}`))
	if r := h.call(t, "admin-create-token", onOwner); r.Status != 403 || r.code() != "user_disabled" {
		t.Fatalf("for a disabled user: %d %s", r.Status, r.Body)
	}
}
