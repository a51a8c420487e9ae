package authz_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/scope"
)

const selfRotatePath = "/tokens/self/rotate"

// selfRotator is the decision of POST /tokens/self/rotate: the
// authorizer's code, on that one route, needing scope.SelfRotate.
func (e *env) selfRotator(t *testing.T) *authz.Authorizer {
	t.Helper()
	a := e.Authorizer(t, e.AuthorizerConfig(), e.count)
	a.OnlyRoute("POST", selfRotatePath, scope.SelfRotate)
	return a
}

func codeOf(err error) pat.Code {
	var pe *pat.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// Every refusal of a self-rotation, by the decision (with one read) and by
// the service behind it, which holds to the same rules on its own.
func TestSelfRotateRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	erin := pat.Identity{UserID: "user-erin", Email: "erin@example.com", Permissions: []string{"crm:read"}}
	frank := pat.Identity{UserID: "user-frank", Email: "frank@example.com", Permissions: []string{"crm:read"}}
	self := []string{"crm:read", scope.SelfRotate}
	noScope := e.Create(t, erin, pat.CreateInput{Scopes: []string{"crm:read"}})
	limited := e.Create(t, erin, pat.CreateInput{Scopes: self, AllowedSources: []string{"203.0.113.0/24"}})
	locked := e.Create(t, erin, pat.CreateInput{Scopes: self})
	if _, err := e.Service.AdminLockToken(ctx, root, locked.Token.ID, "seen in a log"); err != nil {
		t.Fatal(err)
	}
	revoked := e.Create(t, erin, pat.CreateInput{Scopes: self})
	if err := e.Service.RevokeToken(ctx, erin, revoked.Token.ID); err != nil {
		t.Fatal(err)
	}
	soon := e.Clock.Now().Add(time.Hour)
	expired := e.Create(t, erin, pat.CreateInput{Scopes: self, ExpiresAt: &soon})
	replaced := e.Create(t, erin, pat.CreateInput{Scopes: self})
	if _, err := e.Service.RotateToken(ctx, erin, replaced.Token.ID, pat.RotateInput{Overlap: 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	disabled := e.Create(t, frank, pat.CreateInput{Scopes: self})
	off := pat.UserDisabled
	if _, err := e.Service.AdminUpdateUser(ctx, root, frank.UserID, pat.UserUpdate{Status: &off}); err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(2 * time.Hour)
	a := e.selfRotator(t)

	cases := []struct {
		name    string
		tok     pat.Created
		source  string
		outcome authz.Outcome
		reason  string
		code    pat.Code // the service's own refusal of the token
	}{
		{"no tokens:self-rotate", noScope, "198.51.100.7", authz.Forbidden, authz.ReasonScope, pat.CodeScopeNotPermitted},
		{"from an address not allowed", limited, "198.51.100.7", authz.Forbidden, authz.ReasonSource, ""},
		{"locked", locked, "198.51.100.7", authz.Unauthorized, authz.ReasonLocked, pat.CodeTokenLocked},
		{"revoked", revoked, "198.51.100.7", authz.Unauthorized, authz.ReasonRevoked, pat.CodeTokenNotActive},
		{"expired", expired, "198.51.100.7", authz.Unauthorized, authz.ReasonExpired, pat.CodeTokenNotActive},
		{"owner disabled", disabled, "198.51.100.7", authz.Unauthorized, authz.ReasonOwnerDisabled, pat.CodeUserDisabled},
		// In its overlap it still works on the APIs, but the machine
		// already holds its replacement: no second one.
		{"already replaced", replaced, "198.51.100.7", authz.Allowed, authz.ReasonAllowed, pat.CodeTokenNotActive},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.count.Reads.Load()
			d, err := a.Decide(ctx, authz.Request{Authorization: "Bearer " + tc.tok.Secret, Method: "POST", Path: selfRotatePath, SourceIP: tc.source})
			if err != nil {
				t.Fatal(err)
			}
			if d.Outcome != tc.outcome || d.Reason != tc.reason {
				t.Fatalf("decision %v %q, want %v %q", d.Outcome, d.Reason, tc.outcome, tc.reason)
			}
			if reads := e.count.Reads.Load() - before; reads != 1 {
				t.Fatalf("%d reads, want 1", reads)
			}
			if d.Outcome == authz.Forbidden && d.Reason == authz.ReasonScope && d.RequiredScope != scope.SelfRotate {
				t.Fatalf("required scope %q", d.RequiredScope)
			}
			if tc.code == "" {
				return
			}
			if _, err := e.Service.SelfRotateToken(ctx, tc.tok.Token.ID, pat.Origin{SourceIP: tc.source}, pat.RotateInput{}); codeOf(err) != tc.code {
				t.Fatalf("SelfRotateToken: %v, want %s", err, tc.code)
			}
		})
	}

	// The API's own authorizer knows no such route, and the self-rotation
	// decides on no other.
	good := e.Create(t, erin, pat.CreateInput{Scopes: self})
	if d := e.decide(t, good.Secret, "POST", selfRotatePath); d.Reason != authz.ReasonNoRoute {
		t.Fatalf("catalog authorizer on %s: %q", selfRotatePath, d.Reason)
	}
	if d, _ := a.Decide(ctx, authz.Request{Authorization: "Bearer " + good.Secret, Method: "GET", Path: "/api/crm"}); d.Reason != authz.ReasonNoRoute {
		t.Fatalf("self-rotation authorizer on /api/crm: %q", d.Reason)
	}
	for _, overlap := range []time.Duration{-time.Second, pat.MaxOverlap + time.Second, time.Millisecond} {
		if _, err := e.Service.SelfRotateToken(ctx, good.Token.ID, pat.Origin{}, pat.RotateInput{Overlap: overlap}); codeOf(err) != pat.CodeInvalid {
			t.Fatalf("overlap %s: %v", overlap, err)
		}
	}
}

// A machine rotates its token with that token: the replacement works at
// once, the old one until the overlap it asked for ends, then it is a
// reuse; the rotation is audited as its owner's, marked self-rotated.
func TestSelfRotateWithOverlap(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	gina := pat.Identity{UserID: "user-gina", Email: "gina@example.com", Permissions: []string{"crm:read"}}
	old := e.Create(t, gina, pat.CreateInput{Scopes: []string{"crm:read", scope.SelfRotate}})
	a := e.selfRotator(t)

	d, err := a.Authorize(ctx, authz.Request{Authorization: "Bearer " + old.Secret, Method: "POST", Path: selfRotatePath, SourceIP: "198.51.100.7"})
	if err != nil || d.Outcome != authz.Allowed || d.UserID != gina.UserID {
		t.Fatalf("decision %v %q for %q, %v", d.Outcome, d.Reason, d.UserID, err)
	}
	next, err := e.Service.SelfRotateToken(ctx, d.TokenID, pat.Origin{SourceIP: "198.51.100.7"}, pat.RotateInput{Overlap: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	e.AddToken(next.Secret)
	if next.Token.UserID != gina.UserID || next.Token.Name != old.Token.Name {
		t.Fatalf("replacement %+v", next.Token)
	}
	if d := e.decide(t, next.Secret, "GET", "/api/crm"); d.Outcome != authz.Allowed {
		t.Fatalf("replacement: %v %q", d.Outcome, d.Reason)
	}
	e.Clock.Advance(59 * time.Minute)
	if d := e.decide(t, old.Secret, "GET", "/api/crm"); d.Outcome != authz.Allowed {
		t.Fatalf("old token in its overlap: %v %q", d.Outcome, d.Reason)
	}
	e.Clock.Advance(2 * time.Minute)
	if d := e.decide(t, old.Secret, "GET", "/api/crm"); d.Outcome != authz.Unauthorized || d.Reason != authz.ReasonReuse {
		t.Fatalf("old token after its overlap: %v %q", d.Outcome, d.Reason)
	}

	events, err := e.Service.ListTokenEvents(ctx, gina, old.Token.ID, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	var rotated *pat.Event
	for i, ev := range events.Items {
		if ev.Action == pat.ActionRotated {
			rotated = &events.Items[i]
		}
	}
	if rotated == nil || rotated.ActorID != gina.UserID || rotated.SourceIP != "198.51.100.7" ||
		rotated.Details["selfRotated"] != "true" || rotated.Details["replacedBy"] != next.Token.ID {
		t.Fatalf("rotation event %+v", rotated)
	}
}
