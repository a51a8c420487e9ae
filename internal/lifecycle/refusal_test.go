package lifecycle_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
)

// addressBlocked is SES refusing one recipient: the address is on its
// block list.
var addressBlocked = localstack.SESRefusal{Code: "MessageRejected", Message: "Address blacklisted."}

// SES's refusals that are about the sender (the account, its identities,
// its configuration), not the recipient, as SES words them; OWNER stands
// for the recipient's address, SENDER for the job's MAIL_FROM.
var senderRefusals = []struct {
	name    string
	refusal localstack.SESRefusal
	cause   string // the Cause dimension of PAT/Mail MailSendingBlocked
	says    string // what the log line tells the operator to do (a part of it)
}{
	{"sender not verified", localstack.SESRefusal{Code: "MessageRejected",
		Message: "Email address is not verified. The following identities failed the check in region EU-WEST-1: SENDER, OWNER"},
		"unverified_sender", "verify"},
	{"sandbox", localstack.SESRefusal{Code: "MessageRejected",
		Message: "Email address is not verified. The following identities failed the check in region EU-WEST-1: OWNER"},
		"sandbox", "production access"},
	{"account suspended", localstack.SESRefusal{Code: "MessageRejected",
		Message: "Sending suspended for this account. For more information, please check the inbox of the email address associated with your AWS account."},
		"sending_paused", "suspended"},
	{"account paused", localstack.SESRefusal{Code: "AccountSendingPausedException", Message: "Email sending is disabled for your entire Amazon SES account."},
		"sending_paused", "UpdateAccountSendingEnabled"},
	{"configuration set paused", localstack.SESRefusal{Code: "ConfigurationSetSendingPausedException", Message: "Email sending is disabled for this configuration set."},
		"sending_paused", "UpdateConfigurationSetSendingEnabled"},
	{"configuration set missing", localstack.SESRefusal{Code: "ConfigurationSetDoesNotExist", Message: "Configuration set <pat-mail> does not exist."},
		"missing_configuration_set", "MAIL_CONFIGURATION_SET"},
	{"MAIL FROM domain", localstack.SESRefusal{Code: "MailFromDomainNotVerifiedException", Message: "MAIL FROM domain bounce.example.com is not verified."},
		"mail_from_domain", "MX record"},
	{"sender address invalid", localstack.SESRefusal{Code: "InvalidParameterValue", Message: "Illegal address"},
		"invalid_request", "MAIL_FROM"},
	{"refused for another reason", localstack.SESRefusal{Code: "MessageRejected", Message: "Message rejected for a reason SES has not told before, about OWNER."},
		"refused", "SES"},
}

// worded puts the test's addresses into an SES message.
func worded(r localstack.SESRefusal, sender, owner string) localstack.SESRefusal {
	r.Message = strings.NewReplacer("SENDER", sender, "OWNER", owner).Replace(r.Message)
	return r
}

// A refusal of the sender (SES answers every send so, whoever the
// recipient) is nobody's address failing: the run stops mailing at the
// first one, marks no owner unreachable, consumes no reminder, and says
// what is wrong in words an operator acts on, with the MailSendingBlocked
// metric (alarmed) by cause. Once SES sends again, every owner is reminded.
func TestSenderSideRefusalMarksNobody(t *testing.T) {
	for _, c := range senderRefusals {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			other := pat.Identity{UserID: e.user.UserID + "-b", Email: "b-" + e.user.Email, Permissions: e.user.Permissions}
			e.create(t, "first", pat.CreateInput{ExpiresInDays: ptr(365)})
			c2, err := e.Service.CreateToken(context.Background(), other, pat.CreateInput{Name: "second", Scopes: []string{"crm:read"}, ExpiresInDays: ptr(365)})
			if err != nil {
				t.Fatal(err)
			}
			e.AddToken(c2.Secret)
			ses := localstack.NewSESProxy(t)
			ses.Refuse(worded(c.refusal, e.cfg.MailFrom, e.user.Email), -1)
			j := e.job(t, ses.Client(t), nil)

			at := t0.Add(166*day + time.Hour)
			rep := e.run(t, j, at)
			if rep.Mails != 0 || rep.Rejected != 0 || rep.Suppressed != 0 || !strings.Contains(rep.Stopped, "blocked") {
				t.Errorf("blocked run: %+v", rep)
			}
			if n := ses.Requests.Load(); n != 1 {
				t.Errorf("%d sends tried: the run went on mailing after SES refused the sender", n)
			}
			for _, id := range []string{e.user.UserID, other.UserID} {
				if u, err := e.Service.Store.GetUser(context.Background(), id); err != nil || u.Unreachable != nil {
					t.Errorf("owner %s marked unreachable (%q) for a refusal of the sender", id, u.UnreachableCause)
				}
			}
			published := e.published(t)
			if sum := localstack.Sum(published, "PAT/Mail", "MailSendingBlocked", nil); sum != 1 {
				t.Errorf("PAT/Mail MailSendingBlocked = %v, want 1", sum)
			}
			if sum := localstack.Sum(published, "PAT/Mail", "MailSendingBlocked", map[string]string{"Cause": c.cause}); sum != 1 {
				t.Errorf("PAT/Mail MailSendingBlocked{Cause=%s} = %v, want 1", c.cause, sum)
			}
			if sum := localstack.Sum(published, "PAT/Mail", "MailRejected", nil); sum != 0 {
				t.Errorf("PAT/Mail MailRejected = %v for a refusal of the sender", sum)
			}
			for _, p := range published {
				if p.Name == "MailSendingBlocked" && !strings.Contains(p.Line["message"].(string), c.says) {
					t.Errorf("the blocked line does not tell the operator %q: %q", c.says, p.Line["message"])
				}
			}
			logs := e.logs.String()
			if strings.Contains(logs, e.user.Email) || strings.Contains(logs, other.Email) {
				t.Errorf("a log line names an owner's address:\n%s", logs)
			}

			ses.Pass()
			if rep := e.run(t, j, at.Add(time.Hour)); rep.Mails != 2 || len(e.inbox(t)) != 1 || len(jobMail(localstack.Inbox(t, other.Email))) != 1 {
				t.Fatalf("once SES sends again: %+v", rep)
			}
		})
	}
}

// A refusal of one recipient marks that owner alone: the run goes on and
// reminds the others. The line that says so publishes MailRejected.
func TestRecipientRefusalMarksThatOwnerOnly(t *testing.T) {
	for _, c := range []struct {
		name    string
		address func(string) string
		refusal localstack.SESRefusal
	}{
		{"address on SES's block list", func(a string) string { return a }, addressBlocked},
		{"malformed address", func(a string) string { return strings.Replace(a, "@", " at ", 1) },
			localstack.SESRefusal{Code: "InvalidParameterValue", Message: "Missing final '@domain'"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			good := e.user
			e.user = pat.Identity{UserID: good.UserID + "-refused", Email: c.address("refused-" + good.Email), Permissions: good.Permissions}
			e.create(t, "refused", pat.CreateInput{ExpiresInDays: ptr(365)})
			refused := e.user
			e.user = good
			e.create(t, "delivered", pat.CreateInput{ExpiresInDays: ptr(365)})
			ses := localstack.NewSESProxy(t)
			ses.RefuseRecipient(refused.Email, c.refusal)

			rep := e.run(t, e.job(t, ses.Client(t), nil), t0.Add(166*day+time.Hour))
			if rep.Rejected != 1 || rep.Mails != 1 || rep.Stopped != "" || len(e.inbox(t)) != 1 {
				t.Fatalf("run: %+v", rep)
			}
			if u, _ := e.Service.Store.GetUser(context.Background(), refused.UserID); u.Unreachable == nil {
				t.Error("the refused owner is not marked unreachable")
			}
			if u := e.owner(t); u.Unreachable != nil {
				t.Errorf("the other owner is marked unreachable: %+v", u)
			}
			published := e.published(t)
			if sum := localstack.Sum(published, "PAT/Mail", "MailRejected", nil); sum != 1 {
				t.Errorf("PAT/Mail MailRejected = %v, want 1", sum)
			}
			if sum := localstack.Sum(published, "PAT/Mail", "MailSendingBlocked", nil); sum != 0 {
				t.Errorf("PAT/Mail MailSendingBlocked = %v for one refused recipient", sum)
			}
		})
	}
}

// Never a silent deletion, even while SES refuses the sender for weeks: no
// token is deleted whose owner was not reminded, nobody is marked, no
// deletion is held on the owner's account (the owner did nothing wrong).
// Once SES sends again the reminder goes out, and the deletion waits the
// reminder's days from then.
func TestBlockedSendingDeletesNothingUnwarned(t *testing.T) {
	e := newEnv(t)
	c := e.create(t, "idle", pat.CreateInput{ExpiresInDays: ptr(365)})
	ses := localstack.NewSESProxy(t)
	ses.Refuse(worded(senderRefusals[1].refusal, e.cfg.MailFrom, e.user.Email), -1) // the sandbox
	j := e.job(t, ses.Client(t), nil)
	for _, d := range []time.Duration{166 * day, 177 * day, 180*day + 2*time.Hour, 200 * day} {
		rep := e.run(t, j, t0.Add(d+time.Hour))
		if rep.Held != 0 || rep.Rejected != 0 || !strings.Contains(rep.Stopped, "blocked") {
			t.Fatalf("day %d: %+v", d/day, rep)
		}
	}
	if _, ok := e.token(t, c.Token.ID); !ok {
		t.Fatal("deleted although no reminder reached its owner")
	}
	if u := e.owner(t); u.Unreachable != nil {
		t.Fatalf("owner marked unreachable: %+v", u)
	}
	if len(e.adminInbox(t)) != 0 || len(e.inbox(t)) != 0 {
		t.Fatal("mail got through a blocked sender")
	}

	ses.Pass()
	resumed := t0.Add(201 * day)
	e.run(t, j, resumed)
	mails := e.inbox(t)
	if len(mails) != 1 || !strings.Contains(mails[0].Subject, "will be deleted on") {
		t.Fatalf("after SES sends again: %s", subjects(mails))
	}
	e.run(t, j, resumed.Add(2*day))
	if _, ok := e.token(t, c.Token.ID); !ok {
		t.Fatal("deleted before the reminder's 3 days were over")
	}
	e.run(t, j, resumed.Add(3*day+time.Hour))
	if _, ok := e.token(t, c.Token.ID); ok {
		t.Fatal("not deleted 3 days after the reminder")
	}
}
