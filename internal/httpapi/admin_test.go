package httpapi_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/sesmail"
)

// The sample events of /admin routes are an administrator's (user-root in
// the group pat-admins); alice is the owner.
var alice = as("user-alice", ownerGrants)

// ownerGrants cover the scopes of the create-token sample event.
const ownerGrants = "crm:* orders:read"

func anonymous(ev *events.APIGatewayV2HTTPRequest) { ev.RequestContext.Authorizer = nil }

// onUser points a /admin/users/{id} event at a user.
func onUser(id string) edit {
	return func(ev *events.APIGatewayV2HTTPRequest) {
		ev.PathParameters["id"] = id
		ev.RawPath = "/admin/users/" + id
	}
}

// onTokenRoute points an event at token id if its route names a token.
func (h *harness) onTokenRoute(function, id string) edit {
	if strings.Contains(h.routes[function].Path, "/tokens/{id}") {
		return onToken(id)
	}
	return func(*events.APIGatewayV2HTTPRequest) {}
}

func adminRoutes(h *harness) []string {
	var out []string
	for _, r := range h.api.Routes() {
		if strings.HasPrefix(r.Path, "/admin/") {
			out = append(out, fixtureName(h.api.Routes(), r))
		}
	}
	return out
}

// Every /admin route refuses anyone without the role (401 without a
// session, 403 for a user, even one with every permission or another
// group) and changes nothing; an administrator gets an answer from each.
func TestAdminRoutesNeedTheRole(t *testing.T) {
	h := newHarness(t)
	id := h.call(t, "create-token", alice).fields()["id"].(string)
	tokens, audit := localstack.Dump(t, h.DB, h.Tables.Tokens), localstack.Dump(t, h.DB, h.Tables.Audit)
	roles := []struct {
		name   string
		edit   edit
		status int
		code   string
	}{
		{"no session", anonymous, 401, "unauthenticated"},
		{"owner", alice, 403, "forbidden"},
		{"user with every permission", as("user-mallory", "*"), 403, "forbidden"},
		{"user in another group", func(ev *events.APIGatewayV2HTTPRequest) {
			as("user-mallory", "*")(ev)
			ev.RequestContext.Authorizer.JWT.Claims["cognito:groups"] = "[pat-users pat-admins-readonly]"
		}, 403, "forbidden"},
	}
	routes := adminRoutes(h)
	if len(routes) != 12 {
		t.Fatalf("admin routes: %v", routes)
	}
	for _, role := range roles {
		for _, function := range routes {
			r := h.call(t, function, h.onTokenRoute(function, id), role.edit)
			if r.Status != role.status || r.code() != role.code {
				t.Errorf("%s on %s: %d %s", role.name, function, r.Status, r.Body)
			}
		}
	}
	if !reflect.DeepEqual(tokens, localstack.Dump(t, h.DB, h.Tables.Tokens)) || !reflect.DeepEqual(audit, localstack.Dump(t, h.DB, h.Tables.Audit)) {
		t.Fatal("a refused request changed a table")
	}
	// The administrator, in route order: list, get, lock, unlock, report
	// as leaked, revoke (a no-op by then), revoke-all (preview), get user,
	// create a token for the user, disable user, audit.
	for _, function := range routes {
		if r := h.call(t, function, h.onTokenRoute(function, id)); r.Status >= 300 {
			t.Errorf("administrator on %s: %d %s", function, r.Status, r.Body)
		}
	}
}

// An administrator locks a token: its owner sees it locked and can neither
// unlock nor rotate it, but can still revoke it. Unlocking restores it.
func TestLockAndUnlock(t *testing.T) {
	h := newHarness(t)
	id := h.call(t, "create-token", alice).fields()["id"].(string)
	if r := h.call(t, "admin-lock-token", onToken(id), body(`{}`)); r.Status != 400 || !strings.Contains(string(r.Body), "reason") {
		t.Fatalf("lock without a reason: %d %s", r.Status, r.Body)
	}
	locked := h.call(t, "admin-lock-token", onToken(id))
	if locked.Status != 200 || locked.fields()["status"] != "locked" || locked.fields()["userId"] != "user-alice" {
		t.Fatalf("lock: %d %s", locked.Status, locked.Body)
	}
	if r := h.call(t, "admin-lock-token", onToken(id)); r.Status != 409 || r.code() != "token_not_active" {
		t.Fatalf("lock twice: %d %s", r.Status, r.Body)
	}
	if r := h.call(t, "get-token", alice, onToken(id)); r.fields()["status"] != "locked" {
		t.Fatalf("the owner sees %s", r.Body)
	}
	if r := h.call(t, "admin-unlock-token", alice, onToken(id)); r.Status != 403 {
		t.Fatalf("the owner unlocks: %d %s", r.Status, r.Body)
	}
	if r := h.call(t, "rotate-token", alice, onToken(id)); r.Status != 409 {
		t.Fatalf("the owner rotates a locked token: %d %s", r.Status, r.Body)
	}
	if r := h.call(t, "admin-unlock-token", onToken(id), body("")); r.Status != 200 || r.fields()["status"] != "active" {
		t.Fatalf("unlock: %d %s", r.Status, r.Body)
	}
	if r := h.call(t, "admin-unlock-token", onToken(id)); r.Status != 409 {
		t.Fatalf("unlock an active token: %d %s", r.Status, r.Body)
	}
}

// An administrator's lock and revocation are mailed to the owner: which
// token, who and why.
func TestOwnerIsToldOfAdministratorsActions(t *testing.T) {
	h := newHarness(t)
	mail, err := sesmail.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	h.build(t, h.DB, mail)
	owner := fmt.Sprintf("user-notice-%d", time.Now().UnixNano())
	id := h.call(t, "create-token", as(owner, ownerGrants)).fields()["id"].(string)
	h.call(t, "admin-lock-token", onToken(id), body(`{"reason":"seen in a public repository"}`))
	h.call(t, "admin-revoke-token", onToken(id), body(`{"reason":"leaked"}`))
	mails := localstack.Inbox(t, owner+"@example.com")
	if len(mails) != 3 {
		t.Fatalf("owner got %d mails", len(mails))
	}
	for i, want := range []string{"locked", "revoked"} {
		m := mails[i+1] // after the creation's notice
		reason := map[string]string{"locked": "seen in a public repository", "revoked": "leaked"}[want]
		for _, s := range []string{"ci deploy", id, "root@example.com", reason} {
			if !strings.Contains(m.Body.Text, s) || !strings.Contains(m.Body.HTML, s) {
				t.Errorf("the %s mail does not say %q:\n%s", want, s, m.Body.Text)
			}
		}
		if !strings.Contains(m.Subject, want) {
			t.Errorf("subject %q", m.Subject)
		}
	}
	// Sent notices leave the outbox.
	for _, item := range localstack.Dump(t, h.DB, h.Tables.Tokens) {
		if pk, _ := item["pk"].(*types.AttributeValueMemberS); pk == nil || strings.HasPrefix(pk.Value, "NOTICE#") {
			t.Fatalf("a sent notice is still in the outbox: %v", item)
		}
	}
}

// Administrators see every token, filtered, never a secret or digest.
func TestAdminListsEveryToken(t *testing.T) {
	h := newHarness(t)
	a := h.call(t, "create-token", alice).fields()["id"].(string)
	b := h.call(t, "create-token", as("user-bob", "crm:*"), body(`{"name":"bob's","scopes":["crm:read"],"expiresInDays":3}`)).fields()["id"].(string)
	h.call(t, "admin-lock-token", onToken(b))
	ids := func(r result) []string {
		if r.Status != 200 {
			t.Fatalf("list: %d %s", r.Status, r.Body)
		}
		var out []string
		for _, it := range r.fields()["items"].([]any) {
			out = append(out, it.(map[string]any)["id"].(string))
		}
		slices.Sort(out)
		return out
	}
	both := []string{a, b}
	slices.Sort(both)
	soon := time.Now().Add(10 * 24 * time.Hour).UTC().Format(time.RFC3339)
	for _, c := range []struct {
		query []string
		want  []string
	}{
		{nil, both},
		{[]string{"owner", "user-bob"}, []string{b}},
		{[]string{"status", "locked"}, []string{b}},
		{[]string{"status", "active"}, []string{a}},
		{[]string{"status", "revoked"}, nil},
		{[]string{"expiringBefore", soon}, []string{b}},
		{[]string{"owner", "user-alice", "lastUsedBefore", soon}, []string{a}},
	} {
		r := h.call(t, "admin-list-tokens", query(c.query...))
		if got := ids(r); r.Status != 200 || !slices.Equal(got, c.want) {
			t.Errorf("list %v: %d %v, want %v", c.query, r.Status, got, c.want)
		}
		if strings.Contains(string(r.Body), "digest") {
			t.Fatal("a digest is listed")
		}
	}
	for _, c := range []struct {
		query []string
		count int
	}{{nil, 2}, {[]string{"status", "locked"}, 1}, {[]string{"status", "revoked"}, 0}} {
		total, _ := h.call(t, "admin-list-tokens", query(c.query...)).fields()["total"].(map[string]any)
		if total == nil || total["count"] != float64(c.count) || total["more"] != false {
			t.Errorf("total of %v: %v, want %d", c.query, total, c.count)
		}
	}
	if r := h.call(t, "admin-list-tokens", query("status", "gone")); r.Status != 400 {
		t.Fatalf("bad status: %d", r.Status)
	}
	// One at a time: the cursor walks every token once.
	var seen []string
	cursor := ""
	for range 5 {
		r := h.call(t, "admin-list-tokens", query("limit", "1", "cursor", cursor))
		if _, counted := r.fields()["total"]; counted == (cursor != "") {
			t.Fatalf("total on the page after cursor %q: %v", cursor, counted)
		}
		seen = append(seen, ids(r)...)
		if cursor, _ = r.fields()["nextCursor"].(string); cursor == "" {
			break
		}
	}
	slices.Sort(seen)
	if !slices.Equal(seen, both) {
		t.Fatalf("paged through %v", seen)
	}
	if r := h.call(t, "admin-get-token", onToken(b)); r.fields()["ownerEmail"] != "user-bob@example.com" || r.fields()["status"] != "locked" {
		t.Fatalf("get: %s", r.Body)
	}
}

// Administrators list every token by expiry, soonest first; an extension
// moves a token; an unknown order, or an order other than the newest
// first with an owner, is a 400.
func TestAdminListsTokensByExpiry(t *testing.T) {
	h := newHarness(t)
	create := func(user string, days int) string {
		r := h.call(t, "create-token", as(user, "crm:*"), body(fmt.Sprintf(`{"name":"t%d","scopes":["crm:read"],"expiresInDays":%d}`, days, days)))
		if r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		return r.fields()["id"].(string)
	}
	late, soon, middle := create("user-alice", 90), create("user-bob", 3), create("user-alice", 30)
	if got := itemIDs(h.call(t, "admin-list-tokens", query("sort", "expires"))); !slices.Equal(got, []string{soon, middle, late}) {
		t.Fatalf("by expiry: %v", got)
	}
	if got := itemIDs(h.call(t, "admin-list-tokens", query("sort", "created"))); !slices.Equal(got, []string{middle, soon, late}) {
		t.Fatalf("newest first: %v", got)
	}
	if r := h.call(t, "extend-token", as("user-bob", "crm:*"), onToken(soon), body(`{"expiresInDays":365}`)); r.Status != 200 {
		t.Fatalf("extend: %d %s", r.Status, r.Body)
	}
	if got := itemIDs(h.call(t, "admin-list-tokens", query("sort", "expires"))); !slices.Equal(got, []string{middle, late, soon}) {
		t.Fatalf("by expiry after an extension: %v", got)
	}
	for _, bad := range [][]string{{"sort", "size"}, {"sort", "expires", "owner", "user-alice"}} {
		if r := h.call(t, "admin-list-tokens", query(bad...)); r.Status != 400 {
			t.Errorf("%v: %d %s", bad, r.Status, r.Body)
		}
	}
}

// Administrators list every token by last use, the most recent first and
// the tokens never used last: a use through the authorizer moves a token
// at once; lastUsedBefore keeps the tokens not used since.
func TestAdminListsTokensByLastUse(t *testing.T) {
	h := newHarness(t)
	h.Clock.Set(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	a := h.Authorizer(t, h.AuthorizerConfig(), h.DB)
	create := func(user string) (id, secret string) {
		r := h.call(t, "create-token", as(user, "crm:*"), body(`{"name":"t","scopes":["crm:read"],"expiresInDays":30}`))
		if r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		h.Clock.Advance(time.Second)
		return r.fields()["id"].(string), r.fields()["token"].(string)
	}
	use := func(secret string) {
		t.Helper()
		d, err := a.Authorize(context.Background(), authz.Request{Authorization: "Bearer " + secret, Method: "GET", Path: "/api/crm/contacts", SourceIP: "192.0.2.7"})
		if err != nil || d.Outcome != authz.Allowed {
			t.Fatalf("use: %+v, %v", d, err)
		}
		h.Clock.Advance(time.Minute)
	}
	first, firstSecret := create("user-alice")
	second, secondSecret := create("user-bob")
	never, _ := create("user-alice")
	use(secondSecret)
	since := h.Clock.Now()
	use(firstSecret)
	if got := itemIDs(h.call(t, "admin-list-tokens", query("sort", "lastUsed"))); !slices.Equal(got, []string{first, second, never}) {
		t.Fatalf("by last use: %v", got)
	}
	if got := itemIDs(h.call(t, "admin-list-tokens", query("sort", "lastUsed", "lastUsedBefore", since.Format(time.RFC3339)))); !slices.Equal(got, []string{second, never}) {
		t.Fatalf("by last use, not used since %s: %v", since, got)
	}
	if r := h.call(t, "admin-list-tokens", query("sort", "lastUsed", "owner", "user-alice")); r.Status != 400 {
		t.Fatalf("by last use with an owner: %d %s", r.Status, r.Body)
	}
}

// Disabling and enabling a user, and limiting their permissions.
func TestAdminUpdatesUsers(t *testing.T) {
	h := newHarness(t)
	h.call(t, "create-token", alice)
	limit := h.call(t, "admin-update-user", body(`{"permissions":["crm:read","orders:*"],"reason":"moved to support"}`))
	u := limit.fields()
	if limit.Status != 200 || fmt.Sprint(u["effectivePermissions"]) != "[crm:read orders:read]" || fmt.Sprint(u["permissionLimit"]) != "[crm:read orders:create orders:delete orders:read orders:update]" {
		t.Fatalf("limit: %d %s", limit.Status, limit.Body)
	}
	// A later sign-in with more permissions does not widen the limit.
	if r := h.call(t, "create-token", alice, body(`{"name":"x","scopes":["crm:update"]}`)); r.Status != 403 || r.code() != "scope_not_permitted" {
		t.Fatalf("create beyond the limit: %d %s", r.Status, r.Body)
	}
	if r := h.call(t, "create-token", alice, body(`{"name":"x","scopes":["crm:read"]}`)); r.Status != 201 {
		t.Fatalf("create within the limit: %d %s", r.Status, r.Body)
	}
	if r := h.call(t, "admin-update-user", body(`{"permissions":null}`)); r.Status != 200 || r.fields()["permissionLimit"] != nil {
		t.Fatalf("remove the limit: %d %s", r.Status, r.Body)
	}
	if r := h.call(t, "admin-update-user", body(`{"status":"disabled"}`)); r.Status != 200 || r.fields()["status"] != "disabled" {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}
	if r := h.call(t, "create-token", alice); r.Status != 403 || r.code() != "user_disabled" {
		t.Fatalf("a disabled user creates a token: %d %s", r.Status, r.Body)
	}
	if r := h.call(t, "admin-get-user"); r.fields()["status"] != "disabled" || r.fields()["activeTokens"] != 2.0 || r.fields()["email"] != "user-alice@example.com" {
		t.Fatalf("get user: %s", r.Body)
	}
	// A user not seen yet can be disabled before their first sign-in.
	if r := h.call(t, "admin-update-user", onUser("user-new"), body(`{"status":"disabled"}`)); r.Status != 200 {
		t.Fatalf("disable an unknown user: %d %s", r.Status, r.Body)
	}
	if r := h.call(t, "create-token", as("user-new", ownerGrants)); r.Status != 403 || r.code() != "user_disabled" {
		t.Fatalf("the disabled newcomer creates a token: %d %s", r.Status, r.Body)
	}
	before := localstack.Dump(t, h.DB, h.Tables.Tokens)
	for _, bad := range []string{`{}`, `{"status":"banned"}`, `{"permissions":["crm:fly"]}`, `{"permissions":"crm:read"}`, `{"status":"active","extra":1}`} {
		if r := h.call(t, "admin-update-user", body(bad)); r.Status != 400 {
			t.Errorf("%s: %d %s", bad, r.Status, r.Body)
		}
	}
	if r := h.call(t, "admin-get-user", onUser("user-nobody")); r.Status != 404 {
		t.Fatalf("unknown user: %d", r.Status)
	}
	if !reflect.DeepEqual(before, localstack.Dump(t, h.DB, h.Tables.Tokens)) {
		t.Fatal("a bad request changed a user")
	}
}

// seed creates n tokens for owner through the service.
func (h *harness) seed(t *testing.T, owner pat.Identity, n int) []string {
	t.Helper()
	svc := h.NewService(t, h.cfg, h.DB, nil)
	ids := make([]string, n)
	var wg sync.WaitGroup
	var failed atomic.Value
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < n; i += 4 {
				c, err := svc.CreateToken(context.Background(), owner, pat.CreateInput{Name: fmt.Sprint("bulk ", i), Scopes: []string{"crm:read"}})
				if err != nil {
					failed.Store(err)
					return
				}
				ledger.AddToken(c.Secret)
				ids[i] = c.Token.ID
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatal(err)
	}
	return ids
}

// Revoke-all for 250 tokens fails in the middle, is repeated, and ends with
// every token revoked once: exactly 250 audit records.
func TestAdminRevokeAllSurvivesAFailure(t *testing.T) {
	h := newHarness(t)
	h.cfg.Rules.MaxActiveTokens = 300
	h.build(t, h.DB, nil)
	owner := pat.Identity{UserID: "user-many", Email: "many@example.com", Permissions: []string{"crm:read"}}
	ids := h.seed(t, owner, 250)
	h.call(t, "create-token", alice) // someone else's token, which must survive
	before := localstack.Dump(t, h.DB, h.Tables.Tokens)

	preview := h.call(t, "admin-revoke-all", body(`{"owner":"user-many","preview":true}`))
	if preview.Status != 200 || preview.fields()["count"] != 250.0 {
		t.Fatalf("preview: %d %s", preview.Status, preview.Body)
	}
	if r := h.call(t, "admin-revoke-all", body(`{"owner":"user-many"}`)); r.Status != 400 || r.code() != "confirmation_required" || r.fields()["count"] != 250.0 {
		t.Fatalf("no confirmation: %d %s", r.Status, r.Body)
	}
	if r := h.call(t, "admin-revoke-all", body(`{"owner":"user-many","confirm":25}`)); r.Status != 409 || r.code() != "confirmation_mismatch" {
		t.Fatalf("wrong confirmation: %d %s", r.Status, r.Body)
	}
	if r := h.call(t, "admin-revoke-all", body(`{"owner":"user-many","everyone":true,"confirm":250}`)); r.Status != 400 {
		t.Fatalf("owner and everyone: %d %s", r.Status, r.Body)
	}
	if !reflect.DeepEqual(before, localstack.Dump(t, h.DB, h.Tables.Tokens)) {
		t.Fatal("an unconfirmed revoke-all changed something")
	}

	failing := &localstack.FailTransaction{API: h.DB}
	failing.At.Store(3) // two transactions go through, the third fails
	h.build(t, failing, nil)
	if r := h.call(t, "admin-revoke-all", body(`{"owner":"user-many","confirm":250,"reason":"offboarding"}`)); r.Status != 500 {
		t.Fatalf("with a failure: %d %s", r.Status, r.Body)
	}
	h.build(t, h.DB, nil)
	left := h.call(t, "admin-revoke-all", body(`{"owner":"user-many","preview":true}`)).fields()["count"].(float64)
	if left <= 0 || left >= 250 {
		t.Fatalf("after the failure %v are left", left)
	}
	done := h.call(t, "admin-revoke-all", body(fmt.Sprintf(`{"owner":"user-many","confirm":%d,"reason":"offboarding"}`, int(left))))
	if done.Status != 200 || done.fields()["revoked"] != left || done.fields()["complete"] != true {
		t.Fatalf("repeat: %d %s", done.Status, done.Body)
	}

	revoked := map[string]int{}
	for _, ev := range h.audit(t, "owner", "user-many", "action", "token.revoked") {
		revoked[ev["tokenId"].(string)]++
		if ev["actorRole"] != "admin" || ev["actorId"] != "user-root" || ev["details"].(map[string]any)["reason"] != "offboarding" {
			t.Fatalf("audit record %v", ev)
		}
	}
	if len(revoked) != 250 {
		t.Fatalf("%d tokens have a revocation record", len(revoked))
	}
	for _, id := range ids {
		if revoked[id] != 1 {
			t.Fatalf("token %s has %d revocation records", id, revoked[id])
		}
		if r := h.call(t, "admin-get-token", onToken(id)); r.fields()["status"] != "revoked" {
			t.Fatalf("token %s is %s", id, r.fields()["status"])
		}
	}
	if r := h.call(t, "admin-get-user", onUser("user-many")); r.fields()["activeTokens"] != 0.0 {
		t.Fatalf("the owner's count: %s", r.Body)
	}
	if r := h.call(t, "list-tokens", alice); r.fields()["items"].([]any)[0].(map[string]any)["status"] != "active" {
		t.Fatal("another owner's token was revoked")
	}
}

// An owner revokes all of their own tokens, behind the same confirmation.
func TestRevokeAllOwnTokens(t *testing.T) {
	h := newHarness(t)
	for range 3 {
		h.call(t, "create-token", alice)
	}
	bob := h.call(t, "create-token", as("user-bob", ownerGrants)).fields()["id"].(string)
	if r := h.call(t, "revoke-all-tokens", alice); r.Status != 200 || r.fields()["count"] != 3.0 {
		t.Fatalf("preview: %d %s", r.Status, r.Body)
	}
	if r := h.call(t, "revoke-all-tokens", alice, body("")); r.Status != 400 || r.code() != "confirmation_required" {
		t.Fatalf("no confirmation: %d %s", r.Status, r.Body)
	}
	if r := h.call(t, "revoke-all-tokens", alice, body(`{"confirm":3}`)); r.Status != 200 || r.fields()["revoked"] != 3.0 {
		t.Fatalf("revoke all: %d %s", r.Status, r.Body)
	}
	for _, it := range h.call(t, "list-tokens", alice).fields()["items"].([]any) {
		if it.(map[string]any)["status"] != "revoked" {
			t.Fatalf("left active: %v", it)
		}
	}
	if r := h.call(t, "get-token", as("user-bob", ownerGrants), onToken(bob)); r.fields()["status"] != "active" {
		t.Fatal("bob's token was revoked")
	}
	if evs := h.audit(t, "owner", "user-alice", "action", "token.revoked"); len(evs) != 3 || evs[0]["actorRole"] != "user" {
		t.Fatalf("audit: %v", evs)
	}
	if r := h.call(t, "revoke-all-tokens", alice, body(`{"confirm":0}`)); r.Status != 200 || r.fields()["revoked"] != 0.0 {
		t.Fatalf("nothing left to revoke: %d %s", r.Status, r.Body)
	}
}

// audit reads every page of the audit log for a filter, oldest first.
func (h *harness) audit(t *testing.T, filter ...string) []map[string]any {
	t.Helper()
	var out []map[string]any
	cursor := ""
	for range 100 {
		r := h.call(t, "admin-list-audit", query(append(filter, "limit", "100", "cursor", cursor)...))
		if r.Status != 200 {
			t.Fatalf("audit %v: %d %s", filter, r.Status, r.Body)
		}
		for _, it := range r.fields()["items"].([]any) {
			out = append(out, it.(map[string]any))
		}
		if cursor, _ = r.fields()["nextCursor"].(string); cursor == "" {
			slices.Reverse(out)
			return out
		}
	}
	t.Fatal("the audit cursor does not end")
	return nil
}

// The trail of a token's life, read through the API: each action once, in
// order, whichever filter finds it; and the record says who, in what role,
// from where.
func TestAuditTrailInOrder(t *testing.T) {
	h := newHarness(t)
	owner := fmt.Sprintf("user-trail-%d", time.Now().UnixNano())
	me := as(owner, ownerGrants)
	first := h.call(t, "create-token", me).fields()["id"].(string)
	h.call(t, "update-token", me, onToken(first))
	second := h.call(t, "rotate-token", me, onToken(first)).fields()["id"].(string)
	h.call(t, "admin-lock-token", onToken(second))
	h.call(t, "admin-unlock-token", onToken(second))
	h.call(t, "admin-revoke-token", onToken(second))

	want := []string{"token.created " + first, "token.updated " + first, "token.rotated " + first,
		"token.created " + second, "token.locked " + second, "token.unlocked " + second, "token.revoked " + second}
	trail := func(evs []map[string]any) []string {
		var out []string
		for _, ev := range evs {
			out = append(out, fmt.Sprint(ev["action"], " ", ev["tokenId"]))
		}
		return out
	}
	byOwner := h.audit(t, "owner", owner)
	if got := trail(byOwner); !slices.Equal(got, want) {
		t.Fatalf("by owner:\n got %v\nwant %v", got, want)
	}
	for i, ev := range byOwner {
		role, actor := "user", owner
		if i >= 4 {
			role, actor = "admin", "user-root"
		}
		if ev["actorRole"] != role || ev["actorId"] != actor || ev["sourceIp"] != "203.0.113.10" || ev["outcome"] != "success" {
			t.Errorf("record %d: %v", i, ev)
		}
	}
	if got := trail(h.audit(t, "token", second)); !slices.Equal(got, want[3:]) {
		t.Fatalf("by token: %v", got)
	}
	evs := h.call(t, "list-token-events", me, onToken(second)).fields()["items"].([]any)
	if len(evs) != 4 || evs[1].(map[string]any)["action"] != "token.locked" {
		t.Fatalf("the owner's view of the trail: %v", evs)
	}
	// The owner sees "an administrator": the role, not the administrator's
	// id or address; their own actions keep both. The audit log above keeps
	// everything.
	for i, it := range evs {
		ev := it.(map[string]any)
		_, hasActor := ev["actorId"]
		_, hasIP := ev["sourceIp"]
		switch {
		case i == 0 && (ev["actorRole"] != "user" || ev["actorId"] != owner || ev["sourceIp"] != "203.0.113.10"):
			t.Errorf("the owner's own action in their view: %v", ev)
		case i > 0 && (ev["actorRole"] != "admin" || hasActor || hasIP):
			t.Errorf("an administrator's action in the owner's view: %v (want actorRole admin, no actorId, no sourceIp)", ev)
		}
	}
	from := byOwner[0]["time"].(string)
	if got := trail(h.audit(t, "actor", "user-root", "from", from)); !slices.Equal(got, want[4:]) {
		t.Fatalf("by actor: %v", got)
	}
	if got := trail(h.audit(t, "owner", owner, "action", "token.created")); !slices.Equal(got, []string{want[0], want[3]}) {
		t.Fatalf("by action: %v", got)
	}
	to := byOwner[3]["time"].(string)
	if got := trail(h.audit(t, "owner", owner, "from", from, "to", to)); !slices.Equal(got, want[:3]) {
		t.Fatalf("by time range: %v", got)
	}
	// No partition filter: month by month, newest first, two at a time.
	var all []string
	cursor := ""
	for range 50 {
		r := h.call(t, "admin-list-audit", query("from", from, "limit", "2", "cursor", cursor))
		for _, it := range r.fields()["items"].([]any) {
			if ev := it.(map[string]any); ev["ownerId"] == owner {
				all = append(all, fmt.Sprint(ev["action"], " ", ev["tokenId"]))
			}
		}
		if cursor, _ = r.fields()["nextCursor"].(string); cursor == "" {
			break
		}
	}
	slices.Reverse(all)
	if !slices.Equal(all, want) {
		t.Fatalf("by time alone: %v", all)
	}
	if r := h.call(t, "admin-list-audit", query("from", "yesterday")); r.Status != 400 {
		t.Fatalf("bad time: %d", r.Status)
	}
}

// With no console URL configured (ConsoleBaseUrl's default), an
// administrator's notice (here a revocation's, which links to the console)
// leaves at once and links to the console of the
// API the request reached, which API Gateway names in the event; a
// configured URL wins.
func TestNoticeLinksToTheConsoleOfTheRequest(t *testing.T) {
	for _, c := range []struct {
		name, configured, stage, want string
	}{
		{"default stage", "", "$default", "https://abc123.execute-api.eu-central-1.amazonaws.com/console/tokens"},
		{"named stage", "", "prod", "https://abc123.execute-api.eu-central-1.amazonaws.com/prod/console/tokens"},
		{"configured", "https://tokens.example.com/console", "$default", "https://tokens.example.com/console/tokens"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			mail, err := sesmail.NewClient()
			if err != nil {
				t.Fatal(err)
			}
			h.cfg.MailFrom, h.cfg.ConsoleURL = "tokens@example.com", c.configured
			h.build(t, h.DB, mail)
			owner := fmt.Sprintf("user-link-%d", time.Now().UnixNano())
			id := h.call(t, "create-token", as(owner, ownerGrants)).fields()["id"].(string)
			stage := func(ev *events.APIGatewayV2HTTPRequest) { ev.RequestContext.Stage = c.stage }
			if r := h.call(t, "admin-revoke-token", onToken(id), stage, body(`{"reason":"leaked"}`)); r.Status != 204 {
				t.Fatalf("revoke: %d %s", r.Status, r.Body)
			}
			// The creation's notice came first; the revocation's follows at once.
			mails := slices.DeleteFunc(localstack.Inbox(t, owner+"@example.com"), func(m localstack.Email) bool {
				return strings.HasPrefix(m.Subject, "A token was created")
			})
			if len(mails) != 1 {
				t.Fatalf("the owner got %d mails at once besides the creation's, want the revocation's notice", len(mails))
			}
			if !strings.Contains(mails[0].Body.Text, c.want) || !strings.Contains(mails[0].Body.HTML, `href="`+c.want+`"`) {
				t.Fatalf("the notice does not link to %s:\n%s\n%s", c.want, mails[0].Body.Text, mails[0].Body.HTML)
			}
		})
	}
}
