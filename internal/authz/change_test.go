package authz_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/pat"
)

// A lock takes effect at the authorizer on the very next request, and an
// unlock likewise.
func TestLockAndUnlockAtTheAuthorizer(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.Create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	if d := e.decide(t, c.Secret, "GET", "/api/crm"); d.Outcome != authz.Allowed {
		t.Fatalf("before the lock: %v %s", d.Outcome, d.Reason)
	}
	if _, err := e.Service.AdminLockToken(ctx, root, c.Token.ID, "suspicious traffic"); err != nil {
		t.Fatal(err)
	}
	if d := e.decide(t, c.Secret, "GET", "/api/crm"); d.Outcome != authz.Unauthorized || d.Reason != authz.ReasonLocked {
		t.Fatalf("after the lock: %v %s", d.Outcome, d.Reason)
	}
	if _, err := e.Service.AdminUnlockToken(ctx, root, c.Token.ID, ""); err != nil {
		t.Fatal(err)
	}
	if d := e.decide(t, c.Secret, "GET", "/api/crm"); d.Outcome != authz.Allowed {
		t.Fatalf("after the unlock: %v %s", d.Outcome, d.Reason)
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
	if _, err := e.Service.AdminUpdateUser(ctx, root, alice.UserID, pat.UserUpdate{Status: &disabled, Reason: "left"}); err != nil {
		t.Fatal(err)
	}
	for i, c := range tokens {
		if d := e.decide(t, c.Secret, "GET", paths[i]); d.Outcome != authz.Unauthorized || d.Reason != authz.ReasonOwnerDisabled {
			t.Fatalf("token %d of a disabled user: %v %s", i, d.Outcome, d.Reason)
		}
	}
	if d := e.decide(t, bob.Secret, "GET", "/api/crm"); d.Outcome != authz.Allowed {
		t.Fatalf("another user's token: %v %s", d.Outcome, d.Reason)
	}
	active := pat.UserActive
	limit := []string{"crm:read"}
	if _, err := e.Service.AdminUpdateUser(ctx, root, alice.UserID, pat.UserUpdate{Status: &active, Limit: &limit}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		token        pat.Created
		method, path string
		want         authz.Outcome
	}{
		{tokens[0], "GET", "/api/crm", authz.Allowed},
		{tokens[0], "PATCH", "/api/crm/1", authz.Forbidden}, // crm:update is outside the limit now
		{tokens[1], "GET", "/api/orders", authz.Forbidden},
	} {
		if d := e.decide(t, c.token.Secret, c.method, c.path); d.Outcome != c.want {
			t.Errorf("%s %s with a limited owner: %v %s, want %v", c.method, c.path, d.Outcome, d.Reason, c.want)
		}
	}
	var lifted []string // nil: no limit
	if _, err := e.Service.AdminUpdateUser(ctx, root, alice.UserID, pat.UserUpdate{Limit: &lifted}); err != nil {
		t.Fatal(err)
	}
	if d := e.decide(t, tokens[0].Secret, "PATCH", "/api/crm/1"); d.Outcome != authz.Allowed {
		t.Fatalf("after the limit is lifted: %v %s", d.Outcome, d.Reason)
	}
}

// Revocation is immediate: once the revoke call has returned, no request
// that starts afterwards is allowed, however many are in flight.
func TestRevocationIsImmediate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.Create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	req := authz.Request{Authorization: "Bearer " + c.Secret, Method: "GET", Path: "/api/crm"}
	var revokedAt time.Time
	var mu sync.Mutex
	var wg sync.WaitGroup
	stop := make(chan struct{})
	allowedBefore, violations := 0, 0
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				d, err := e.authz.Authorize(ctx, req)
				allowed := err == nil && d.Outcome == authz.Allowed
				mu.Lock()
				switch {
				case allowed && !revokedAt.IsZero() && start.After(revokedAt):
					violations++
				case allowed:
					allowedBefore++
				}
				mu.Unlock()
			}
		})
	}
	time.Sleep(150 * time.Millisecond)
	if err := e.Service.RevokeToken(ctx, alice, c.Token.ID); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	revokedAt = time.Now()
	mu.Unlock()
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	if allowedBefore == 0 || violations > 0 {
		t.Fatalf("%d requests allowed before the revocation, %d after it returned", allowedBefore, violations)
	}
}
