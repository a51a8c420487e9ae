package dynamo_test

import (
	"errors"
	"testing"

	"github.com/patservice/pat/internal/pat"
)

// A sign-in's locale is recorded when it brings one and kept when it
// brings none; the user's own choice is set and removed apart from it,
// and only on a user that exists.
func TestUserLanguageAndLocale(t *testing.T) {
	f := newFixture(t)
	perms := []string{"crm:read"}
	u, _, err := f.store.SyncUser(ctx, pat.User{ID: "alice", Email: "alice@example.com", Permissions: perms, Locale: "de-CH"}, nil)
	if err != nil || u.Locale != "de-CH" {
		t.Fatalf("first sign-in with a locale: %+v %v", u, err)
	}
	if u, _, err = f.store.SyncUser(ctx, pat.User{ID: "alice", Permissions: perms}, nil); err != nil || u.Locale != "de-CH" {
		t.Fatalf("a sign-in without one keeps it: %+v %v", u, err)
	}
	if u, _, err = f.store.SyncUser(ctx, pat.User{ID: "alice", Permissions: perms, Locale: "nl-BE"}, nil); err != nil || u.Locale != "nl-BE" {
		t.Fatalf("a new locale: %+v %v", u, err)
	}
	if u, err = f.store.SetLanguage(ctx, "alice", "en"); err != nil || u.Language != "en" || u.Locale != "nl-BE" || u.MailLanguage() != "en" {
		t.Fatalf("choose en: %+v %v", u, err)
	}
	if u, err = f.store.GetUser(ctx, "alice"); err != nil || u.Language != "en" || u.Email != "alice@example.com" || u.Status != pat.UserActive {
		t.Fatalf("read back: %+v %v", u, err)
	}
	if u, err = f.store.SetLanguage(ctx, "alice", ""); err != nil || u.Language != "" || u.MailLanguage() != "nl-BE" {
		t.Fatalf("remove the choice: %+v %v", u, err)
	}
	if _, err := f.store.SetLanguage(ctx, "nobody", "de"); !errors.Is(err, pat.ErrUserNotFound) {
		t.Fatalf("a user never seen: %v", err)
	}
	if _, err := f.store.GetUser(ctx, "nobody"); !errors.Is(err, pat.ErrUserNotFound) {
		t.Fatalf("setting a language created a record: %v", err)
	}
}
