package httpapi_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/version"
)

// GET /me tells the console who the caller is and what a token created now
// may hold: the session's permissions narrowed by an administrator's limit,
// the account's status, the role, the catalog, the lifetime rules and the
// service's release (this test binary's: the development version).
func TestMeShowsWhatTheCallerMayDo(t *testing.T) {
	h := newHarness(t)
	admin := func(ev *events.APIGatewayV2HTTPRequest) {
		ev.RequestContext.Authorizer.JWT.Claims["cognito:groups"] = "[pat-admins]"
	}

	// Never seen: active, the session's permissions, nothing written.
	me := h.call(t, "get-me", alice)
	f := me.fields()
	if me.Status != 200 || f["id"] != "user-alice" || f["email"] != "user-alice@example.com" || f["isAdmin"] != false ||
		f["status"] != "active" || fmt.Sprint(f["effectivePermissions"]) != "[crm:create crm:delete crm:read crm:update orders:read]" ||
		f["limited"] != false || f["activeTokens"] != float64(0) {
		t.Fatalf("new user: %d %s", me.Status, me.Body)
	}
	if f["defaultExpiryDays"] != float64(180) || f["maxExpiryDays"] != float64(365) || f["allowNeverExpires"] != false || f["maxActiveTokens"] != float64(50) {
		t.Errorf("rules: %s", me.Body)
	}
	if f["version"] != version.Version || version.Version != version.Development {
		t.Errorf("version: %v, want %s: %s", f["version"], version.Development, me.Body)
	}
	catalog := f["catalog"].([]any)
	if first := catalog[0].(map[string]any); len(catalog) != 4 || first["name"] != "crm" || first["description"] == "" ||
		fmt.Sprint(first["actions"]) != "[read create update delete]" {
		t.Errorf("catalog: %v", catalog)
	}
	if items := localstack.Dump(t, h.DB, h.Tables.Tokens); len(items) != 0 {
		t.Errorf("GET /me wrote %d items", len(items))
	}

	if r := h.call(t, "get-me", alice, admin); r.Status != 200 || r.fields()["isAdmin"] != true {
		t.Errorf("administrator: %d %s", r.Status, r.Body)
	}

	// An administrator's limit narrows what the console offers; a disabled
	// account is shown as such, not refused, so the console can say why.
	h.call(t, "create-token", alice, body(`{"name":"ci","scopes":["crm:read"]}`))
	h.call(t, "admin-update-user", onUser("user-alice"), body(`{"permissions":["crm:read","orders:*"],"status":"disabled"}`))
	f = h.call(t, "get-me", alice).fields()
	if fmt.Sprint(f["effectivePermissions"]) != "[crm:read orders:read]" || f["limited"] != true || f["status"] != "disabled" || f["activeTokens"] != float64(1) {
		t.Errorf("limited and disabled: %v", f)
	}

	// No permissions at all: an empty list, the console's "you may not create tokens".
	if r := h.call(t, "get-me", as("user-nobody", "")); r.Status != 200 || fmt.Sprint(r.fields()["effectivePermissions"]) != "[]" {
		t.Errorf("no permissions: %d %s", r.Status, r.Body)
	}
	if r := h.call(t, "get-me", anonymous); r.Status != 401 || r.code() != "unauthenticated" {
		t.Errorf("anonymous: %d %s", r.Status, r.Body)
	}
}
