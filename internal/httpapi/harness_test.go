package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/patservice/pat/internal/app"
	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/httpapi"
	"github.com/patservice/pat/internal/localgw"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/sesmail"
	"github.com/patservice/pat/internal/testenv"
)

// Every token any test here was given, every table it used and every log
// line it wrote: checked after the whole suite.
var ledger localstack.Ledger

func TestMain(m *testing.M) { os.Exit(ledger.Main(m)) }

type harness struct {
	*testenv.Env
	api    *httpapi.API
	cfg    config.Config // what api is built from
	routes map[string]httpapi.Route
	doc    *openapi3.T
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{Env: testenv.New(t, &ledger), doc: mustOpenAPI(t)}
	h.use(t, h.Tables)
	return h
}

// use points the API at the given tables.
func (h *harness) use(t *testing.T, tables localstack.Tables) {
	t.Helper()
	h.cfg = h.Config
	h.cfg.TokensTable, h.cfg.AuditTable = tables.Tokens, tables.Audit
	h.build(t, h.DB, nil)
}

// build serves the API from the harness's configuration on a DynamoDB
// client (the real one, or one that fails) and an optional SES client.
func (h *harness) build(t *testing.T, db dynamo.API, mail sesmail.API) {
	t.Helper()
	api, err := app.NewManagement(h.cfg, db, mail, h.Log)
	if err != nil {
		t.Fatal(err)
	}
	h.api, h.routes = api, map[string]httpapi.Route{}
	for _, r := range api.Routes() {
		h.routes[fixtureName(api.Routes(), r)] = r
	}
}

var (
	openAPIOnce sync.Once
	openAPIDoc  *openapi3.T
	openAPIErr  error
)

func mustOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	openAPIOnce.Do(func() {
		// Pages (the keep link's, the problem types') are text for a person.
		openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.FileBodyDecoder)
		loader := openapi3.NewLoader()
		openAPIDoc, openAPIErr = loader.LoadFromFile(filepath.Join(localstack.RepoRoot(t), "openapi.yaml"))
		if openAPIErr == nil {
			openAPIErr = openAPIDoc.Validate(context.Background())
		}
	})
	if openAPIErr != nil {
		t.Fatalf("openapi.yaml: %v", openAPIErr)
	}
	return openAPIDoc
}

// fixtureName is the sample event of a route: events/<function>.json, or
// events/<function>-<method>.json for a function that serves several routes.
func fixtureName(routes []httpapi.Route, r httpapi.Route) string {
	n := 0
	for _, other := range routes {
		if other.Function == r.Function {
			n++
		}
	}
	if n > 1 {
		return r.Function + "-" + strings.ToLower(r.Method)
	}
	return r.Function
}

// An edit adjusts a fixture before it is sent.
type edit func(*events.APIGatewayV2HTTPRequest)

func as(user, permissions string) edit {
	return func(ev *events.APIGatewayV2HTTPRequest) {
		ev.RequestContext.Authorizer.JWT.Claims = map[string]string{"sub": user, "email": user + "@example.com", "permissions": "[" + permissions + "]"}
	}
}

func onToken(id string) edit {
	return func(ev *events.APIGatewayV2HTTPRequest) {
		ev.PathParameters["id"] = id
		ev.RawPath = strings.Replace(ev.RawPath, "Ab3dE5fG7hJ9Ab3dE5fG7hJ9kLm2N", id, 1)
	}
}

func body(s string) edit { return func(ev *events.APIGatewayV2HTTPRequest) { ev.Body = s } }

func query(kv ...string) edit {
	return func(ev *events.APIGatewayV2HTTPRequest) {
		ev.QueryStringParameters = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			ev.QueryStringParameters[kv[i]] = kv[i+1]
		}
	}
}

type result struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r result) code() string {
	var p httpapi.Problem
	_ = json.Unmarshal(r.Body, &p)
	return string(p.Code)
}

// call sends a function's sample event, edited, through the Lambda JSON
// path, checks the response against openapi.yaml and records any token.
func (h *harness) call(t *testing.T, function string, edits ...edit) result {
	t.Helper()
	ev := localstack.Event[events.APIGatewayV2HTTPRequest](t, function)
	for _, e := range edits {
		e(&ev)
	}
	route := h.routes[function]
	resp, err := localgw.Invoke[events.APIGatewayV2HTTPResponse](context.Background(), route.Handler, ev)
	if err != nil {
		t.Fatalf("%s: %v", function, err)
	}
	res := result{Status: resp.StatusCode, Header: http.Header{}, Body: []byte(resp.Body)}
	for k, v := range resp.Headers {
		res.Header.Set(k, v)
	}
	if tok, ok := res.fields()["token"].(string); ok {
		ledger.AddToken(tok)
	}
	if err := h.validate(ev, route, res); err != nil {
		t.Fatalf("%s %s answered %d, which openapi.yaml does not allow: %v\n%s", route.Method, route.Path, res.Status, err, res.Body)
	}
	return res
}

// fields decodes a JSON object response (nil for anything else).
func (r result) fields() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	return m
}

func (h *harness) validate(ev events.APIGatewayV2HTTPRequest, route httpapi.Route, res result) error {
	item := h.doc.Paths.Find(route.Path)
	if item == nil {
		return fmt.Errorf("no path %s", route.Path)
	}
	op := item.GetOperation(route.Method)
	if op == nil {
		return fmt.Errorf("no operation %s", route.Method)
	}
	req := httptest.NewRequest(route.Method, ev.RawPath, nil)
	in := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: ev.PathParameters,
		Route:      &routers.Route{Spec: h.doc, Path: route.Path, PathItem: item, Method: route.Method, Operation: op},
	}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 res.Status,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(res.Body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	})
}
