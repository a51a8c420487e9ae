package apigw_test

import (
	"context"
	"errors"
	"testing"

	"github.com/patservice/pat/internal/apigw"
	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/pat"
)

var root = pat.Identity{UserID: "user-root", Email: "root@example.com", Admin: true}

// gateway is what API Gateway answers a request with a token: 401, 403 or
// allow, through the REST handler, and the reason the authorizer decided.
func (e *env) gateway(t *testing.T, secret, method, path string) (string, string) {
	t.Helper()
	req := request{header: "Bearer " + secret, method: method, path: path}
	resp, err := e.handler.REST(context.Background(), e.restEvent(t, req))
	d, derr := e.authz.Decide(context.Background(), authz.Request{Authorization: req.header, Method: method, Path: path})
	if derr != nil {
		t.Fatal(derr)
	}
	switch {
	case errors.Is(err, apigw.ErrUnauthorized):
		return "401", d.Reason
	case err != nil:
		t.Fatal(err)
	case resp.PolicyDocument.Statement[0].Effect == "Deny":
		return "403", d.Reason
	}
	return "allow", d.Reason
}

// A lock takes effect at the authorizer on the very next request, and an
// unlock likewise.
func TestLockAndUnlockAtTheAuthorizer(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.Create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	if got, _ := e.gateway(t, c.Secret, "GET", "/api/crm"); got != "allow" {
		t.Fatalf("before the lock: %s", got)
	}
	if _, err := e.Service.Lock(ctx, root, c.Token.ID, "suspicious traffic"); err != nil {
		t.Fatal(err)
	}
	if got, reason := e.gateway(t, c.Secret, "GET", "/api/crm"); got != "401" || reason != authz.ReasonLocked {
		t.Fatalf("after the lock: %s %s", got, reason)
	}
	if _, err := e.Service.Unlock(ctx, root, c.Token.ID, ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.gateway(t, c.Secret, "GET", "/api/crm"); got != "allow" {
		t.Fatalf("after the unlock: %s", got)
	}
}

// Disabling a user denies every one of their tokens on the next request,
// without touching the tokens; enabling restores them. Narrowing the
// user's permissions shrinks the tokens' effective scopes at once.
func TestUserChangesTakeEffectAtOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tokens := []pat.Created{
		e.Create(t, alice, pat.CreateInput{Scopes: []string{"crm:read", "crm:update"}}),
		e.Create(t, alice, pat.CreateInput{Scopes: []string{"orders:read"}}),
	}
	bob := e.Create(t, pat.Identity{UserID: "user-bob", Email: "bob@example.com", Permissions: []string{"crm:read"}}, pat.CreateInput{Scopes: []string{"crm:read"}})
	paths := []string{"/api/crm", "/api/orders"}
	disabled := pat.UserDisabled
	if _, err := e.Service.UpdateUser(ctx, root, alice.UserID, pat.UserUpdate{Status: &disabled, Reason: "left"}); err != nil {
		t.Fatal(err)
	}
	for i, c := range tokens {
		if got, reason := e.gateway(t, c.Secret, "GET", paths[i]); got != "401" || reason != authz.ReasonOwnerDisabled {
			t.Fatalf("token %d of a disabled user: %s %s", i, got, reason)
		}
	}
	if got, _ := e.gateway(t, bob.Secret, "GET", "/api/crm"); got != "allow" {
		t.Fatalf("another user's token: %s", got)
	}
	active := pat.UserActive
	limit := []string{"crm:read"}
	if _, err := e.Service.UpdateUser(ctx, root, alice.UserID, pat.UserUpdate{Status: &active, Limit: &limit}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		token        pat.Created
		method, path string
		want         string
	}{
		{tokens[0], "GET", "/api/crm", "allow"},
		{tokens[0], "PATCH", "/api/crm/1", "403"}, // crm:update is outside the limit now
		{tokens[1], "GET", "/api/orders", "403"},
	} {
		if got, reason := e.gateway(t, c.token.Secret, c.method, c.path); got != c.want {
			t.Errorf("%s %s with a limited owner: %s %s, want %s", c.method, c.path, got, reason, c.want)
		}
	}
	var lifted []string // nil: no limit
	if _, err := e.Service.UpdateUser(ctx, root, alice.UserID, pat.UserUpdate{Limit: &lifted}); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.gateway(t, tokens[0].Secret, "PATCH", "/api/crm/1"); got != "allow" {
		t.Fatalf("after the limit is lifted: %s", got)
	}
}
