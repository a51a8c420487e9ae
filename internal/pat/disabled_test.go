package pat_test

import (
	"context"
	"testing"
	"time"

	"github.com/patservice/pat/internal/pat"
)

// A disabled owner's keep link keeps nothing: the link comes from a mail,
// but what it does is the owner's act like any other.
func TestDisabledOwnersKeepLinkKeepsNothing(t *testing.T) {
	f := newFixture(t, pat.Config{DefaultLifetime: 90 * 24 * time.Hour, MaxLifetime: 365 * 24 * time.Hour, MaxActiveTokens: 10,
		RevokedRetention: 24 * time.Hour, AuditRetention: 24 * time.Hour})
	ctx := context.Background()
	c := f.mustCreate(t, alice, "kept", "crm:read")
	code, err := f.svc.IssueKeepLink(ctx, c.Token, pat.KeepActivity, f.now.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	root := pat.Identity{UserID: "root", Admin: true}
	disabled := pat.UserDisabled
	if _, err := f.svc.AdminUpdateUser(ctx, root, alice.UserID, pat.UserUpdate{Status: &disabled}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.KeepToken(ctx, code, "203.0.113.1"); err == nil {
		t.Fatal("a disabled owner's keep link kept the token")
	}
	if got, err := f.svc.AdminGetToken(ctx, root, c.Token.ID); err != nil || got.ExtendedAt != nil {
		t.Fatalf("token after the refused link: %+v %v", got, err)
	}
	active := pat.UserActive
	if _, err := f.svc.AdminUpdateUser(ctx, root, alice.UserID, pat.UserUpdate{Status: &active}); err != nil {
		t.Fatal(err)
	}
	if _, kept, err := f.svc.KeepToken(ctx, code, "203.0.113.1"); err != nil || kept.ExtendedAt == nil {
		t.Fatalf("the link, once the owner is enabled again: %+v %v", kept, err)
	}
}
