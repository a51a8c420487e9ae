package apigw_test

import (
	"os"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/apigw"
	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/testenv"
)

// Checked after the whole suite: no table item and no log line holds any
// part of a token.
var ledger localstack.Ledger

func TestMain(m *testing.M) { os.Exit(ledger.Main(m)) }

type env struct {
	*testenv.Env
	count   *testenv.Counting
	authz   *authz.Authorizer
	handler *apigw.Handler
}

var alice = pat.Identity{UserID: "user-alice", Email: "alice@example.com", Permissions: []string{"crm:read", "crm:update", "orders:read"}}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{Env: testenv.New(t, &ledger)}
	e.Clock.Set(time.Now().UTC().Truncate(time.Second)) // real time: DynamoDB Local applies TTL
	e.count = &testenv.Counting{AuthAPI: e.DB}
	e.useDB(t, e.count)
	return e
}

// useDB points the authorizer at a client (the real one, or a failing one).
func (e *env) useDB(t testing.TB, db dynamo.AuthAPI) {
	t.Helper()
	e.authz = e.Authorizer(t, e.AuthorizerConfig(), db)
	e.handler = apigw.New(e.authz)
}

// request is one API call in both event versions.
type request struct {
	header       string // "" sends no Authorization header
	method, path string
	stage        string // HTTP API stage; "" is $default
	queryToken   string // a token in the query string (access_token), which is refused
	twoHeaders   bool
}

func (e *env) restEvent(t testing.TB, r request) events.APIGatewayCustomAuthorizerRequestTypeRequest {
	ev := localstack.Event[events.APIGatewayCustomAuthorizerRequestTypeRequest](t, "authorizer-rest")
	delete(ev.Headers, "Authorization")
	delete(ev.MultiValueHeaders, "Authorization")
	if r.header != "" {
		ev.Headers["Authorization"] = r.header
		ev.MultiValueHeaders["Authorization"] = []string{r.header}
		if r.twoHeaders {
			ev.MultiValueHeaders["Authorization"] = []string{r.header, r.header}
		}
	}
	if r.queryToken != "" {
		ev.QueryStringParameters["access_token"] = r.queryToken
	}
	ev.HTTPMethod, ev.Path, ev.RequestContext.Path = r.method, r.path, "/demo"+r.path
	ev.MethodArn = "arn:aws:execute-api:eu-central-1:123456789012:abc123/demo/" + r.method + r.path
	return ev
}

func (e *env) httpEvent(t testing.TB, r request) events.APIGatewayV2CustomAuthorizerV2Request {
	ev := localstack.Event[events.APIGatewayV2CustomAuthorizerV2Request](t, "authorizer-http")
	delete(ev.Headers, "authorization")
	ev.IdentitySource = nil
	if r.header != "" {
		ev.Headers["authorization"] = r.header
		if r.twoHeaders {
			ev.Headers["authorization"] = r.header + "," + r.header
		}
		ev.IdentitySource = []string{ev.Headers["authorization"]}
	}
	if r.queryToken != "" {
		ev.QueryStringParameters["access_token"] = r.queryToken
	}
	ev.RequestContext.HTTP.Method, ev.RawPath, ev.RequestContext.HTTP.Path = r.method, r.path, r.path
	if r.stage != "" {
		ev.RequestContext.Stage, ev.RawPath, ev.RequestContext.HTTP.Path = r.stage, "/"+r.stage+r.path, "/"+r.stage+r.path
	}
	return ev
}
