package httpapi_test

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/sesmail"
	"github.com/patservice/pat/internal/testenv"
)

// bearer sends tok as the request's one Authorization header ("": none).
func bearer(tok string) edit {
	return func(ev *events.APIGatewayV2HTTPRequest) {
		delete(ev.Headers, "authorization")
		if tok != "" {
			ev.Headers["authorization"] = "Bearer " + tok
		}
	}
}

func setHeader(name, value string) edit {
	return func(ev *events.APIGatewayV2HTTPRequest) { ev.Headers[name] = value }
}

// selfRotating creates one of alice's tokens through the API, with
// tokens:self-rotate unless told otherwise; it returns id and secret.
func (h *harness) selfRotating(t *testing.T, extra string, scopes ...string) (string, string) {
	t.Helper()
	if scopes == nil {
		scopes = []string{"crm:read", "tokens:self-rotate"}
	}
	r := h.call(t, "create-token", body(`{"name":"ci deploy","scopes":["`+strings.Join(scopes, `","`)+`"]`+extra+`}`))
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	return r.fields()["id"].(string), r.fields()["token"].(string)
}

// tables is everything the service stores, by table and key (whatever
// order a scan gives): what a refusal must not change.
func (h *harness) tables(t *testing.T) map[string]map[string]types.AttributeValue {
	t.Helper()
	out := map[string]map[string]types.AttributeValue{}
	for _, table := range []string{h.Tables.Tokens, h.Tables.Audit} {
		for _, item := range localstack.Dump(t, h.DB, table) {
			pk, _ := item["pk"].(*types.AttributeValueMemberS)
			sk, _ := item["sk"].(*types.AttributeValueMemberS)
			out[table+" "+pk.Value+" "+sk.Value] = item
		}
	}
	return out
}

// A machine rotates its token with that token: 201 with the replacement
// once, which works through the authorizer at once; the old token works
// until the overlap it asked for ends, then it is refused as a reuse. The
// rotation is on the owner's trail, marked as the token's own, from the
// address API Gateway saw (not X-Forwarded-For). A second rotation with
// the old token, still in its overlap, is 401 and changes nothing.
func TestSelfRotate(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	// The console offers it from GET /me, whatever the caller's permissions.
	if own := h.call(t, "get-me", as("user-erin", "")).fields()["ownScopes"]; !reflect.DeepEqual(own, []any{"tokens:self-rotate"}) {
		t.Fatalf("GET /me's ownScopes = %v", own)
	}
	oldID, oldSecret := h.selfRotating(t, "")

	start := time.Now()
	r := h.call(t, "self-rotate-token", bearer(oldSecret), body(`{"overlapSeconds":3600}`))
	if r.Status != 201 || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("self-rotate: %d %v %s", r.Status, r.Header, r.Body)
	}
	next := r.fields()
	newID, newSecret := next["id"].(string), next["token"].(string)
	if newID == oldID || !strings.HasPrefix(newSecret, "pat_") || next["name"] != "ci deploy" ||
		!reflect.DeepEqual(next["scopes"], []any{"crm:read", "tokens:self-rotate"}) {
		t.Fatalf("replacement %s", r.Body)
	}

	catalog := h.Authorizer(t, h.AuthorizerConfig(), h.DB)
	decide := func(secret string, at time.Time) authz.Decision {
		t.Helper()
		h.Clock.Set(at)
		d, err := catalog.Decide(ctx, authz.Request{Authorization: "Bearer " + secret, Method: "GET", Path: "/api/crm/contacts", SourceIP: "203.0.113.10"})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := decide(newSecret, start); d.Outcome != authz.Allowed || !slices.Contains(d.Scopes, "tokens:self-rotate") {
		t.Fatalf("the replacement: %v %s %v", d.Outcome, d.Reason, d.Scopes)
	}
	if d := decide(oldSecret, start.Add(59*time.Minute)); d.Outcome != authz.Allowed {
		t.Fatalf("the old token in its overlap: %v %s", d.Outcome, d.Reason)
	}
	if d := decide(oldSecret, start.Add(61*time.Minute)); d.Outcome != authz.Unauthorized || d.Reason != authz.ReasonReuse {
		t.Fatalf("the old token after its overlap: %v %s", d.Outcome, d.Reason)
	}

	var rotated map[string]any
	for _, ev := range h.call(t, "list-token-events", onToken(oldID)).fields()["items"].([]any) {
		if m := ev.(map[string]any); m["action"] == "token.rotated" {
			rotated = m
		}
	}
	details, _ := rotated["details"].(map[string]any)
	if rotated == nil || rotated["actorId"] != "user-alice" || rotated["sourceIp"] != "203.0.113.10" ||
		details["selfRotated"] != "true" || details["replacedBy"] != newID {
		t.Fatalf("the rotation on the trail: %v", rotated)
	}

	before := h.tables(t)
	again := h.call(t, "self-rotate-token", bearer(oldSecret))
	if again.Status != 401 || again.code() != "invalid_token" || !strings.Contains(again.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("a replaced token rotates again: %d %v %s", again.Status, again.Header, again.Body)
	}
	if !reflect.DeepEqual(before, h.tables(t)) {
		t.Fatal("a refused second rotation changed the tables")
	}
	// The replacement may rotate itself in turn (the empty body: no overlap).
	if r := h.call(t, "self-rotate-token", bearer(newSecret), body("")); r.Status != 201 {
		t.Fatalf("the replacement rotates itself: %d %s", r.Status, r.Body)
	}
	if st := h.call(t, "get-token", onToken(newID)).fields()["status"]; st != "revoked" {
		t.Fatalf("rotated without an overlap, the replacement is %v", st)
	}
}

// Every refusal of a self-rotation answers RFC 6750's way, as
// openapi.yaml says (each answer is validated against it), and changes
// nothing: no rotation, no audit event, not even the token's last use.
func TestSelfRotateRefusals(t *testing.T) {
	h := newHarness(t)
	_, good := h.selfRotating(t, "")
	_, noScope := h.selfRotating(t, "", "crm:read")
	_, limited := h.selfRotating(t, `,"allowedSources":["192.0.2.0/24"]`)
	lockedID, locked := h.selfRotating(t, "")
	if r := h.call(t, "admin-lock-token", onToken(lockedID), asAdmin("user-root"), body(`{"reason":"seen in a build log"}`)); r.Status != 200 {
		t.Fatalf("lock: %d %s", r.Status, r.Body)
	}
	revokedID, revoked := h.selfRotating(t, "")
	if r := h.call(t, "revoke-token", onToken(revokedID)); r.Status != 204 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	r := h.call(t, "create-token", as("user-dora", "crm:read"), body(`{"name":"dora's ci","scopes":["tokens:self-rotate"]}`))
	disabled := r.fields()["token"].(string)
	if r := h.call(t, "admin-update-user", onUser("user-dora"), asAdmin("user-root"), body(`{"status":"disabled"}`)); r.Status != 200 {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}

	invalid := `Bearer realm="pat", error="invalid_token"`
	cases := []struct {
		name      string
		edits     []edit
		status    int
		code      string
		challenge string // WWW-Authenticate; "" for none
	}{
		{"no token", []edit{bearer("")}, 401, "invalid_token", `Bearer realm="pat"`},
		{"not a token", []edit{bearer("nope")}, 401, "invalid_token", invalid},
		{"a token of ours, altered", []edit{bearer(testenv.Tamper(good))}, 401, "invalid_token", invalid},
		{"locked", []edit{bearer(locked)}, 401, "invalid_token", invalid},
		{"revoked", []edit{bearer(revoked)}, 401, "invalid_token", invalid},
		{"its owner disabled", []edit{bearer(disabled)}, 401, "invalid_token", invalid},
		{"without tokens:self-rotate", []edit{bearer(noScope)}, 403, "insufficient_scope",
			`Bearer realm="pat", error="insufficient_scope", scope="tokens:self-rotate"`},
		// The forwarded-for header names an allowed address: a client
		// sets it, so it counts for nothing.
		{"from an address not allowed", []edit{bearer(limited), setHeader("x-forwarded-for", "192.0.2.7")}, 403, "source_not_allowed",
			`Bearer realm="pat", error="insufficient_scope"`},
		{"two tokens", []edit{setHeader("authorization", "Bearer "+good+",Bearer "+noScope)}, 400, "invalid_request",
			`Bearer realm="pat", error="invalid_request"`},
		{"a token in the query", []edit{bearer(good), query("access_token", good)}, 400, "invalid_request",
			`Bearer realm="pat", error="invalid_request"`},
		{"an overlap over 7 days", []edit{bearer(good), body(`{"overlapSeconds":604801}`)}, 400, "invalid_request", ""},
		{"a negative overlap", []edit{bearer(good), body(`{"overlapSeconds":-1}`)}, 400, "invalid_request", ""},
		{"an overlap that is no number", []edit{bearer(good), body(`{"overlapSeconds":"1h"}`)}, 400, "invalid_request", ""},
		{"an unknown field", []edit{bearer(good), body(`{"overlap":60}`)}, 400, "invalid_request", ""},
		{"not JSON", []edit{bearer(good), contentType("text/plain")}, 415, "unsupported_media_type", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := h.tables(t)
			r := h.call(t, "self-rotate-token", tc.edits...)
			if r.Status != tc.status || r.code() != tc.code || r.Header.Get("WWW-Authenticate") != tc.challenge {
				t.Fatalf("%d %s, WWW-Authenticate %q; want %d %s, %q\n%s", r.Status, r.code(), r.Header.Get("WWW-Authenticate"), tc.status, tc.code, tc.challenge, r.Body)
			}
			if strings.Contains(string(r.Body), "pat_") {
				t.Fatalf("a refusal shows a token: %s", r.Body)
			}
			if !reflect.DeepEqual(before, h.tables(t)) {
				t.Fatal("the refusal changed the tables")
			}
		})
	}
	if r := h.call(t, "self-rotate-token", bearer(noScope)); !reflect.DeepEqual(r.fields()["scopes"], []any{"tokens:self-rotate"}) {
		t.Fatalf("insufficient_scope names the scope: %s", r.Body)
	}
}

// A DynamoDB failure in the rotation's transaction is a 500 that says
// nothing more and leaves no rotation half-done: the old token as it was,
// no replacement, no audit event; the same request then succeeds.
func TestSelfRotateFailureChangesNothing(t *testing.T) {
	h := newHarness(t)
	id, secret := h.selfRotating(t, "")
	// A use on another API records the token's last use now, so that the
	// failing call's decision has none to record.
	if d, err := h.Authorizer(t, h.AuthorizerConfig(), h.DB).Authorize(context.Background(),
		authz.Request{Authorization: "Bearer " + secret, Method: "GET", Path: "/api/crm/contacts"}); err != nil || d.Outcome != authz.Allowed {
		t.Fatalf("a use: %v %s %v", d.Outcome, d.Reason, err)
	}
	before := h.tables(t)
	failing := &localstack.FailTransaction{API: h.DB}
	failing.At.Store(1)
	h.build(t, failing, nil)
	r := h.call(t, "self-rotate-token", bearer(secret))
	if r.Status != 500 || r.code() != "internal" || strings.Contains(string(r.Body), "injected") {
		t.Fatalf("with a failing transaction: %d %s", r.Status, r.Body)
	}
	// The notice's one-click link is put before the transaction, as in
	// every rotation: left by a failed one, it names a token that never
	// came to be, so it can do nothing, and it expires.
	after := h.tables(t)
	maps.DeleteFunc(after, func(k string, _ map[string]types.AttributeValue) bool {
		_, old := before[k]
		return !old && strings.HasPrefix(k, h.Tables.Tokens+" LINK#")
	})
	if !reflect.DeepEqual(before, after) {
		t.Logf("before %v\nafter %v", slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
		t.Fatal("a failed self-rotation changed the tables")
	}
	h.build(t, h.DB, nil)
	if r := h.call(t, "self-rotate-token", bearer(secret), body("")); r.Status != 201 {
		t.Fatalf("again: %d %s", r.Status, r.Body)
	}
	if st := h.call(t, "get-token", onToken(id)).fields()["status"]; st != "revoked" {
		t.Fatalf("after the rotation the old token is %v", st)
	}
}

// A self-rotation is mailed to the owner as any rotation is: the
// replacement's creation notice names the address API Gateway saw (not
// the forwarded-for header) and carries the "this was not me" link of the
// API the machine called, whose button revokes the replacement.
func TestSelfRotationNotice(t *testing.T) {
	h := newHarness(t)
	mail, err := sesmail.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	h.build(t, h.DB, mail)
	owner := fmt.Sprintf("user-selfrot-%d", time.Now().UnixNano())
	r := h.call(t, "create-token", as(owner, ownerGrants), body(`{"name":"nightly deploy","scopes":["crm:read","tokens:self-rotate"]}`))
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	rotated := h.call(t, "self-rotate-token", bearer(r.fields()["token"].(string)))
	if rotated.Status != 201 {
		t.Fatalf("self-rotate: %d %s", rotated.Status, rotated.Body)
	}
	mails := localstack.Inbox(t, owner+"@example.com")
	if len(mails) != 2 {
		t.Fatalf("%d mails to the owner, want the creation's and the rotation's", len(mails))
	}
	notice := mails[1].Body.Text
	if subject := mails[1].Subject; subject != `Your token "nightly deploy" rotated itself` || !strings.Contains(notice, "replaced itself") || !strings.Contains(notice, "tokens:self-rotate") {
		t.Fatalf("the rotation's notice does not say the token rotated itself: %q\n%s", subject, notice)
	}
	link := notMeLink.FindStringSubmatch(notice)
	if link == nil || !strings.Contains(notice, "nightly deploy") || !strings.Contains(notice, "203.0.113.10") || strings.Contains(notice, "198.51.100.77") {
		t.Fatalf("the rotation's notice:\n%s", notice)
	}
	code, err := url.QueryUnescape(link[1])
	if err != nil {
		t.Fatal(err)
	}
	if r := h.call(t, "keep-token-post", body("code="+url.QueryEscape(code)), func(ev *events.APIGatewayV2HTTPRequest) {
		ev.Headers = map[string]string{"content-type": "application/x-www-form-urlencoded"}
	}); r.Status != 200 {
		t.Fatalf("this was not me: %d %s", r.Status, r.Body)
	}
	if st := h.call(t, "get-token", as(owner, ownerGrants), onToken(rotated.fields()["id"].(string))).fields()["status"]; st != "revoked" {
		t.Fatalf("after \"this was not me\" the replacement is %v", st)
	}
}

// The management API follows the request authorizer's settings: GET /me
// says how often a use is recorded (LAST_USED_INTERVAL_MINUTES), and the
// self-rotation's refusals name the deployment's realm (AUTH_REALM).
func TestManagementFollowsTheAuthorizersSettings(t *testing.T) {
	h := newHarness(t)
	if got := h.call(t, "get-me", alice).fields()["lastUsedIntervalMinutes"]; got != float64(10) {
		t.Fatalf("lastUsedIntervalMinutes: %v, want 10", got)
	}
	h.cfg.Realm, h.cfg.Rules.LastUseInterval = "tokens.example.com", time.Hour
	h.build(t, h.DB, nil)
	if got := h.call(t, "get-me", alice).fields()["lastUsedIntervalMinutes"]; got != float64(60) {
		t.Fatalf("lastUsedIntervalMinutes: %v, want 60", got)
	}
	r := h.call(t, "self-rotate-token", bearer(""))
	if got := r.Header.Get("WWW-Authenticate"); r.Status != 401 || got != `Bearer realm="tokens.example.com"` {
		t.Fatalf("refusal: %d, WWW-Authenticate %q", r.Status, got)
	}
}
