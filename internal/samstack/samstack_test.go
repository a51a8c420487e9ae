package samstack_test

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
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
	if create.Env["CURSOR_KEY"] != "k3y" {
		t.Errorf("create-token CURSOR_KEY = %q, want the secret's value", create.Env["CURSOR_KEY"])
	}
	if create.LogFormat != "JSON" || create.MemoryMB != 256 || create.TimeoutSeconds != 10 {
		t.Errorf("create-token: log format %q, memory %d, timeout %d: Globals not applied", create.LogFormat, create.MemoryMB, create.TimeoutSeconds)
	}
	if len(create.Statements) == 0 || create.Statements[0].Resources[0] != "arn:aws:dynamodb:us-east-1:000000000000:table/tokens-1" {
		t.Errorf("create-token statements: %+v", create.Statements)
	}
	auth := byDir["authorizer"]
	if auth.MemoryMB != 128 || auth.Env["CURSOR_KEY"] != "" {
		t.Errorf("authorizer: memory %d, CURSOR_KEY %q", auth.MemoryMB, auth.Env["CURSOR_KEY"])
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
