package samstack_test

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/patservice/pat/internal/samstack"
)

func root(tb testing.TB) string {
	tb.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func mustLoad(tb testing.TB, local samstack.Local) *samstack.Stack {
	tb.Helper()
	s, err := samstack.Load(root(tb), local)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

var local = samstack.Local{
	Names:   map[string]string{"TokensTable": "tokens-1", "AuditTable": "audit-1", "CursorKeySecret": "cursor-secret"},
	Secrets: map[string]string{"cursor-secret": "k3y"},
	Params:  map[string]string{"MailFrom": "pat@example.com"},
}

// Every function directory is a function of the transformed template, and
// each is resolved completely: environment, sizes, logging, policy.
func TestFunctionsAreTheTemplatesResolved(t *testing.T) {
	s := mustLoad(t, local)
	fns, err := s.Functions()
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := os.ReadDir(filepath.Join(root(t), "functions"))
	if err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for _, d := range dirs {
		want = append(want, d.Name())
	}
	byDir := map[string]samstack.Function{}
	for _, f := range fns {
		got = append(got, f.Dir)
		byDir[f.Dir] = f
		if samstack.LogicalID(f.Dir) != f.LogicalID {
			t.Errorf("%s: directory %s maps back to %s", f.LogicalID, f.Dir, samstack.LogicalID(f.Dir))
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("functions of the template %v, directories %v", got, want)
	}

	create := byDir["create-token"]
	if create.Env["TABLE_NAME"] != "tokens-1" || create.Env["AUDIT_TABLE_NAME"] != "audit-1" || create.Env["MAIL_FROM"] != "pat@example.com" {
		t.Errorf("create-token environment: tables and parameters not resolved: %v", create.Env)
	}
	if create.Env["CURSOR_KEY_SECRET_ARN"] != "cursor-secret" {
		t.Errorf("create-token CURSOR_KEY_SECRET_ARN = %q, want the secret's Ref", create.Env["CURSOR_KEY_SECRET_ARN"])
	}
	// The cursor key is read from Secrets Manager at run time, never put
	// in a function's configuration (where anyone who may read the
	// function reads it, and a new value needs a deploy): a dynamic
	// reference to the secret would resolve to its value here.
	for _, f := range fns {
		for k, v := range f.Env {
			if strings.Contains(v, "k3y") {
				t.Errorf("%s: %s holds the cursor key's value", f.LogicalID, k)
			}
		}
	}
	if create.LogFormat != "JSON" || create.MemoryMB != 256 || create.TimeoutSeconds != 10 {
		t.Errorf("create-token: log format %q, memory %d, timeout %d: Globals not applied", create.LogFormat, create.MemoryMB, create.TimeoutSeconds)
	}
	if len(create.Statements) < 2 || create.Statements[0].Resources[0] != "cursor-secret" || create.Statements[1].Resources[0] != "arn:aws:dynamodb:us-east-1:000000000000:table/tokens-1" {
		t.Errorf("create-token statements: %+v", create.Statements)
	}
	auth := byDir["authorizer"]
	if _, ok := auth.Env["CURSOR_KEY_SECRET_ARN"]; auth.MemoryMB != 128 || ok || auth.Env["TABLE_NAME"] != "tokens-1" {
		t.Errorf("authorizer: memory %d, environment %v", auth.MemoryMB, auth.Env)
	}
	var cond []string
	for _, st := range auth.Statements {
		cond = append(cond, st.Condition["ForAllValues:StringEquals"]["dynamodb:Attributes"]...)
	}
	if !slices.Contains(cond, "lastUsedAt") {
		t.Errorf("authorizer conditions not read: %+v", auth.Statements)
	}
}

func TestDirAndLogicalID(t *testing.T) {
	for dir, id := range map[string]string{"create-token": "CreateTokenFunction", "authorizer": "AuthorizerFunction", "admin-get-user": "AdminGetUserFunction"} {
		if got := samstack.LogicalID(dir); got != id {
			t.Errorf("LogicalID(%s) = %s", dir, got)
		}
		if got := samstack.Dir(id); got != dir {
			t.Errorf("Dir(%s) = %s", id, got)
		}
	}
	if samstack.Dir("ConsoleClientSettings") != "" {
		t.Error("a logical id without Function is no function directory")
	}
}

// Parameters flow from template.yaml into the stacks it nests, outputs
// back; a nested stack whose Condition is false creates nothing, and
// nothing may refer to what it would have created.
func TestNestedStacks(t *testing.T) {
	withPool := mustLoad(t, local)
	names := map[string]bool{}
	for _, st := range withPool.Stacks() {
		names[st.File] = st.Deployed()
	}
	if !names["template.yaml"] || !names["templates/data.yaml"] || !names["templates/sign-in.yaml"] {
		t.Fatalf("stacks: %v", names)
	}
	if st, ok := withPool.Find("TokensTable"); !ok || st.File != "templates/data.yaml" {
		t.Errorf("TokensTable found in %v", st)
	}
	out, err := withPool.Resolve(map[string]any{"Fn::GetAtt": []any{"DataStack", "Outputs.TokensTableArn"}})
	if err != nil || out != "arn:aws:dynamodb:us-east-1:000000000000:table/tokens-1" {
		t.Errorf("DataStack.Outputs.TokensTableArn = %v, %v", out, err)
	}

	issuer := local
	issuer.Params = map[string]string{"MailFrom": "pat@example.com", "CreateUserPool": "false", "JwtIssuer": "https://login.example.com/",
		"JwtAudience": "console", "OidcAuthorizeUrl": "https://login.example.com/authorize", "OidcTokenUrl": "https://login.example.com/token"}
	noPool := mustLoad(t, issuer)
	signIn, _ := noPool.Find("UserPool")
	if signIn.Deployed() || signIn.Has("UserPool") {
		t.Error("CreateUserPool=false: the sign-in stack is created")
	}
	if _, err := noPool.Resolve(map[string]any{"Fn::GetAtt": []any{"SignInStack", "Outputs.UserPool"}}); err == nil {
		t.Error("an output of a stack that is not created resolved")
	}
	fns, err := noPool.Functions()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fns {
		if f.Dir == "console" && (f.Env["OIDC_ISSUER"] != "https://login.example.com/" || f.Env["OIDC_CLIENT_ID"] != "console") {
			t.Errorf("console with an existing issuer: %v", f.Env)
		}
	}
}

// A dynamic reference to a secret resolves to Local.Secrets' value, as
// CloudFormation resolves it at deploy time; one to an unknown secret is
// an error.
func TestDynamicReference(t *testing.T) {
	s := mustLoad(t, local)
	if v, err := s.Resolve("key={{resolve:secretsmanager:cursor-secret:SecretString}}"); err != nil || v != "key=k3y" {
		t.Errorf("resolved %v, %v", v, err)
	}
	if _, err := s.Resolve("{{resolve:secretsmanager:other:SecretString}}"); err == nil {
		t.Error("a reference to a secret not in Local.Secrets resolved")
	}
}
