package iamcheck_test

import (
	"context"
	"crypto/rand"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/patservice/pat/internal/app"
	"github.com/patservice/pat/internal/app/authorizer"
	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/awsclient"
	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/cursorkey"
	"github.com/patservice/pat/internal/iamcheck"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/samstack"
	"github.com/patservice/pat/internal/sesmail"
)

var ledger = &localstack.Ledger{}

func TestMain(m *testing.M) { os.Exit(ledger.Main(m)) }

// asFunction gives the process the environment Lambda gives the function
// id: the template's variables (and none of another function's), and
// credentials whose access key id names it, with DynamoDB and SES reached
// through the proxy.
func asFunction(t *testing.T, stack *samstack.Stack, proxy *iamcheck.Proxy, id string) {
	t.Helper()
	fns, err := stack.Functions()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(fns, func(f samstack.Function) bool { return f.LogicalID == id })
	if i < 0 {
		t.Fatalf("%s is not a function of the template", id)
	}
	for _, f := range fns {
		for name := range f.Env {
			t.Setenv(name, "") // restored after the test
			os.Unsetenv(name)
		}
	}
	for name, value := range fns[i].Env {
		t.Setenv(name, value)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", id)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "any secret")
	t.Setenv("AWS_REGION", stack.Local.Region)
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", proxy.DynamoDBURL)
	t.Setenv("AWS_ENDPOINT_URL_SES", proxy.SESURL)
	if proxy.SecretsManagerURL != "" {
		t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", proxy.SecretsManagerURL)
	}
}

// cursorSecret creates the cursor key's secret in moto's Secrets Manager
// (infra/stack.sh starts it), as the stack's CursorKeySecret, and returns
// its ARN.
func cursorSecret(t *testing.T) string {
	t.Helper()
	if os.Getenv("AWS_ENDPOINT_URL_SECRETS_MANAGER") == "" {
		t.Fatal("AWS_ENDPOINT_URL_SECRETS_MANAGER is not set: infra/stack.sh starts moto's server for Secrets Manager")
	}
	sm, err := cursorkey.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	out, err := sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name: aws.String("cursor-key-" + rand.Text()[:8]), SecretString: aws.String(rand.Text() + rand.Text() + rand.Text()[:12])})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ARN)
}

// The first thing a user does, creating a token, and the first use of it,
// each wired as its function wires it (configuration from the template's
// environment, the client from awsclient) and signed with the function's
// own key id: every DynamoDB call goes through the proxy and is held to
// that function's policy in template.yaml. Before create-token was granted
// dynamodb:GetItem on the tokens table, IAM refused the read of the
// caller's user record and every POST /tokens answered 500.
func TestCreateAndUseATokenUnderTheTemplatesPolicies(t *testing.T) {
	admin := localstack.Client(t) // skips without the local stack
	tables := localstack.MustTables(t, admin)
	ledger.AddTables(admin, tables)
	stack := loadStackWithSecret(t, tables.Tokens, tables.Audit, cursorSecret(t))
	proxy := iamcheck.Start(t, stack, os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"), os.Getenv("AWS_ENDPOINT_URL_SES"))
	if err := proxy.ProxySecretsManager(os.Getenv("AWS_ENDPOINT_URL_SECRETS_MANAGER")); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(&ledger.Logs, nil))
	ctx := context.Background()

	asFunction(t, stack, proxy, "CreateTokenFunction")
	cfg, err := config.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	db, err := awsclient.DynamoDB()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := app.NewService(cfg, db, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	alice := pat.Identity{UserID: "user-alice", Email: "alice@example.com", Permissions: []string{"crm:read"}}
	created, err := svc.CreateToken(ctx, alice, pat.CreateInput{Name: "ci", Scopes: []string{"crm:read"}})
	if err != nil {
		t.Fatalf("POST /tokens as create-token: %v", err)
	}
	ledger.AddToken(created.Secret)

	asFunction(t, stack, proxy, "AuthorizerFunction")
	acfg, err := config.AuthorizerFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	acfg.Timeout = 5 * time.Second // a loaded test machine is not what the deadline is about
	adb, err := awsclient.DynamoDB()
	if err != nil {
		t.Fatal(err)
	}
	a, err := authorizer.New(acfg, adb, log)
	if err != nil {
		t.Fatal(err)
	}
	d, err := a.Authorize(ctx, authz.Request{Authorization: "Bearer " + created.Secret, Method: "GET", Path: "/api/crm/contacts", SourceIP: "192.0.2.1"})
	if err != nil || d.Outcome != authz.Allowed {
		t.Fatalf("the new token: %v %s, %v", d.Outcome, d.Reason, err)
	}

	// Rotated, asking that a reuse revoke the replacement: the old token's
	// use is reported, under the authorizer's policy, with the mark that
	// revokes the replacement.
	asFunction(t, stack, proxy, "RotateTokenFunction")
	rcfg, err := config.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	rdb, err := awsclient.DynamoDB()
	if err != nil {
		t.Fatal(err)
	}
	rsvc, err := app.NewService(rcfg, rdb, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	next, err := rsvc.RotateToken(ctx, alice, created.Token.ID, pat.RotateInput{RevokeReplacementOnReuse: true})
	if err != nil {
		t.Fatalf("POST /tokens/{id}/rotate as rotate-token: %v", err)
	}
	ledger.AddToken(next.Secret)
	asFunction(t, stack, proxy, "AuthorizerFunction")
	if d, err := a.Authorize(ctx, authz.Request{Authorization: "Bearer " + created.Secret, Method: "GET", Path: "/api/crm/contacts", SourceIP: "192.0.2.1"}); err != nil || d.Reason != authz.ReasonReuse {
		t.Fatalf("the replaced token: %v %s, %v", d.Outcome, d.Reason, err)
	}
	if d, err := a.Authorize(ctx, authz.Request{Authorization: "Bearer " + next.Secret, Method: "GET", Path: "/api/crm/contacts", SourceIP: "192.0.2.1"}); err != nil || d.Reason != authz.ReasonRevoked {
		t.Fatalf("the replacement after the reuse: %v %s, %v, want revoked", d.Outcome, d.Reason, err)
	}
	for _, r := range proxy.TakeRefusals() {
		t.Errorf("refused: %s %s %s", r.Function, r.Action, r.Resource)
	}

	// Both functions went through the proxy, each under its own policy;
	// the authorizer's last-use write (logged, not returned, on failure)
	// was allowed by its conditional grant.
	var calls []string
	for _, d := range proxy.Decisions() {
		if d.Allowed {
			calls = append(calls, d.Function+" "+d.Action)
		}
	}
	for _, want := range []string{"CreateTokenFunction secretsmanager:GetSecretValue", "CreateTokenFunction dynamodb:GetItem", "CreateTokenFunction dynamodb:PutItem", "AuthorizerFunction dynamodb:GetItem", "AuthorizerFunction dynamodb:UpdateItem"} {
		if !slices.Contains(calls, want) {
			t.Errorf("no allowed %s in %v", want, calls)
		}
	}
	// Least privilege from the other side: these two runs use every grant
	// the two functions have, but create-token's mail to an owner's old
	// address (sent, and its notice deleted from the outbox, only when the
	// identity provider changed the address: internal/httpapi's email tests).
	for _, u := range proxy.Unused() {
		mailOnAddressChange := u.Action == "ses:SendEmail" || u.Action == "dynamodb:DeleteItem"
		if u.Function == "AuthorizerFunction" || u.Function == "CreateTokenFunction" && !mailOnAddressChange {
			t.Errorf("unused grant: %s", u)
		}
	}
}

// Mail goes through the proxy too: the job's sender (sesmail, wired from
// the job's environment) reaches the SES emulator's inbox; the same
// sender under get-token's policy, which grants no ses:SendEmail, is
// refused with SES's AccessDenied and nothing is delivered.
func TestMailUnderTheTemplatesPolicies(t *testing.T) {
	localstack.Client(t) // skips without the local stack
	stack := loadStack(t, "tokens-mail", "audit-mail")
	proxy := iamcheck.Start(t, stack, os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"), os.Getenv("AWS_ENDPOINT_URL_SES"))
	to := "owner-" + strings.ToLower(rand.Text()[:10]) + "@example.com"
	send := func(fn string) error {
		asFunction(t, stack, proxy, fn)
		client, err := sesmail.NewClient()
		if err != nil {
			t.Fatal(err)
		}
		m := sesmail.New(client, os.Getenv("MAIL_FROM"), os.Getenv("MAIL_REPLY_TO"))
		m.ConfigurationSet = os.Getenv("MAIL_CONFIGURATION_SET")
		return m.Send(context.Background(), pat.Message{To: to, Subject: "Your token", Text: "text", HTML: "<p>html</p>"})
	}
	if err := send("LifecycleFunction"); err != nil {
		t.Fatalf("the job's mail: %v", err)
	}
	// sesmail keeps only SES's error code (its messages may name the
	// recipient): the refusal itself is the proxy's record.
	err := send("GetTokenFunction")
	var refused []string
	for _, d := range proxy.TakeRefusals() {
		refused = append(refused, d.Function+" "+d.Action+" "+d.Resource)
	}
	want := []string{
		"GetTokenFunction ses:SendEmail arn:aws:ses:us-east-1:000000000000:identity/" + mailFrom,
		"GetTokenFunction ses:SendEmail arn:aws:ses:us-east-1:000000000000:configuration-set/" + os.Getenv("MAIL_CONFIGURATION_SET"),
	}
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") || !slices.Equal(refused, want) {
		t.Errorf("get-token's mail: %v; refusals %v", err, refused)
	}
	if got := localstack.Inbox(t, to); len(got) != 1 || got[0].From != mailFrom {
		t.Errorf("inbox of %s: %+v", to, got)
	}
}

// The cursor key is read through the proxy too: a management function's
// cold start reads the stack's secret under its grant (the test above); a
// function granted nothing on it (mail-events, which lists nothing) is
// refused with Secrets Manager's AccessDeniedException, as on AWS.
func TestCursorKeyUnderTheTemplatesPolicies(t *testing.T) {
	localstack.Client(t) // skips without the local stack
	secret := cursorSecret(t)
	stack := loadStackWithSecret(t, "tokens-cursor", "audit-cursor", secret)
	proxy := iamcheck.Start(t, stack, "", "")
	if err := proxy.ProxySecretsManager(os.Getenv("AWS_ENDPOINT_URL_SECRETS_MANAGER")); err != nil {
		t.Fatal(err)
	}
	load := func(fn string) error {
		asFunction(t, stack, proxy, fn)
		sm, err := cursorkey.NewClient()
		if err != nil {
			t.Fatal(err)
		}
		_, err = cursorkey.Load(context.Background(), sm, secret, slog.New(slog.NewJSONHandler(&ledger.Logs, nil)))
		return err
	}
	for _, fn := range []string{"ListTokensFunction", "LifecycleFunction"} {
		if err := load(fn); err != nil {
			t.Errorf("%s: %v", fn, err)
		}
	}
	err := load("MailEventsFunction")
	refused := proxy.TakeRefusals()
	if err == nil || !strings.Contains(err.Error(), "AccessDeniedException") || len(refused) != 1 ||
		refused[0].Action != "secretsmanager:GetSecretValue" || refused[0].Resource != secret {
		t.Errorf("mail-events read the cursor key: %v; refusals %v", err, refused)
	}
}
