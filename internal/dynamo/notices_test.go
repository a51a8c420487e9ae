package dynamo_test

import (
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/patservice/pat/internal/pat"
)

// Every write of a token drops the reminder keys of its past periods
// (pat.StaleNotices) and keeps the current ones, so that a token's
// notices stay bounded however long it lives.
func TestTokenWritesPruneNoticesOfPastPeriods(t *testing.T) {
	f := newFixture(t)
	f.user(t, "alice")
	rev := func() int {
		u, err := f.store.GetUser(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		return u.Rev
	}
	withNotices := func(t *testing.T) (pat.Token, map[string]string) {
		tok := f.newToken("alice")
		current := map[string]string{
			fmt.Sprintf("idle:%d:14", tok.CreatedAt.Unix()):  "sent:x",
			fmt.Sprintf("expiry:%d:7", tok.ExpiresAt.Unix()): "sent:x",
		}
		tok.Notices = maps.Clone(current)
		for _, k := range []string{
			fmt.Sprintf("idle:%d:14", tok.CreatedAt.Add(-200*24*time.Hour).Unix()),
			fmt.Sprintf("idle:%d:hold", tok.CreatedAt.Add(-200*24*time.Hour).Unix()),
			fmt.Sprintf("expiry:%d:1", tok.ExpiresAt.Add(-30*24*time.Hour).Unix()),
		} {
			tok.Notices[k] = "sent:x"
		}
		if err := f.store.CreateToken(ctx, tok, 1000, f.event(pat.ActionCreated, tok), nil); err != nil {
			t.Fatal(err)
		}
		return f.get(t, tok.ID), current
	}
	for _, c := range []struct {
		name  string
		write func(t *testing.T, tok pat.Token, current map[string]string) error
	}{
		{"rename", func(t *testing.T, tok pat.Token, _ map[string]string) error {
			tok.Name = "renamed"
			return f.store.UpdateToken(ctx, tok, rev(), f.event(pat.ActionUpdated, tok))
		}},
		{"extend (a new period: its idle keys go too)", func(t *testing.T, tok pat.Token, current map[string]string) error {
			at := tok.CreatedAt.Add(time.Hour)
			tok.ExtendedAt = &at
			delete(current, fmt.Sprintf("idle:%d:14", tok.CreatedAt.Unix()))
			return f.store.ExtendToken(ctx, tok, rev(), f.event(pat.ActionExtended, tok), nil)
		}},
		{"lock", func(t *testing.T, tok pat.Token, _ map[string]string) error {
			tok.Status = pat.StatusLocked
			return f.store.SetTokenStatus(ctx, tok, pat.StatusActive, f.event(pat.ActionLocked, tok), nil)
		}},
		{"the job's reschedule", func(t *testing.T, tok pat.Token, _ map[string]string) error {
			due := tok.CreatedAt.Add(100 * 24 * time.Hour)
			tok.DueAt = &due
			return f.store.Reschedule(ctx, tok)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tok, current := withNotices(t)
			if err := c.write(t, tok, current); err != nil {
				t.Fatal(err)
			}
			if got := f.get(t, tok.ID).Notices; !maps.Equal(got, current) {
				t.Fatalf("notices after the write: %v, want %v", got, current)
			}
		})
	}
}
