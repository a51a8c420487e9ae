package httpapi_test

import (
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// named signs a user in with a display name, as an identity provider's
// name claim gives it.
func named(user, name string) edit {
	return func(ev *events.APIGatewayV2HTTPRequest) {
		as(user, ownerGrants)(ev)
		ev.RequestContext.Authorizer.JWT.Claims["name"] = name
	}
}

func itemIDs(r result) []string {
	ids := []string{}
	items, _ := r.fields()["items"].([]any)
	for _, it := range items {
		ids = append(ids, it.(map[string]any)["id"].(string))
	}
	return ids
}

// Administrators page through the users by name or email and search them
// by a prefix of either, without case; a bad order or prefix is a 400.
func TestAdminListUsers(t *testing.T) {
	h := newHarness(t)
	h.call(t, "create-token", named("user-zoe", "Zoë Weber"))
	h.call(t, "create-token", named("user-alice", "Alice Schmidt"))
	h.call(t, "create-token", named("user-bob", "bob"))

	byName := h.call(t, "admin-list-users", query("sort", "name"))
	if byName.Status != 200 {
		t.Fatalf("list: %d %s", byName.Status, byName.Body)
	}
	// "Zoë" sorts after "bob": the order is by folded name, not by case.
	if got := itemIDs(byName); !slices.Equal(got, []string{"user-alice", "user-bob", "user-zoe"}) {
		t.Fatalf("by name: %v", got)
	}
	first := byName.fields()["items"].([]any)[0].(map[string]any)
	if first["name"] != "Alice Schmidt" || first["email"] != "user-alice@example.com" || first["activeTokens"] != 1.0 || first["status"] != "active" {
		t.Fatalf("a user as listed: %v", first)
	}
	if got := itemIDs(h.call(t, "admin-list-users", query("sort", "name", "prefix", "ZO"))); !slices.Equal(got, []string{"user-zoe"}) {
		t.Fatalf("name prefix: %v", got)
	}
	if got := itemIDs(h.call(t, "admin-list-users", query("sort", "email", "prefix", "USER-B"))); !slices.Equal(got, []string{"user-bob"}) {
		t.Fatalf("email prefix: %v", got)
	}
	page := h.call(t, "admin-list-users", query("limit", "2"))
	next, _ := page.fields()["nextCursor"].(string)
	if got := itemIDs(page); len(got) != 2 || next == "" {
		t.Fatalf("first page of 2: %v, next %q", got, next)
	}
	if got := itemIDs(h.call(t, "admin-list-users", query("limit", "2", "cursor", next))); !slices.Equal(got, []string{"user-zoe"}) {
		t.Fatalf("second page: %v", got)
	}
	for _, bad := range [][]string{{"sort", "age"}, {"prefix", "a\x00b"}, {"sort", "email", "cursor", next}} {
		if r := h.call(t, "admin-list-users", query(bad...)); r.Status != 400 {
			t.Errorf("%v: %d %s", bad, r.Status, r.Body)
		}
	}
	if r := h.call(t, "admin-list-users", alice); r.Status != 403 {
		t.Fatalf("a user listed the directory: %d", r.Status)
	}
}

// The owner filter of the all-tokens list takes an address as well as an id.
func TestAdminListTokensByOwnerEmail(t *testing.T) {
	h := newHarness(t)
	h.call(t, "create-token", alice)
	h.call(t, "create-token", as("user-bob", ownerGrants))
	for _, owner := range []string{"user-alice", "User-Alice@Example.com"} {
		r := h.call(t, "admin-list-tokens", query("owner", owner))
		items, _ := r.fields()["items"].([]any)
		if r.Status != 200 || len(items) != 1 || items[0].(map[string]any)["userId"] != "user-alice" {
			t.Fatalf("owner %s: %d %s", owner, r.Status, r.Body)
		}
	}
	if r := h.call(t, "admin-list-tokens", query("owner", "nobody@example.com")); r.Status != 200 || len(r.fields()["items"].([]any)) != 0 {
		t.Fatalf("an unknown address: %d %s", r.Status, r.Body)
	}
}
