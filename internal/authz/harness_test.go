package authz_test

import (
	"context"
	"testing"
	"time"

	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/testenv"
)

// env is one test's service on fresh tables and the authorizer on the
// same tables, wired as its function wires it, through a client that
// counts what the authorizer asks of DynamoDB.
type env struct {
	*testenv.Env
	count *testenv.Counting
	authz *authz.Authorizer
}

var (
	root  = pat.Identity{UserID: "user-root", Email: "root@example.com", Admin: true}
	alice = pat.Identity{UserID: "user-alice", Email: "alice@example.com", Permissions: []string{"crm:read", "crm:update", "orders:read"}}
)

func newEnv(tb testing.TB) *env {
	tb.Helper()
	e := &env{Env: testenv.New(tb, &ledger)}
	e.Clock.Set(time.Now().UTC().Truncate(time.Second)) // real time: DynamoDB Local applies TTL
	e.count = &testenv.Counting{AuthAPI: e.DB}
	e.authz = e.Authorizer(tb, e.AuthorizerConfig(), e.count)
	return e
}

// decide is the authorizer's decision on a request with secret.
func (e *env) decide(t *testing.T, secret, method, path string) authz.Decision {
	t.Helper()
	d, err := e.authz.Decide(context.Background(), authz.Request{Authorization: "Bearer " + secret, Method: method, Path: path})
	if err != nil {
		t.Fatal(err)
	}
	return d
}
