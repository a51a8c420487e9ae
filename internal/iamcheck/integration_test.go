package iamcheck_test

import (
	"context"
	"log/slog"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/patservice/pat/internal/app"
	"github.com/patservice/pat/internal/app/authorizer"
	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/awsclient"
	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/dynamotest"
	"github.com/patservice/pat/internal/iamcheck"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/samstack"
)

var ledger = &dynamotest.Ledger{}

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
}

// The first thing a user does, creating a token, and the first use of it,
// each wired as its function wires it (configuration from the template's
// environment, the client from awsclient) and signed with the function's
// own key id: every DynamoDB call goes through the proxy and is held to
// that function's policy in template.yaml. Before create-token was granted
// dynamodb:GetItem on the tokens table, IAM refused the read of the
// caller's user record and every POST /tokens answered 500.
func TestCreateAndUseATokenUnderTheTemplatesPolicies(t *testing.T) {
	admin := dynamotest.Client(t) // skips without the local stack
	tables := dynamotest.MustTables(t, admin)
	ledger.AddTables(admin, tables)
	stack := loadStack(t, tables.Tokens, tables.Audit)
	proxy := iamcheck.Start(t, stack, os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"), os.Getenv("AWS_ENDPOINT_URL_SES"))
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
	created, err := svc.Create(ctx, alice, pat.CreateInput{Name: "ci", Scopes: []string{"crm:read"}})
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

	// Both functions went through the proxy, each under its own policy;
	// the authorizer's last-use write (logged, not returned, on failure)
	// was allowed by its conditional grant.
	var calls []string
	for _, d := range proxy.Decisions() {
		if d.Allowed {
			calls = append(calls, d.Function+" "+d.Action)
		}
	}
	for _, want := range []string{"CreateTokenFunction dynamodb:GetItem", "CreateTokenFunction dynamodb:PutItem", "AuthorizerFunction dynamodb:GetItem", "AuthorizerFunction dynamodb:UpdateItem"} {
		if !slices.Contains(calls, want) {
			t.Errorf("no allowed %s in %v", want, calls)
		}
	}
}
