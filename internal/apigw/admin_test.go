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

// Backends learn who made a token: issuedBy is "admin" in the context of
// a token an administrator created for its owner, "owner" for the owner's
// own (and for the owner's rotation of an administrator's token), in REST
// and HTTP API answers alike, still from one read per decision.
func TestContextSaysWhoIssuedTheToken(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	adminCreate := func(name string) pat.Created {
		t.Helper()
		c, err := e.Service.AdminCreate(ctx, root, alice.UserID, pat.CreateInput{Name: name, Scopes: []string{"crm:read"}})
		if err != nil {
			t.Fatal(err)
		}
		e.AddToken(c.Secret)
		return c
	}
	own := e.Create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	byAdmin := adminCreate("for alice")
	rotated, err := e.Service.Rotate(ctx, alice, adminCreate("for alice, rotated").Token.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.AddToken(rotated.Secret)
	for _, c := range []struct {
		name, secret, want string
	}{
		{"the owner's", own.Secret, "owner"},
		{"an administrator's", byAdmin.Secret, "admin"},
		{"rotated by the owner", rotated.Secret, "owner"},
	} {
		req := request{header: "Bearer " + c.secret, method: "GET", path: "/api/crm/contacts"}
		before := e.count.Reads.Load()
		rest, err := e.handler.REST(ctx, e.restEvent(t, req))
		if err != nil || rest.PolicyDocument.Statement[0].Effect != "Allow" || rest.Context["issuedBy"] != c.want {
			t.Errorf("%s token, REST: %+v %v; want issuedBy %s", c.name, rest, err, c.want)
		}
		if reads := e.count.Reads.Load() - before; reads != 1 {
			t.Errorf("%s token: %d reads, want 1", c.name, reads)
		}
		http, err := e.handler.HTTP(ctx, e.httpEvent(t, req))
		if err != nil || !http.IsAuthorized || http.Context["issuedBy"] != c.want {
			t.Errorf("%s token, HTTP: %+v %v; want issuedBy %s", c.name, http, err, c.want)
		}
	}
}
