package authz_test

import (
	"context"
	"slices"
	"testing"

	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/scope"
)

// tokens:self-rotate is granted by the owner, whatever the identity
// provider grants them: a token carries it, the authorizer hands it on
// while the owner's permissions narrow, and it opens no path of the API.
func TestSelfRotateScopeOutlivesPermissions(t *testing.T) {
	e := newEnv(t)
	dave := pat.Identity{UserID: "user-dave", Email: "dave@example.com", Permissions: []string{"crm:read", "orders:read"}}
	ci := e.Create(t, dave, pat.CreateInput{Scopes: []string{"crm:read", "orders:read", scope.SelfRotate}})
	if !slices.Contains(ci.Token.Scopes, scope.SelfRotate) {
		t.Fatalf("created with scopes %v", ci.Token.Scopes)
	}

	d := e.decide(t, ci.Secret, "GET", "/api/crm/contacts")
	if d.Outcome != authz.Allowed || !slices.Equal(d.Scopes, []string{"crm:read", "orders:read", scope.SelfRotate}) {
		t.Fatalf("decision %v %s, scopes %v", d.Outcome, d.Reason, d.Scopes)
	}

	dave.Permissions = []string{"orders:read"} // the identity provider narrows dave: his next sign-in says so
	e.Create(t, dave, pat.CreateInput{Scopes: []string{"orders:read"}})
	d = e.decide(t, ci.Secret, "GET", "/api/orders/1")
	if d.Outcome != authz.Allowed || !slices.Equal(d.Scopes, []string{"orders:read", scope.SelfRotate}) {
		t.Fatalf("after narrowing: decision %v %s, scopes %v", d.Outcome, d.Reason, d.Scopes)
	}
	if d := e.decide(t, ci.Secret, "GET", "/api/crm/contacts"); d.Outcome != authz.Forbidden || d.Reason != authz.ReasonScope {
		t.Fatalf("a narrowed permission: decision %v %s", d.Outcome, d.Reason)
	}
	// The owner may still rotate it by hand: its own scope is not one he lacks.
	if _, err := e.Service.RotateToken(context.Background(), dave, ci.Token.ID, pat.RotateInput{}); err == nil {
		t.Fatal("rotated a token holding crm:read, which dave no longer holds") // the rule for permissions is unchanged
	}
	only := e.Create(t, dave, pat.CreateInput{Scopes: []string{"orders:read", scope.SelfRotate}})
	if _, err := e.Service.RotateToken(context.Background(), dave, only.Token.ID, pat.RotateInput{}); err != nil {
		t.Fatalf("rotate a token with its own scope: %v", err)
	}
}
