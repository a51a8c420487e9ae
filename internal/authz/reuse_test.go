package authz_test

import (
	"context"
	"testing"
	"time"

	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/pat"
)

// authorize runs the whole authorizer (decision, writes, log) on a request
// with secret.
func (e *env) authorize(t *testing.T, secret string) authz.Decision {
	t.Helper()
	d, err := e.authz.Authorize(context.Background(), authz.Request{Authorization: "Bearer " + secret, Method: "GET", Path: "/api/crm/contacts", SourceIP: "203.0.113.9"})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// reuseEvents are the reports of tokenID's reuse in its trail.
func (e *env) reuseEvents(t *testing.T, tokenID string) []pat.Event {
	t.Helper()
	page, err := e.Service.ListTokenEvents(context.Background(), alice, tokenID, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []pat.Event
	for _, ev := range page.Items {
		if ev.Action == pat.ActionReuseDetected {
			out = append(out, ev)
		}
	}
	return out
}

// A replaced token works through its overlap; used after it, it is refused
// as reuse and reported once per period: a write, an audit event.
func TestReplacedTokenWorksThenReuseIsReported(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	old := e.Create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	next, err := e.Service.RotateToken(ctx, alice, old.Token.ID, pat.RotateInput{Overlap: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ledger.AddToken(next.Secret)

	if d := e.authorize(t, old.Secret); d.Outcome != authz.Allowed {
		t.Fatalf("in its overlap the old token is refused: %s", d.Reason)
	}
	if d := e.authorize(t, next.Secret); d.Outcome != authz.Allowed {
		t.Fatalf("the replacement is refused: %s", d.Reason)
	}

	e.Clock.Advance(time.Hour)
	e.count.Reads.Store(0)
	e.count.Writes.Store(0)
	d := e.authorize(t, old.Secret)
	if d.Outcome != authz.Unauthorized || d.Reason != authz.ReasonReuse || d.ErrorCode() != "invalid_token" {
		t.Fatalf("after its overlap: %s %s, want 401 reuse", d.Outcome, d.Reason)
	}
	if r, w := e.count.Reads.Load(), e.count.Writes.Load(); r != 1 || w != 1 {
		t.Fatalf("a reported reuse made %d reads and %d writes, want 1 and 1", r, w)
	}
	evs := e.reuseEvents(t, old.Token.ID)
	if len(evs) != 1 || evs[0].ActorRole != pat.RoleAuthorizer || evs[0].SourceIP != "203.0.113.9" || evs[0].Details["replacedBy"] != next.Token.ID {
		t.Fatalf("reuse events = %+v", evs)
	}
	got, err := e.Service.GetToken(ctx, alice, old.Token.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ReuseReportedAt == nil || !got.ReuseReportedAt.Equal(e.Clock.Now()) {
		t.Fatalf("reuseReportedAt = %v", got.ReuseReportedAt)
	}

	// Within the period: refused, nothing written.
	e.Clock.Advance(pat.ReusePeriod - time.Second)
	e.count.Writes.Store(0)
	if d := e.authorize(t, old.Secret); d.Reason != authz.ReasonReuse {
		t.Fatalf("reason %s", d.Reason)
	}
	if w := e.count.Writes.Load(); w != 0 {
		t.Fatalf("a reuse within the period wrote %d times", w)
	}
	// After it: reported again.
	e.Clock.Advance(time.Second)
	e.authorize(t, old.Secret)
	if n := len(e.reuseEvents(t, old.Token.ID)); n != 2 {
		t.Fatalf("%d reports after a second period, want 2", n)
	}
	// The replacement is untouched: the rotation did not ask to revoke it.
	if d := e.authorize(t, next.Secret); d.Outcome != authz.Allowed {
		t.Fatalf("the replacement is refused: %s", d.Reason)
	}
}

// Instances racing on the same reuse write one report.
func TestConcurrentReuseReportsOnce(t *testing.T) {
	e := newEnv(t)
	old := e.Create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	next, err := e.Service.RotateToken(context.Background(), alice, old.Token.ID, pat.RotateInput{})
	if err != nil {
		t.Fatal(err)
	}
	ledger.AddToken(next.Secret)
	done := make(chan struct{})
	for range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			e.authz.Authorize(context.Background(), authz.Request{Authorization: "Bearer " + old.Secret, Method: "GET", Path: "/api/crm/contacts"})
		}()
	}
	for range 8 {
		<-done
	}
	if n := len(e.reuseEvents(t, old.Token.ID)); n != 1 {
		t.Fatalf("%d reports of one reuse, want 1", n)
	}
}

// With revokeReplacementOnReuse, the reuse also revokes the replacement,
// with its own audit event: by a mark the service shows as revoked, due
// at once for the lifecycle job, which ends it and frees its place.
func TestReuseRevokesReplacementWhenAsked(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	old := e.Create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	next, err := e.Service.RotateToken(ctx, alice, old.Token.ID, pat.RotateInput{RevokeReplacementOnReuse: true})
	if err != nil {
		t.Fatal(err)
	}
	ledger.AddToken(next.Secret)
	e.Clock.Advance(time.Minute)

	if d := e.authorize(t, old.Secret); d.Reason != authz.ReasonReuse {
		t.Fatalf("reason %s, want reuse", d.Reason)
	}
	if d := e.authorize(t, next.Secret); d.Outcome != authz.Unauthorized || d.Reason != authz.ReasonRevoked {
		t.Fatalf("the replacement after the reuse: %s %s, want 401 revoked", d.Outcome, d.Reason)
	}
	page, err := e.Service.ListTokenEvents(ctx, alice, next.Token.ID, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	last := page.Items[len(page.Items)-1]
	if last.Action != pat.ActionRevoked || last.ActorRole != pat.RoleAuthorizer || last.Details["reuseOf"] != old.Token.ID {
		t.Fatalf("the replacement's last event = %+v", last)
	}
	repl, err := e.Service.GetToken(ctx, alice, next.Token.ID)
	if err != nil {
		t.Fatal(err)
	}
	if repl.StatusAt(e.Clock.Now()) != pat.StatusRevoked || repl.DueAt == nil || !repl.DueAt.Equal(e.Clock.Now()) {
		t.Fatalf("the replacement as its owner sees it: %s, due %v", repl.StatusAt(e.Clock.Now()), repl.DueAt)
	}
	if step, _, due := e.Service.Lifecycle().Due(repl, e.Clock.Now()); !due || step.Kind != pat.StepExpire {
		t.Fatalf("the job's next step on it: %+v %v, want expire now", step, due)
	}
}

// A replacement already revoked is not revoked again: the report is
// written without it.
func TestReuseReportWithReplacementGone(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	old := e.Create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	next, err := e.Service.RotateToken(ctx, alice, old.Token.ID, pat.RotateInput{RevokeReplacementOnReuse: true})
	if err != nil {
		t.Fatal(err)
	}
	ledger.AddToken(next.Secret)
	if err := e.Service.RevokeToken(ctx, alice, next.Token.ID); err != nil {
		t.Fatal(err)
	}
	e.authorize(t, old.Secret)
	if n := len(e.reuseEvents(t, old.Token.ID)); n != 1 {
		t.Fatalf("%d reports, want 1", n)
	}
}
