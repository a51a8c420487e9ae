package lifecycle_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/patservice/pat/internal/lambdarun/cloudwatch"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/samstack"
)

// The mail alarms fire on what the code writes as Lambda writes it. Every
// mail failure an operator is alarmed about happens here, through the
// functions' own logger (text under "message"): a reminder refused for its
// recipient, a reminder not sent to an address known to be unreachable, an
// administrator's notice refused for its recipient, and the sender refused
// altogether. Each alarm on a PAT/Mail metric of the stack must then see a
// value: one an EMF line publishes with the alarm's namespace, name and
// dimensions, or one a metric filter of the stack counts because its
// pattern matches a line (the stack as internal/samstack reads it, the
// alarms and filters as internal/lambdarun/cloudwatch reads them).
func TestMailAlarmsSeeWhatTheFunctionsLog(t *testing.T) {
	e := newEnv(t)
	ses := localstack.NewSESProxy(t)
	j := e.job(t, ses.Client(t), nil)
	e.create(t, "refused", pat.CreateInput{ExpiresInDays: ptr(365)})
	ses.RefuseRecipient(e.user.Email, addressBlocked)
	e.run(t, j, t0.Add(166*day+time.Hour)) // refused: the owner is marked
	e.run(t, j, t0.Add(177*day+time.Hour)) // the next reminder is not sent

	svc := e.NewService(t, e.Config, e.DB, ses.Client(t)) // the management functions' notices
	admin := pat.Identity{UserID: "admin-" + e.user.UserID, Email: "admin@example.com", Admin: true}
	revoke := func(owner pat.Identity) {
		c, err := svc.CreateToken(context.Background(), owner, pat.CreateInput{Name: "revoked", Scopes: []string{"crm:read"}})
		if err != nil {
			t.Fatal(err)
		}
		e.AddToken(c.Secret)
		if err := svc.AdminRevokeToken(context.Background(), admin, c.Token.ID, "leaked"); err != nil {
			t.Fatal(err)
		}
	}
	other := pat.Identity{UserID: e.user.UserID + "-b", Email: "b-" + e.user.Email, Permissions: e.user.Permissions}
	ses.RefuseRecipient(other.Email, addressBlocked)
	revoke(other)
	ses.Refuse(localstack.SESRefusal{Code: "AccountSendingPausedException", Message: "Email sending is disabled for your entire Amazon SES account."}, -1)
	revoke(pat.Identity{UserID: e.user.UserID + "-c", Email: "c-" + e.user.Email, Permissions: e.user.Permissions})

	lines := localstack.LogLines(t, e.logs.String())
	published := localstack.PublishedMetrics(t, lines)
	localstack.RequireSAMTranslator(t)
	stack, err := samstack.Load(localstack.RepoRoot(t), samstack.Local{Params: map[string]string{"MailFrom": "tokens@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	alarms, err := cloudwatch.Alarms(stack)
	if err != nil {
		t.Fatal(err)
	}
	filters, err := cloudwatch.MetricFilters(stack)
	if err != nil {
		t.Fatal(err)
	}
	watched := 0
	for _, alarm := range alarms {
		for _, m := range alarm.Metrics {
			if m.Namespace != "PAT/Mail" {
				continue
			}
			watched++
			if localstack.Sum(published, m.Namespace, m.Name, m.Dimensions) == 0 && !filterCounts(filters, m, lines) {
				t.Errorf("%s watches %s, but no line the functions write publishes it; their lines say:\n%s",
					alarm.LogicalID, m, strings.Join(localstack.Messages(lines), "\n"))
			}
		}
	}
	if watched < 2 {
		t.Fatalf("%d alarms watch PAT/Mail metrics: want the refused-mail and blocked-sending alarms", watched)
	}
}

// filterCounts says whether a metric filter of the stack publishes m from
// one of lines.
func filterCounts(filters []cloudwatch.MetricFilter, m cloudwatch.Metric, lines []map[string]any) bool {
	for _, f := range filters {
		for _, line := range lines {
			for _, d := range f.Publish(line) {
				if d.Namespace == m.Namespace && d.Name == m.Name {
					return true
				}
			}
		}
	}
	return false
}
