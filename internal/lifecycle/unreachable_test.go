package lifecycle_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/token"
)

func (e *env) owner(t *testing.T) pat.User {
	t.Helper()
	u, err := e.Service.Store.GetUser(context.Background(), e.user.UserID)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *env) adminInbox(t *testing.T) []localstack.Email {
	t.Helper()
	return localstack.Inbox(t, e.cfg.AdminEmail)
}

// Never a silent deletion: when the mail service refuses a reminder for
// good, the owner's address is marked unreachable, later reminders are not
// sent there, the deletion waits HoldUnreachable with the administrators
// told (once), and only then proceeds, without a notice to the dead address.
func TestRejectedReminderHoldsTheDeletionAndTellsTheAdministrators(t *testing.T) {
	e := newEnv(t)
	c := e.create(t, "nightly export", pat.CreateInput{ExpiresInDays: ptr(365)})
	ses := localstack.NewSESProxy(t)
	ses.RefuseRecipient(e.user.Email, addressBlocked)
	if rep := e.run(t, e.job(t, ses.Client(t), nil), t0.Add(166*day+time.Hour)); rep.Rejected != 1 {
		t.Fatalf("rejected run: %+v", rep)
	}
	if u := e.owner(t); u.Unreachable == nil || !strings.Contains(u.UnreachableCause, "rejected") {
		t.Fatalf("owner after a refused reminder: %+v", u)
	}
	j := e.job(t, e.Mail, nil)
	if rep := e.run(t, j, t0.Add(177*day+time.Hour)); rep.Suppressed != 1 || len(e.inbox(t)) != 0 {
		t.Fatalf("the second reminder went to an unreachable address: %+v", rep)
	}
	rep := e.run(t, j, t0.Add(180*day+2*time.Hour))
	if _, ok := e.token(t, c.Token.ID); !ok || rep.Held != 1 {
		t.Fatalf("deleted although the owner was never reminded: %+v", rep)
	}
	admins := e.adminInbox(t)
	if len(admins) != 1 || !strings.Contains(admins[0].Subject, "Deletion held") ||
		!strings.Contains(admins[0].Body.Text, c.Token.ID) || !strings.Contains(admins[0].Body.Text, date(t0.Add(210*day+2*time.Hour))) {
		t.Fatalf("administrators' mail: %s", subjects(admins))
	}
	e.run(t, j, t0.Add(195*day))
	if _, ok := e.token(t, c.Token.ID); !ok || len(e.adminInbox(t)) != 1 {
		t.Fatal("during the hold: the token is gone, or the administrators were told again")
	}
	e.run(t, j, t0.Add(210*day+3*time.Hour))
	if _, ok := e.token(t, c.Token.ID); ok {
		t.Fatal("still there after the hold")
	}
	trail := e.audit(t, c.Token.ID)
	if last := trail[len(trail)-1]; last["action"] != pat.ActionDeleted || last["reason"] != "inactivity" {
		t.Fatalf("audit trail ends with %v", last)
	}
	if n := len(e.inbox(t)); n != 0 {
		t.Fatalf("%d mails went to the unreachable address", n)
	}
}

// A bounce reported after the reminders went out (the mail-events function
// marks the address) holds the deletion too; a new address clears the mark.
func TestBouncedOwnerHoldsTheDeletion(t *testing.T) {
	e := newEnv(t)
	c := e.create(t, "bounced", pat.CreateInput{ExpiresInDays: ptr(365)})
	j := e.job(t, e.Mail, nil)
	e.run(t, j, t0.Add(166*day+time.Hour))
	e.run(t, j, t0.Add(177*day+time.Hour))
	if n := len(e.inbox(t)); n != 2 {
		t.Fatalf("%d reminders, want 2", n)
	}
	if err := e.Service.MarkUnreachable(context.Background(), token.OwnerTag(e.user.UserID), e.user.Email, "bounced (general)", t0.Add(178*day)); err != nil {
		t.Fatal(err)
	}
	if rep := e.run(t, j, t0.Add(180*day+2*time.Hour)); rep.Held != 1 || len(e.adminInbox(t)) != 1 {
		t.Fatalf("after a bounce: %+v", rep)
	}
	if _, ok := e.token(t, c.Token.ID); !ok {
		t.Fatal("deleted although the owner's address bounced")
	}

	e.user.Email = "new-" + e.user.Email
	e.create(t, "after the move", pat.CreateInput{ExpiresInDays: ptr(365)}) // signs in with the new address
	if u := e.owner(t); u.Unreachable != nil {
		t.Fatalf("a new address is still unreachable: %+v", u)
	}
}
