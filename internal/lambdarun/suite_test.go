package lambdarun_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/patservice/pat/internal/app"
	"github.com/patservice/pat/internal/cursorkey"
	"github.com/patservice/pat/internal/httpapi"
	"github.com/patservice/pat/internal/iamcheck"
	"github.com/patservice/pat/internal/lambdarun"
	"github.com/patservice/pat/internal/localgw"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/samstack"
	"github.com/patservice/pat/internal/testenv"
)

// Every token the functions handed out, every table they used and every
// line they logged: after the suite, no table item and no log line may
// hold a secret (the real logger's lines, not a test logger's).
var ledger localstack.Ledger

var bootstraps struct {
	once sync.Once
	dir  string
	err  error
	took time.Duration
}

func TestMain(m *testing.M) {
	code := ledger.Main(m)
	if bootstraps.dir != "" {
		os.RemoveAll(bootstraps.dir)
	}
	os.Exit(code)
}

// suite is what every function's run shares: the emulator, the
// bootstraps (built once per test run) and the transformed template.
type suite struct {
	root, rie, bin string
	version        string // the VERSION file's, which make bootstraps stamps in
	transformed    samstack.Templates
	doc            *openapi3.T
}

func newSuite(t *testing.T) *suite {
	t.Helper()
	localstack.Client(t) // skips without the local stack
	s := &suite{root: localstack.RepoRoot(t), rie: os.Getenv("PAT_LAMBDA_RIE")}
	if s.rie == "" {
		t.Fatal("PAT_LAMBDA_RIE is not set: run the tests through infra/stack.sh (make test), which installs AWS's Lambda Runtime Interface Emulator")
	}
	bootstraps.once.Do(func() {
		start := time.Now()
		if bootstraps.dir, bootstraps.err = os.MkdirTemp("", "pat-bootstraps-"); bootstraps.err == nil {
			bootstraps.err = lambdarun.Build(s.root, bootstraps.dir)
		}
		bootstraps.took = time.Since(start)
	})
	if bootstraps.err != nil {
		t.Fatal(bootstraps.err)
	}
	s.bin = bootstraps.dir
	raw, err := os.ReadFile(filepath.Join(s.root, "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	s.version = strings.TrimSpace(string(raw))
	if s.transformed, err = samstack.Transform(s.root); err != nil {
		t.Fatal(err)
	}
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.FileBodyDecoder)
	if s.doc, err = openapi3.NewLoader().LoadFromFile(filepath.Join(s.root, "openapi.yaml")); err != nil {
		t.Fatal(err)
	}
	return s
}

// params are the template parameters of the local deployment: MailFrom
// has no default; everything else is as deployed by default.
var params = map[string]string{"MailFrom": "tokens@example.com"}

// stack resolves the template for a deployment on the given tables and
// cursor key's secret (its ARN: the Ref of CursorKeySecret), with more
// parameter values if given.
func (s *suite) stack(t testing.TB, tables localstack.Tables, cursorSecret string, more ...map[string]string) *samstack.Stack {
	t.Helper()
	values := maps.Clone(params)
	for _, m := range more {
		maps.Copy(values, m)
	}
	st, err := samstack.Parse(s.transformed, samstack.Local{
		Params: values,
		Names:  map[string]string{"TokensTable": tables.Tokens, "AuditTable": tables.Audit, "CursorKeySecret": cursorSecret},
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// newSecret creates a cursor key's secret in moto's Secrets Manager
// (started by infra/stack.sh), as the stack creates CursorKeySecret, and
// returns its ARN.
func newSecret(t testing.TB) string {
	t.Helper()
	out, err := secrets(t).CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name: aws.String("pat-cursor-key-" + rand.Text()[:10]), SecretString: aws.String(cursorKey())})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ARN)
}

// rotateSecret puts a new value in the secret, as the operations guide
// rotates the cursor key: Secrets Manager moves AWSCURRENT to it and
// AWSPREVIOUS to the value before. It returns the new value.
func rotateSecret(t testing.TB, arn string) (key string) {
	t.Helper()
	key = cursorKey()
	if _, err := secrets(t).PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(arn), SecretString: aws.String(key)}); err != nil {
		t.Fatal(err)
	}
	return key
}

// secrets is the test's own client of moto's Secrets Manager (not through
// the IAM check).
func secrets(t testing.TB) *secretsmanager.Client {
	t.Helper()
	if os.Getenv("AWS_ENDPOINT_URL_SECRETS_MANAGER") == "" {
		t.Fatal("AWS_ENDPOINT_URL_SECRETS_MANAGER is not set: run the tests through infra/stack.sh, which starts moto's Secrets Manager")
	}
	sm, err := cursorkey.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	return sm
}

// cursorKey is what Secrets Manager generates for CursorKeySecret: 64
// letters and digits.
func cursorKey() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 64)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func function(t testing.TB, st *samstack.Stack, dir string) samstack.Function {
	t.Helper()
	fns, err := st.Functions()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fns {
		if f.Dir == dir {
			return f
		}
	}
	t.Fatalf("template.yaml has no function built from functions/%s", dir)
	return samstack.Function{}
}

// logs collects the lines every run wrote, by log group: what the alarm
// trace reads.
var logs struct {
	sync.Mutex
	byGroup map[string][]string
}

// start runs a function of st under the emulator, against the given
// endpoints (DynamoDB, SES, Secrets Manager), until the test ends; its lines go to the ledger and to the
// log groups the alarm trace reads.
func (s *suite) start(t testing.TB, st *samstack.Stack, fn samstack.Function, dynamoURL, sesURL, secretsURL string) *lambdarun.Emulator {
	t.Helper()
	e, err := lambdarun.Start(lambdarun.Config{
		RIE: s.rie, Bootstrap: lambdarun.Bootstrap(s.bin, fn.Dir), Function: fn, Name: fn.Name,
		Region: st.Local.Region, DynamoDBURL: dynamoURL, SESURL: sesURL, SecretsManagerURL: secretsURL, Output: &ledger.Logs,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.Close()
		logs.Lock()
		defer logs.Unlock()
		if logs.byGroup == nil {
			logs.byGroup = map[string][]string{}
		}
		for _, l := range e.Lines() {
			logs.byGroup[fn.LogGroup] = append(logs.byGroup[fn.LogGroup], l.Text)
		}
	})
	return e
}

// grants counts, per function, the worlds that ran it and, per grant of
// its policy, the worlds whose runs did not use it: a grant no world used
// is one no test needs (least privilege, seen from the calls).
var grants = struct {
	sync.Mutex
	worlds map[string]int
	unused map[string]int
}{worlds: map[string]int{}, unused: map[string]int{}}

// unusedGrants returns the grants no world used.
func unusedGrants() []string {
	grants.Lock()
	defer grants.Unlock()
	var out []string
	for key, n := range grants.unused {
		fn, _, _ := strings.Cut(key, " ")
		if n == grants.worlds[fn] {
			out = append(out, key)
		}
	}
	slices.Sort(out)
	return out
}

// world is one function's deployment: fresh tables, the template resolved
// for them, the service on them in-process (to seed what the samples
// need) and the function under the emulator.
type world struct {
	*testenv.Env
	s     *suite
	stack *samstack.Stack
	fn    samstack.Function
	api   *httpapi.API
	e     *lambdarun.Emulator
	// secret is the ARN of the world's cursor key secret in moto.
	secret string
	// iam is the IAM check the function runs behind (run).
	iam *iamcheck.Proxy
	// mail is the SES endpoint the function calls: the emulator behind a
	// proxy that refuses as SES refuses, when told to.
	mail *localstack.SESProxy
	// subst replaces the samples' placeholders with what was seeded.
	subst map[string]string
}

func (s *suite) world(t *testing.T, dir string, params ...map[string]string) *world {
	t.Helper()
	w := &world{Env: testenv.New(t, &ledger), s: s, subst: map[string]string{}}
	w.secret = newSecret(t)
	w.stack = s.stack(t, w.Tables, w.secret, params...)
	w.fn = function(t, w.stack, dir)
	api, err := app.NewManagement(w.Config, w.DB, nil, w.Log)
	if err != nil {
		t.Fatal(err)
	}
	w.api = api
	w.mail = localstack.NewSESProxy(t)
	return w
}

// run starts the world's function against DynamoDB Local, the SES
// emulator (through its proxy) and moto's Secrets Manager, all behind the
// IAM check: a
// call the function's policy in the template does not allow is refused
// as AWS refuses it, and fails the test.
func (w *world) run(t *testing.T) {
	t.Helper()
	iam := iamcheck.Start(t, w.stack, os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"), w.mail.URL)
	if err := iam.ProxySecretsManager(os.Getenv("AWS_ENDPOINT_URL_SECRETS_MANAGER")); err != nil {
		t.Fatal(err)
	}
	w.iam = iam
	t.Cleanup(func() {
		grants.Lock()
		defer grants.Unlock()
		grants.worlds[w.fn.LogicalID]++
		for _, u := range iam.Unused() {
			if u.Function == w.fn.LogicalID {
				// The same grant in every world: tables by logical id.
				key := strings.NewReplacer(w.Tables.Tokens, "TokensTable", w.Tables.Audit, "AuditTable", w.secret, "CursorKeySecret").Replace(u.String())
				grants.unused[key]++
			}
		}
	})
	w.e = w.s.start(t, w.stack, w.fn, iam.DynamoDBURL, iam.SESURL, iam.SecretsManagerURL)
}

// seed calls a management route in-process with a sample event, as the
// seeding step of a function that needs data: the same code the
// functions run, with the sample's identity.
func (w *world) seed(t *testing.T, function string, edits ...edit) map[string]any {
	t.Helper()
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(w.event(t, function, edits...), &ev); err != nil {
		t.Fatal(err)
	}
	for _, r := range w.api.Routes() {
		if r.Function != function {
			continue
		}
		resp, err := localgw.Invoke[events.APIGatewayV2HTTPResponse](context.Background(), r.Handler, ev)
		if err != nil || resp.StatusCode >= 300 {
			t.Fatalf("seeding with %s: %v %d %s", function, err, resp.StatusCode, resp.Body)
		}
		var body map[string]any
		_ = json.Unmarshal([]byte(resp.Body), &body)
		if tok, ok := body["token"].(string); ok {
			w.AddToken(tok)
		}
		return body
	}
	t.Fatalf("no route of function %s", function)
	return nil
}

// An edit changes a sample event (decoded as JSON) before it is sent.
type edit func(ev map[string]any)

// event reads events/<name>.json, replaces the placeholders with what was
// seeded and applies the edits.
func (w *world) event(t testing.TB, name string, edits ...edit) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(w.s.root, "events", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("events/%s.json: %v", name, err)
	}
	for _, e := range edits {
		e(ev)
	}
	out, _ := json.Marshal(ev)
	// After the edits, which may name placeholders too. The longest
	// first: pat_REPLACEDBYTHETEST holds REPLACEDBYTHETEST.
	text := string(out)
	for _, k := range []string{withoutSelfRotate, replacementSecret, replacedSecret, "pat_REPLACEDBYTHETEST", "REPLACEDBYTHETEST", sampleTokenID, "OWNER_TAG"} {
		if v, ok := w.subst[k]; ok {
			text = strings.ReplaceAll(text, k, v)
		}
	}
	return []byte(text)
}

// sampleTokenID is the token id the samples use.
const sampleTokenID = "Ab3dE5fG7hJ9Ab3dE5fG7hJ9kLm2N"

// as replaces the caller's JWT claims (as API Gateway passes them: array
// claims flattened to "[a b]").
func as(claims map[string]any) edit {
	return func(ev map[string]any) {
		rc := ev["requestContext"].(map[string]any)
		rc["authorizer"] = map[string]any{"jwt": map[string]any{"claims": claims, "scopes": nil}}
	}
}

// Identities of the samples (alice, root) and another user.
var (
	bob      = map[string]any{"sub": "user-bob", "email": "bob@example.com", "permissions": "[crm:read]", "iss": "https://login.example.com/", "aud": "pat-console"}
	aliceJWT = map[string]any{"sub": "user-alice", "email": "alice@example.com", "permissions": "[crm:* orders:read]", "iss": "https://login.example.com/", "aud": "pat-console"}
)

// anonymous removes the JWT authorizer's claims: a route the authorizer
// did not run for, or a misconfigured one.
func anonymous(ev map[string]any) { delete(ev["requestContext"].(map[string]any), "authorizer") }

func body(s string) edit { return func(ev map[string]any) { ev["body"] = s } }

func set(key string, v any) edit { return func(ev map[string]any) { ev[key] = v } }

// query gives a sample these query parameters (values may be the
// samples' placeholders), as API Gateway passes them.
func query(params map[string]string) edit {
	return func(ev map[string]any) {
		qs, raw := map[string]any{}, url.Values{}
		for k, v := range params {
			qs[k] = v
			raw.Set(k, v)
		}
		ev["queryStringParameters"], ev["rawQueryString"] = qs, raw.Encode()
	}
}

// invoke sends an event and fails the test if the runtime could not
// complete it (a failed cold start: with its reason).
func (w *world) invoke(t *testing.T, event []byte) *lambdarun.Invocation {
	t.Helper()
	inv, err := w.e.Invoke(context.Background(), event)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// response is a management function's answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	return m
}

// call invokes a management function (an HTTP API event) and checks its
// answer against openapi.yaml for the event's route.
func (w *world) call(t *testing.T, event []byte) response {
	t.Helper()
	inv := w.invoke(t, event)
	if inv.FunctionError != "" {
		t.Fatalf("%s returned an error, which API Gateway answers with 500: %s", w.fn.LogicalID, inv.FunctionError)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := inv.Decode(&resp); err != nil {
		t.Fatal(err)
	}
	r := response{Status: resp.StatusCode, Header: http.Header{}, Body: []byte(resp.Body)}
	for k, v := range resp.Headers {
		r.Header.Set(k, v)
	}
	if tok, ok := r.json()["token"].(string); ok {
		w.AddToken(tok)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(event, &ev); err != nil {
		t.Fatal(err)
	}
	if err := w.s.validate(ev, r); err != nil {
		t.Fatalf("%s answered %d, which openapi.yaml does not allow: %v\n%s", ev.RouteKey, r.Status, err, r.Body)
	}
	return r
}

// validate checks a response against openapi.yaml; routes it does not
// describe (the console's pages) are not checked.
func (s *suite) validate(ev events.APIGatewayV2HTTPRequest, r response) error {
	method, path, _ := strings.Cut(ev.RouteKey, " ")
	item := s.doc.Paths.Find(path)
	if item == nil || item.GetOperation(method) == nil {
		return nil
	}
	req := httptest.NewRequest(method, ev.RawPath, nil)
	in := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: ev.PathParameters,
		Route:      &routers.Route{Spec: s.doc, Path: path, PathItem: item, Method: method, Operation: item.GetOperation(method)},
	}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 r.Status,
		Header:                 r.Header,
		Body:                   io.NopCloser(bytes.NewReader(r.Body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	})
}

// want checks a response's status and, for a problem, its code.
func want(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if code == "" {
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	if got := r.json()["code"]; got != code {
		t.Fatalf("problem code %v, want %s: %s", got, code, r.Body)
	}
}
