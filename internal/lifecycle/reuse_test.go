package lifecycle_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
)

// The authorizer stores the notice of a replaced token's reuse as data;
// the job's next run composes it in the owner's language and sends it:
// one mail per token per period, however often the copy is used.
func TestReuseMailedOncePerPeriodInTheOwnersLanguage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.Service.UpdateMe(ctx, e.user, "de"); err != nil {
		t.Fatal(err)
	}
	old := e.create(t, "ci deploy", pat.CreateInput{})
	next, err := e.Service.RotateToken(ctx, e.user, old.Token.ID, pat.RotateInput{Overlap: time.Hour, RevokeReplacementOnReuse: true})
	if err != nil {
		t.Fatal(err)
	}
	e.AddToken(next.Secret)
	a := e.Authorizer(t, e.AuthorizerConfig(), e.DB)
	use := func(at time.Time) {
		t.Helper()
		e.Clock.Set(at)
		d, err := a.Authorize(ctx, authz.Request{Authorization: "Bearer " + old.Secret, Method: "GET", Path: "/api/crm/contacts", SourceIP: "203.0.113.9"})
		if err != nil || d.Reason != authz.ReasonReuse {
			t.Fatalf("use at %s: %v %s, want reuse", at, err, d.Reason)
		}
	}
	reuseMails := func() []localstack.Email {
		var out []localstack.Email
		for _, m := range e.inbox(t) {
			if strings.Contains(m.Subject, "nach seinem Ende verwendet") {
				out = append(out, m)
			}
		}
		return out
	}
	j := e.job(t, e.Mail, nil)

	use(t0.Add(2 * time.Hour))
	use(t0.Add(3 * time.Hour))
	e.run(t, j, t0.Add(4*time.Hour))
	mails := reuseMails()
	if len(mails) != 1 {
		t.Fatalf("%d reuse mails after two uses in a period, want 1: %s", len(mails), subjects(e.inbox(t)))
	}
	m := mails[0]
	for _, want := range []string{"ci deploy", "(" + old.Token.ID + ")", "203.0.113.9", "(" + next.Token.ID + ") widerrufen", "https://console.example.com/tokens"} {
		if !strings.Contains(m.Body.Text, want) || !strings.Contains(m.Body.HTML, want) {
			t.Errorf("the mail does not say %q:\n%s\n%s", want, m.Body.Text, m.Body.HTML)
		}
	}
	if strings.Contains(m.Body.Text, old.Secret) || strings.Contains(m.Body.Text, next.Secret) {
		t.Fatal("the mail holds a token")
	}

	// The next period's first use is mailed again; its replacement was
	// revoked by the first report, so this one does not say it was.
	use(t0.Add(2*time.Hour + pat.ReusePeriod))
	e.run(t, j, t0.Add(3*time.Hour+pat.ReusePeriod))
	if mails = reuseMails(); len(mails) != 2 {
		t.Fatalf("%d reuse mails after a second period, want 2", len(mails))
	}
	if second := mails[1].Body.Text; strings.Contains(second, "widerrufen:") || !strings.Contains(second, "widerrufen Sie den Nachfolger") {
		t.Fatalf("the second mail:\n%s", second)
	}
}

// A replacement that never expires, revoked by the authorizer on the old
// token's reuse, is ended by the job with a deletion time, as a revoked
// token is kept (REVOKED_RETENTION_DAYS), and its entry in the last-use
// order with it: not kept for ever.
func TestReuseRevokedReplacementIsDeletedInTime(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	old := e.create(t, "forever", pat.CreateInput{NeverExpires: true})
	next, err := e.Service.RotateToken(ctx, e.user, old.Token.ID, pat.RotateInput{Overlap: time.Hour, RevokeReplacementOnReuse: true})
	if err != nil {
		t.Fatal(err)
	}
	e.AddToken(next.Secret)
	if next.Token.ExpiresAt != nil {
		t.Fatalf("the replacement of a token that never expires expires at %s", next.Token.ExpiresAt)
	}
	e.Clock.Set(t0.Add(2 * time.Hour))
	a := e.Authorizer(t, e.AuthorizerConfig(), e.DB)
	if d, err := a.Authorize(ctx, authz.Request{Authorization: "Bearer " + old.Secret, Method: "GET", Path: "/api/crm/contacts", SourceIP: "203.0.113.9"}); err != nil || d.Reason != authz.ReasonReuse {
		t.Fatalf("reuse: %v %s", err, d.Reason)
	}
	run := t0.Add(3 * time.Hour)
	e.run(t, e.job(t, e.Mail, nil), run)
	got, err := e.Service.Store.GetToken(ctx, next.Token.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := run.Add(e.Config.Rules.RevokedRetention)
	if got.Status != pat.StatusExpired || !got.DeleteAfter.Equal(want) {
		t.Fatalf("the replacement is %s, deleted after %s; want expired, deleted after %s", got.Status, got.DeleteAfter, want)
	}
	out, err := e.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: &e.Tables.Tokens, Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "TOKSORT#" + next.Token.ID}, "sk": &types.AttributeValueMemberS{Value: "used"}}})
	if err != nil {
		t.Fatal(err)
	}
	if ttl, ok := out.Item["ttl"].(*types.AttributeValueMemberN); !ok || ttl.Value != strconv.FormatInt(want.Unix(), 10) {
		t.Fatalf("its last-use entry: %v", out.Item)
	}
}
