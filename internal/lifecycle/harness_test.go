package lifecycle_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/httpapi"
	"github.com/patservice/pat/internal/i18n"
	"github.com/patservice/pat/internal/lifecycle"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/sesmail"
	"github.com/patservice/pat/internal/testenv"
)

var ledger localstack.Ledger

func TestMain(m *testing.M) { os.Exit(ledger.Main(m)) }

const day = 24 * time.Hour

// t0 is when the tests' tokens are created: 09:00 UTC today. Test times
// run ahead of the real clock, never behind it: DynamoDB Local's TTL
// sweeper deletes items whose TTL the real clock has passed.
var t0 = time.Now().UTC().Truncate(day).Add(9 * time.Hour)

// date formats a day as the mails do.
func date(t time.Time) string { return t.UTC().Format("2 January 2006") }

type env struct {
	*testenv.Env
	cfg  config.Job
	api  *httpapi.API
	user pat.Identity
	logs *localstack.SyncBuffer // this test's log lines, as Lambda writes them
}

func newEnv(t testing.TB) *env {
	t.Helper()
	// Each test mails its own owner, so tests can share the emulator's inbox.
	owner := "owner-" + strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(t.Name(), "/", "-"), "_", "-"))
	logs := &localstack.SyncBuffer{}
	e := &env{Env: testenv.New(t, &ledger, testenv.WithMail(), testenv.LogsTo(logs), testenv.Configure(func(c *config.Config) {
		c.Rules.Lifecycle = pat.Lifecycle{Inactivity: 180 * day, IdleReminders: []int{14, 3}, ExpiryReminders: []int{7, 1}, HoldUnreachable: 30 * day}
		c.MailFrom, c.ConsoleURL = "tokens@example.com", "https://console.example.com"
		c.Rules.AllowNeverExpires = true
	})), user: pat.Identity{UserID: owner, Email: owner + "@example.com", Permissions: []string{"crm:read", "orders:read"}}, logs: logs}
	e.Clock.Set(t0)
	e.cfg = config.Job{Config: e.Config, KeepURL: "https://api.example.com/keep", AdminEmail: "admins-" + owner + "@example.com"}
	e.api = httpapi.New(e.Service.Service, e.Service.Catalog, e.cfg.Claims, e.Log)
	return e
}

// job builds the job on the given mail API and store wrapper.
func (e *env) job(t testing.TB, mail sesmail.API, wrap func(lifecycle.Store) lifecycle.Store) *lifecycle.Job {
	t.Helper()
	store := storeOf(e)
	if wrap != nil {
		store = wrap(store)
	}
	return lifecycle.New(store, sesmail.New(mail, e.cfg.MailFrom, ""), e.Service.Service, e.Service.Format().NewID, jobConfig(e), e.Log)
}

func storeOf(e *env) lifecycle.Store { return e.Service.Store }

func jobConfig(e *env) lifecycle.Config {
	return lifecycle.Config{
		Policy: e.cfg.Rules.Lifecycle, ConsoleURL: e.cfg.ConsoleURL, KeepURL: e.cfg.KeepURL, AdminEmail: e.cfg.AdminEmail,
		Lease: 15 * time.Minute, PageSize: 25, Lookback: 400, StopBefore: 30 * time.Second,
	}
}

func (e *env) run(t testing.TB, j *lifecycle.Job, at time.Time) lifecycle.Report {
	t.Helper()
	e.Clock.Set(at)
	rep, err := j.Run(context.Background(), lifecycle.Options{Now: at})
	if err != nil {
		t.Fatalf("run at %s: %v", at, err)
	}
	return rep
}

func (e *env) create(t testing.TB, name string, in pat.CreateInput) pat.Created {
	t.Helper()
	in.Name = name
	if len(in.Scopes) == 0 {
		in.Scopes = []string{"crm:read"}
	}
	return e.Create(t, e.user, in)
}

// use records a use of the token, as the authorizer does.
func (e *env) use(t testing.TB, id string, at time.Time) {
	t.Helper()
	_, err := e.DB.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: aws.String(e.Tables.Tokens), Key: testenv.TokenKey(id),
		UpdateExpression:          aws.String("SET lastUsedAt = :at"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": &types.AttributeValueMemberS{Value: at.UTC().Format("2006-01-02T15:04:05.000000Z")}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (e *env) token(t testing.TB, id string) (pat.Token, bool) {
	t.Helper()
	tok, err := e.Service.Store.GetToken(context.Background(), id)
	if pat.ErrorCode(err) == pat.CodeNotFound {
		return pat.Token{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return tok, true
}

// audit lists the actions of a token's audit trail, read from the table
// (the token itself may be gone).
func (e *env) audit(t testing.TB, id string) []map[string]string {
	t.Helper()
	out, err := e.DB.Query(context.Background(), &dynamodb.QueryInput{TableName: aws.String(e.Tables.Audit),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "TOKEN#" + id}}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	var evs []map[string]string
	for _, item := range out.Items {
		ev := map[string]string{}
		for _, k := range []string{"action", "actorId"} {
			ev[k] = item[k].(*types.AttributeValueMemberS).Value
		}
		if d, ok := item["details"].(*types.AttributeValueMemberM); ok {
			if r, ok := d.Value["reason"].(*types.AttributeValueMemberS); ok {
				ev["reason"] = r.Value
			}
		}
		evs = append(evs, ev)
	}
	return evs
}

// inbox reads the mails the SES emulator received for this test's owner.
func (e *env) inbox(t testing.TB) []localstack.Email {
	t.Helper()
	return jobMail(localstack.Inbox(t, e.user.Email))
}

// jobMail leaves out the creation notices of the tests' tokens, which the
// service sends when a token is created, not the job.
func jobMail(mails []localstack.Email) []localstack.Email {
	return slices.DeleteFunc(mails, func(m localstack.Email) bool {
		return strings.Contains(m.Body.Text, i18n.T(i18n.EN, "mail.created.no_secret"))
	})
}

var codePattern = regexp.MustCompile(`keep\?code=([0-9A-Za-z]+)`)

func keepCode(t testing.TB, m localstack.Email) string {
	t.Helper()
	match := codePattern.FindStringSubmatch(m.Body.Text)
	if match == nil {
		t.Fatalf("mail has no keep link:\n%s", m.Body.Text)
	}
	return match[1]
}

// published reads the metrics this test's log lines publish as EMF.
func (e *env) published(t testing.TB) []localstack.Published {
	t.Helper()
	return localstack.PublishedMetrics(t, localstack.LogLines(t, e.logs.String()))
}

func subjects(ms []localstack.Email) string {
	var s []string
	for _, m := range ms {
		s = append(s, m.Subject)
	}
	return fmt.Sprint(s)
}
