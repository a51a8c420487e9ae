package pat_test

import (
	"context"
	"testing"
	"time"

	"github.com/patservice/pat/internal/pat"
)

func TestRotateWithOverlap(t *testing.T) {
	f := newFixture(t, testConfig)
	ctx := context.Background()
	old := f.mustCreate(t, alice, "ci", "crm:read")
	rotatedAt := f.now
	next, err := f.svc.RotateToken(ctx, alice, old.Token.ID, pat.RotateInput{Overlap: time.Hour, RevokeReplacementOnReuse: true})
	if err != nil {
		t.Fatal(err)
	}
	ledger.AddToken(next.Secret)
	o, err := f.svc.GetToken(ctx, alice, old.Token.ID)
	if err != nil {
		t.Fatal(err)
	}
	until := rotatedAt.Add(time.Hour)
	if o.StatusAt(f.now) != pat.StatusReplaced || !o.Usable(f.now) || o.ReplacedBy != next.Token.ID ||
		o.ReplacedUntil == nil || !o.ReplacedUntil.Equal(until) || !o.ExpiresAt.Equal(until) || !o.RevokeReplacementOnReuse {
		t.Fatalf("old token in its overlap = %+v", o)
	}
	if o.DueAt == nil || !o.DueAt.Equal(until) {
		t.Fatalf("the lifecycle job ends it at %v, want %v", o.DueAt, until)
	}
	// While it overlaps, it cannot be rotated again, renamed or extended:
	// only revoked.
	_, err = f.svc.RotateToken(ctx, alice, old.Token.ID, pat.RotateInput{})
	wantCode(t, err, pat.CodeTokenNotActive)
	name := "renamed"
	_, err = f.svc.UpdateToken(ctx, alice, old.Token.ID, pat.UpdateInput{Name: &name})
	wantCode(t, err, pat.CodeTokenNotActive)
	days := 30
	_, err = f.svc.ExtendToken(ctx, alice, old.Token.ID, pat.ExtendInput{ExpiresInDays: &days})
	wantCode(t, err, pat.CodeTokenNotActive)

	f.now = until
	if o.StatusAt(f.now) != pat.StatusExpired || o.Usable(f.now) || !o.ReplacedEnded(f.now) {
		t.Fatalf("at the end of its overlap the old token is %s", o.StatusAt(f.now))
	}
	evs, err := f.svc.ListTokenEvents(ctx, alice, old.Token.ID, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	var rotated pat.Event
	for _, ev := range evs.Items {
		if ev.Action == pat.ActionRotated {
			rotated = ev
		}
	}
	if rotated.Details["replacedUntil"] != until.Format(time.RFC3339) || rotated.Details["revokeReplacementOnReuse"] != "true" {
		t.Fatalf("rotation event = %+v", rotated)
	}
}

// The overlap never outlives the old token's own expiry.
func TestOverlapEndsAtExpiry(t *testing.T) {
	f := newFixture(t, testConfig)
	ctx := context.Background()
	days := 1
	old, err := f.svc.CreateToken(ctx, alice, pat.CreateInput{Name: "short", Scopes: []string{"crm:read"}, ExpiresInDays: &days})
	if err != nil {
		t.Fatal(err)
	}
	ledger.AddToken(old.Secret)
	next, err := f.svc.RotateToken(ctx, alice, old.Token.ID, pat.RotateInput{Overlap: pat.MaxOverlap})
	if err != nil {
		t.Fatal(err)
	}
	ledger.AddToken(next.Secret)
	o, _ := f.svc.GetToken(ctx, alice, old.Token.ID)
	if !o.ReplacedUntil.Equal(*old.Token.ExpiresAt) {
		t.Fatalf("replaced until %v, want its expiry %v", o.ReplacedUntil, old.Token.ExpiresAt)
	}
}

func TestRotateRefusesOverlapOutOfBounds(t *testing.T) {
	f := newFixture(t, testConfig)
	old := f.mustCreate(t, alice, "ci", "crm:read")
	for _, overlap := range []time.Duration{-time.Second, pat.MaxOverlap + time.Second, 1500 * time.Millisecond} {
		_, err := f.svc.RotateToken(context.Background(), alice, old.Token.ID, pat.RotateInput{Overlap: overlap})
		wantCode(t, err, pat.CodeInvalid)
	}
	o, _ := f.svc.GetToken(context.Background(), alice, old.Token.ID)
	if o.StatusAt(f.now) != pat.StatusActive || o.ReplacedBy != "" {
		t.Fatalf("a refused rotation changed the token: %+v", o)
	}
}

// During the overlap both tokens are live: an administrator's disable of
// the owner reaches the replaced one too, and both count against the cap.
func TestOverlapKeepsOldTokenLive(t *testing.T) {
	cfg := testConfig
	cfg.MaxActiveTokens = 2
	f := newFixture(t, cfg)
	ctx := context.Background()
	old := f.mustCreate(t, alice, "ci", "crm:read")
	next, err := f.svc.RotateToken(ctx, alice, old.Token.ID, pat.RotateInput{Overlap: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ledger.AddToken(next.Secret)
	_, err = f.svc.RotateToken(ctx, alice, next.Token.ID, pat.RotateInput{Overlap: time.Hour})
	wantCode(t, err, pat.CodeTokenLimit)
	again, err := f.svc.RotateToken(ctx, alice, next.Token.ID, pat.RotateInput{})
	if err != nil {
		t.Fatalf("a rotation without overlap takes the old token's place: %v", err)
	}
	ledger.AddToken(again.Secret)

	admin := pat.Identity{UserID: "root", Email: "root@example.com", Permissions: []string{"crm:read"}, Admin: true}
	disabled := pat.UserDisabled
	if _, err := f.svc.AdminUpdateUser(ctx, admin, alice.UserID, pat.UserUpdate{Status: &disabled, Reason: "left"}); err != nil {
		t.Fatal(err)
	}
	o, err := f.svc.AdminGetToken(ctx, admin, old.Token.ID)
	if err != nil {
		t.Fatal(err)
	}
	if o.Owner.Status != pat.UserDisabled {
		t.Fatalf("the replaced token still carries its owner as %s", o.Owner.Status)
	}
	// Revoking it in its overlap ends it early: a later use is a reuse.
	if err := f.svc.RevokeToken(ctx, alice, old.Token.ID); err != nil {
		t.Fatal(err)
	}
	if o, err = f.svc.AdminGetToken(ctx, admin, old.Token.ID); err != nil {
		t.Fatal(err)
	}
	if o.Status != pat.StatusRevoked || !o.ReplacedEnded(f.now) {
		t.Fatalf("revoked in its overlap: %+v", o)
	}
}

func TestShouldReportReuse(t *testing.T) {
	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		last *time.Time
		want bool
	}{
		{nil, true},
		{ptr(now.Add(-pat.ReusePeriod)), true},
		{ptr(now.Add(-pat.ReusePeriod + time.Second)), false},
		{ptr(now), false},
	} {
		if got := pat.ShouldReportReuse(c.last, now); got != c.want {
			t.Errorf("ShouldReportReuse(%v) = %v, want %v", c.last, got, c.want)
		}
	}
}
