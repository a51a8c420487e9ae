package pat_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/patservice/pat/internal/pat"
)

// A token's source-address limit is set at creation, shown as stored,
// replaced and lifted by an update (each audited), kept by a rotation;
// bad ranges are refused and change nothing.
func TestAllowedSources(t *testing.T) {
	f := newFixture(t, testConfig)
	ctx := context.Background()
	in := pat.CreateInput{Name: "ci", Scopes: []string{"crm:read"}, AllowedSources: []string{"2001:db8::/32", "203.0.113.7", "198.51.100.0/24"}}
	c, err := f.svc.CreateToken(ctx, alice, in)
	if err != nil {
		t.Fatal(err)
	}
	ledger.AddToken(c.Secret)
	sources := func(id string) string {
		t.Helper()
		got, err := f.svc.GetToken(ctx, alice, id)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(got.AllowedSources, " ")
	}
	if got := sources(c.Token.ID); got != "198.51.100.0/24 203.0.113.7/32 2001:db8::/32" {
		t.Fatalf("stored sources %q", got)
	}
	if evs, err := f.svc.ListTokenEvents(ctx, alice, c.Token.ID, "", 0); err != nil || evs.Items[0].Details["allowedSources"] != "198.51.100.0/24 203.0.113.7/32 2001:db8::/32" {
		t.Fatalf("the creation's audit record does not name the sources: %+v %v", evs.Items, err)
	}

	bad := pat.CreateInput{Name: "bad", Scopes: []string{"crm:read"}, AllowedSources: []string{"10.0.0.0/8", "10.0.0.1/8"}}
	_, err = f.svc.CreateToken(ctx, alice, bad)
	wantCode(t, err, pat.CodeInvalid)
	if !strings.Contains(err.Error(), "allowedSources[1]") {
		t.Fatalf("the error does not name the entry: %v", err)
	}
	if page, _ := f.svc.ListTokens(ctx, alice, pat.OwnTokenFilter{}, "", 0); len(page.Items) != 1 {
		t.Fatalf("a refused creation stored a token: %d tokens", len(page.Items))
	}

	wrong := []string{"192.0.2.0/33"}
	_, err = f.svc.UpdateToken(ctx, alice, c.Token.ID, pat.UpdateInput{AllowedSources: &wrong})
	wantCode(t, err, pat.CodeInvalid)
	if got := sources(c.Token.ID); got != "198.51.100.0/24 203.0.113.7/32 2001:db8::/32" {
		t.Fatalf("a refused update changed the sources to %q", got)
	}

	office := []string{"192.0.2.0/24"}
	updated, err := f.svc.UpdateToken(ctx, alice, c.Token.ID, pat.UpdateInput{AllowedSources: &office})
	if err != nil || strings.Join(updated.AllowedSources, " ") != "192.0.2.0/24" || updated.Name != "ci" {
		t.Fatalf("update = %+v, %v", updated, err)
	}
	if got := sources(c.Token.ID); got != "192.0.2.0/24" {
		t.Fatalf("stored after update %q", got)
	}
	renamed := "ci (office)"
	if _, err := f.svc.UpdateToken(ctx, alice, c.Token.ID, pat.UpdateInput{Name: &renamed}); err != nil {
		t.Fatal(err)
	}
	if got := sources(c.Token.ID); got != "192.0.2.0/24" {
		t.Fatalf("a rename changed the sources to %q", got)
	}

	next, err := f.svc.RotateToken(ctx, alice, c.Token.ID, pat.RotateInput{})
	if err != nil {
		t.Fatal(err)
	}
	ledger.AddToken(next.Secret)
	if got := sources(next.Token.ID); got != "192.0.2.0/24" {
		t.Fatalf("the replacement's sources %q, want the old token's", got)
	}

	f.now = f.now.Add(time.Minute)
	none := []string{}
	if _, err := f.svc.UpdateToken(ctx, alice, next.Token.ID, pat.UpdateInput{AllowedSources: &none}); err != nil {
		t.Fatal(err)
	}
	if got := sources(next.Token.ID); got != "" {
		t.Fatalf("after lifting the limit %q", got)
	}
	events, err := f.svc.ListTokenEvents(ctx, alice, next.Token.ID, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	last := events.Items[len(events.Items)-1]
	if v, ok := last.Details["allowedSources"]; last.Action != pat.ActionUpdated || !ok || v != "" {
		t.Fatalf("last event %+v, want token.updated with allowedSources \"\"", last)
	}
}
