package lambdarun_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/lambdarun"
	"github.com/patservice/pat/internal/lambdarun/cloudwatch"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/token"
)

// A case is what one function's run does: seed what its samples need,
// then invoke it with each sample and at least one refusal, checking each
// answer.
type fnCase struct {
	seed func(t *testing.T, w *world)
	runs []run
	// params are template parameters of the function's world, beside
	// the suite's (nil: none).
	params func(t *testing.T) map[string]string
}

type run struct {
	name   string
	sample string // events/<sample>.json
	raw    []byte // the event, when it is no sample
	edits  []edit
	http   bool // a management route: the answer is an HTTP API response, checked against openapi.yaml
	// refusal says the run is a refusal case (bad input, wrong user,
	// no identity, ...), not a sample as it is.
	refusal bool
	check   func(t *testing.T, w *world, inv invocation)
}

// invocation is what a check gets: the raw answer and, for the
// management functions, the decoded response.
type invocation struct {
	event []byte
	out   *lambdarun.Invocation
	resp  response // for the management routes
}

// seedToken creates alice's token through create-token's sample (in
// process): the id and secret every sample naming a token gets.
func seedToken(t *testing.T, w *world) {
	created := w.seed(t, "create-token")
	w.subst[sampleTokenID] = created["id"].(string)
	w.subst["pat_REPLACEDBYTHETEST"] = created["token"].(string)
}

// The replaced token and its replacement, by name in w.subst.
const (
	replacedSecret    = "pat_REPLACEDBYAROTATION"
	replacedID        = "REPLACEDTOKENID"
	replacementSecret = "pat_REPLACEMENTOFTHETEST"
)

// seedReplaced seeds the sample's token, and another one rotated without
// overlap, asking that a reuse revoke the replacement.
func seedReplaced(t *testing.T, w *world) {
	seedToken(t, w)
	old := w.seed(t, "create-token")
	next := w.seed(t, "rotate-token", onToken(old["id"].(string)), body(`{"revokeReplacementOnReuse": true}`))
	w.subst[replacedSecret], w.subst[replacedID], w.subst[replacementSecret] = old["token"].(string), old["id"].(string), next["token"].(string)
}

// unauthorized wants an HTTP API authorizer's refusal.
func unauthorized(t *testing.T, w *world, inv invocation) {
	var r events.APIGatewayV2CustomAuthorizerSimpleResponse
	decode(t, inv, &r)
	if r.IsAuthorized {
		t.Fatalf("authorized: %s", inv.out.Payload)
	}
}

// api is a run of a management function: the answer must be status (and
// problem code), valid for openapi.yaml, then pass more.
func api(name, sample string, refusal bool, status int, code string, more func(t *testing.T, w *world, r response), edits ...edit) run {
	return run{name: name, sample: sample, edits: edits, refusal: refusal, http: true, check: func(t *testing.T, w *world, inv invocation) {
		want(t, inv.resp, status, code)
		if more != nil {
			more(t, w, inv.resp)
		}
	}}
}

func sample(fn string, status int, more func(t *testing.T, w *world, r response)) run {
	return api("sample", fn, false, status, "", more)
}

func wrongUser(fn string) run {
	return api("another user's token is not found", fn, true, http.StatusNotFound, "not_found", nil, as(bob))
}

func notAdmin(fn string) run {
	return api("not an administrator", fn, true, http.StatusForbidden, "forbidden", nil, as(aliceJWT))
}

func noIdentity(fn string) run {
	return api("no identity", fn, true, http.StatusUnauthorized, "unauthenticated", nil, anonymous)
}

// field checks a field of a JSON answer.
func field(key string, wantValue any) func(t *testing.T, w *world, r response) {
	return func(t *testing.T, w *world, r response) {
		t.Helper()
		got := r.json()[key]
		if s, ok := wantValue.(string); ok {
			wantValue = w.expand(s)
		}
		if got != wantValue {
			t.Fatalf("%s = %v, want %v: %s", key, got, wantValue, r.Body)
		}
	}
}

// expand replaces the samples' placeholders in s.
func (w *world) expand(s string) string {
	if v, ok := w.subst[s]; ok {
		return v
	}
	return s
}

func newToken(t *testing.T, w *world, r response) {
	t.Helper()
	tok, _ := r.json()["token"].(string)
	if !strings.HasPrefix(tok, "pat_") || r.json()["id"] == nil {
		t.Fatalf("no new token in %s", r.Body)
	}
}

func html(contains string) func(t *testing.T, w *world, r response) {
	return func(t *testing.T, w *world, r response) {
		t.Helper()
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !strings.Contains(string(r.Body), contains) {
			t.Fatalf("Content-Type %q, want a page saying %q: %.300s", ct, contains, r.Body)
		}
	}
}

// cases are every function's runs, by function directory.
var cases = map[string]fnCase{
	"create-token": {runs: []run{
		sample("create-token", http.StatusCreated, newToken),
		api("a scope beyond the owner's permissions", "create-token", true, http.StatusForbidden, "scope_not_permitted", nil,
			body(`{"name":"too much","scopes":["accounting:delete"]}`)),
		noIdentity("create-token"),
	}},
	"list-tokens": {seed: seedToken, runs: []run{
		sample("list-tokens", http.StatusOK, func(t *testing.T, w *world, r response) {
			items, _ := r.json()["items"].([]any)
			if len(items) != 1 || items[0].(map[string]any)["id"] != w.subst[sampleTokenID] {
				t.Fatalf("items %v, want the seeded token", items)
			}
		}),
		noIdentity("list-tokens"),
	}},
	"get-token": {seed: seedToken, runs: []run{
		sample("get-token", http.StatusOK, field("id", sampleTokenID)),
		wrongUser("get-token"),
	}},
	"update-token": {seed: seedToken, runs: []run{
		sample("update-token", http.StatusOK, field("name", "ci deploy (prod)")),
		wrongUser("update-token"),
		api("an unknown field", "update-token", true, http.StatusBadRequest, "invalid_request", nil, body(`{"owner":"user-bob"}`)),
	}},
	"revoke-token": {seed: seedToken, runs: []run{
		wrongUser("revoke-token"),
		sample("revoke-token", http.StatusNoContent, nil),
	}},
	"rotate-token": {seed: seedToken, runs: []run{
		wrongUser("rotate-token"),
		sample("rotate-token", http.StatusCreated, newToken),
	}},
	"get-me": {runs: []run{
		sample("get-me", http.StatusOK, func(t *testing.T, w *world, r response) {
			field("id", "user-alice")(t, w, r)
			field("version", w.s.version)(t, w, r)
		}),
		noIdentity("get-me"),
	}},
	"update-me": {runs: []run{
		sample("update-me", http.StatusOK, field("language", "de")),
		api("a language the service does not speak", "update-me", true, http.StatusBadRequest, "invalid_request", nil, body(`{"language":"fr"}`)),
		noIdentity("update-me"),
	}},
	"list-token-events": {seed: seedToken, runs: []run{
		sample("list-token-events", http.StatusOK, func(t *testing.T, w *world, r response) {
			if items, _ := r.json()["items"].([]any); len(items) == 0 {
				t.Fatalf("no events of the seeded token: %s", r.Body)
			}
		}),
		wrongUser("list-token-events"),
	}},
	"extend-token": {seed: seedToken, runs: []run{
		wrongUser("extend-token"),
		sample("extend-token", http.StatusOK, field("id", sampleTokenID)),
	}},
	"keep-token": {
		seed: func(t *testing.T, w *world) {
			seedToken(t, w)
			tok, err := w.Service.GetToken(context.Background(), pat.Identity{UserID: "user-alice"}, w.subst[sampleTokenID])
			if err != nil {
				t.Fatal(err)
			}
			code, err := w.Service.IssueKeepLink(context.Background(), tok, "inactivity", time.Now().Add(14*24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			w.subst["REPLACEDBYTHETEST"] = code
			w.AddToken(code)
		},
		runs: []run{
			api("sample", "keep-token-get", false, http.StatusOK, "", html("")),
			api("sample", "keep-token-post", false, http.StatusOK, "", html("")),
			api("a link that was used", "keep-token-post", true, http.StatusNotFound, "", nil),
			api("a made-up code", "keep-token-get", true, http.StatusNotFound, "", nil,
				set("rawQueryString", "code=x"), set("queryStringParameters", map[string]any{"code": "x"})),
		},
	},
	"problem-page": {runs: []run{
		sample("problem-page", http.StatusOK, html("token_locked")),
		api("an unknown code", "problem-page", true, http.StatusNotFound, "", nil,
			set("rawPath", "/problems/no_such_code"), set("pathParameters", map[string]any{"code": "no_such_code"})),
	}},
	"console": {runs: []run{
		sample("console", http.StatusOK, html("<html")),
		// Its sign-in settings come from the template's environment.
		api("its configuration", "console", false, http.StatusOK, "", func(t *testing.T, w *world, r response) {
			if id := w.fn.Env["OIDC_CLIENT_ID"]; id == "" || !strings.Contains(string(r.Body), `"`+id+`"`) {
				t.Fatalf("config.json does not name the client %q of the template: %s", id, r.Body)
			}
		}, set("rawPath", "/console/config.json"), set("pathParameters", map[string]any{"proxy": "config.json"})),
		api("an asset it does not have", "console", true, http.StatusNotFound, "", nil,
			set("rawPath", "/console/assets/app.000000000000.js"), set("pathParameters", map[string]any{"proxy": "assets/app.000000000000.js"})),
	}},
	"revoke-all-tokens": {seed: seedToken, runs: []run{
		sample("revoke-all-tokens", http.StatusOK, field("count", 1.0)),
		api("without the confirmation", "revoke-all-tokens", true, http.StatusBadRequest, "confirmation_required", nil, body(`{}`)),
		api("confirmed with another count", "revoke-all-tokens", true, http.StatusConflict, "confirmation_mismatch", nil, body(`{"confirm":2}`)),
		api("confirmed with the preview's count", "revoke-all-tokens", false, http.StatusOK, "", field("complete", true), body(`{"confirm":1}`)),
	}},
	"admin-list-tokens": {seed: seedToken, runs: []run{
		sample("admin-list-tokens", http.StatusOK, func(t *testing.T, w *world, r response) {
			if items, _ := r.json()["items"].([]any); len(items) != 1 {
				t.Fatalf("want the seeded token: %s", r.Body)
			}
		}),
		api("one owner's, through the owner index", "admin-list-tokens", false, http.StatusOK, "", func(t *testing.T, w *world, r response) {
			if items, _ := r.json()["items"].([]any); len(items) != 1 {
				t.Fatalf("want alice's token: %s", r.Body)
			}
		}, query(map[string]string{"owner": "user-alice"})),
		api("one owner's, named by address (the list index)", "admin-list-tokens", false, http.StatusOK, "", func(t *testing.T, w *world, r response) {
			if items, _ := r.json()["items"].([]any); len(items) != 1 {
				t.Fatalf("want alice's token: %s", r.Body)
			}
		}, query(map[string]string{"owner": "ALICE@example.com"})),
		notAdmin("admin-list-tokens"),
	}},
	"admin-get-token": {seed: seedToken, runs: []run{
		sample("admin-get-token", http.StatusOK, field("id", sampleTokenID)),
		notAdmin("admin-get-token"),
	}},
	"admin-lock-token": {seed: seedToken, runs: []run{
		notAdmin("admin-lock-token"),
		sample("admin-lock-token", http.StatusOK, field("status", "locked")),
	}},
	"admin-unlock-token": {
		seed: func(t *testing.T, w *world) {
			seedToken(t, w)
			w.seed(t, "admin-lock-token")
		},
		runs: []run{
			notAdmin("admin-unlock-token"),
			sample("admin-unlock-token", http.StatusOK, field("status", "active")),
		},
	},
	"admin-revoke-token": {seed: seedToken, runs: []run{
		notAdmin("admin-revoke-token"),
		sample("admin-revoke-token", http.StatusNoContent, nil),
	}},
	"admin-revoke-all": {seed: seedToken, runs: []run{
		sample("admin-revoke-all", http.StatusOK, field("count", 1.0)),
		notAdmin("admin-revoke-all"),
		api("confirmed with the preview's count", "admin-revoke-all", false, http.StatusOK, "", field("complete", true),
			body(`{"owner":"user-alice","confirm":1,"reason":"offboarding"}`)),
		api("everyone's, previewed (a consistent scan)", "admin-revoke-all", false, http.StatusOK, "", field("count", 0.0),
			body(`{"everyone":true,"preview":true}`)),
	}},
	"admin-list-users": {seed: seedToken, runs: []run{
		sample("admin-list-users", http.StatusOK, func(t *testing.T, w *world, r response) {
			items, _ := r.json()["items"].([]any)
			if len(items) != 1 || items[0].(map[string]any)["id"] != "user-alice" {
				t.Fatalf("want alice, found by the prefix of her address: %s", r.Body)
			}
		}),
		api("by email, the page's users in one BatchGetItem", "admin-list-users", false, http.StatusOK, "", func(t *testing.T, w *world, r response) {
			if items, _ := r.json()["items"].([]any); len(items) != 1 {
				t.Fatalf("want alice: %s", r.Body)
			}
		}, query(map[string]string{"sort": "email", "prefix": "Alice@"})),
		api("an unknown order", "admin-list-users", true, http.StatusBadRequest, "invalid_request", nil, query(map[string]string{"sort": "age"})),
		notAdmin("admin-list-users"),
	}},
	"admin-get-user": {seed: seedToken, runs: []run{
		sample("admin-get-user", http.StatusOK, field("id", "user-alice")),
		notAdmin("admin-get-user"),
	}},
	"admin-create-token": {seed: seedToken, runs: []run{
		sample("admin-create-token", http.StatusCreated, newToken),
		notAdmin("admin-create-token"),
	}},
	"admin-update-user": {seed: seedToken, runs: []run{
		notAdmin("admin-update-user"),
		sample("admin-update-user", http.StatusOK, field("status", "disabled")),
	}},
	"admin-list-audit": {seed: seedToken, runs: []run{
		sample("admin-list-audit", http.StatusOK, func(t *testing.T, w *world, r response) {
			if items, _ := r.json()["items"].([]any); len(items) == 0 {
				t.Fatalf("no audit records of alice: %s", r.Body)
			}
		}),
		api("one token's trail, from the table itself", "admin-list-audit", false, http.StatusOK, "", func(t *testing.T, w *world, r response) {
			if items, _ := r.json()["items"].([]any); len(items) == 0 {
				t.Fatalf("no audit records of the seeded token: %s", r.Body)
			}
		}, query(map[string]string{"token": sampleTokenID})),
		notAdmin("admin-list-audit"),
	}},
	"authorizer": {seed: seedReplaced, runs: []run{
		{name: "sample", sample: "authorizer-http", check: func(t *testing.T, w *world, inv invocation) {
			var r events.APIGatewayV2CustomAuthorizerSimpleResponse
			decode(t, inv, &r)
			if !r.IsAuthorized || r.Context["userId"] != "user-alice" || r.Context["tokenId"] != w.subst[sampleTokenID] {
				t.Fatalf("HTTP API answer %+v, want alice's token allowed", r)
			}
		}},
		{name: "sample", sample: "authorizer-rest", check: func(t *testing.T, w *world, inv invocation) {
			var r events.APIGatewayCustomAuthorizerResponse
			decode(t, inv, &r)
			if len(r.PolicyDocument.Statement) != 1 || r.PolicyDocument.Statement[0].Effect != "Allow" || r.PrincipalID != "user-alice" {
				t.Fatalf("REST answer %+v, want an Allow policy for alice", r)
			}
		}},
		{name: "a malformed token", sample: "authorizer-http", refusal: true, edits: []edit{bearer("pat_malformed")}, check: func(t *testing.T, w *world, inv invocation) {
			var r events.APIGatewayV2CustomAuthorizerSimpleResponse
			decode(t, inv, &r)
			if r.IsAuthorized {
				t.Fatalf("a malformed token was authorized: %s", inv.out.Payload)
			}
		}},
		{name: "a tampered token", sample: "authorizer-rest", refusal: true, edits: []edit{tamperedBearer}, check: func(t *testing.T, w *world, inv invocation) {
			if inv.out.FunctionError != "errorString: Unauthorized" {
				t.Fatalf("REST answer to a tampered token: %q %s, want the error Unauthorized (401)", inv.out.FunctionError, inv.out.Payload)
			}
		}},
		// A rotated token used after its end: refused, and reported with
		// the mark that revokes its replacement (the rotation asked for
		// it), under the authorizer's policy.
		{name: "a replaced token", sample: "authorizer-http", refusal: true, edits: []edit{bearer(replacedSecret)}, check: func(t *testing.T, w *world, inv invocation) {
			unauthorized(t, w, inv)
			out, err := w.DB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &w.Tables.Tokens,
				Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "TOKEN#" + w.subst[replacedID]}, "sk": &types.AttributeValueMemberS{Value: "TOKEN"}}})
			if err != nil {
				t.Fatal(err)
			}
			if out.Item["reuseReportedAt"] == nil {
				var lines []string
				for _, l := range w.e.Lines() {
					lines = append(lines, l.Text)
				}
				t.Fatalf("the reuse was not reported on the token; the authorizer logged:\n%s", strings.Join(lines, "\n"))
			}
		}},
		{name: "its replacement, revoked by the reuse", sample: "authorizer-http", refusal: true, edits: []edit{bearer(replacementSecret)}, check: unauthorized},
	}},
	"echo": {runs: []run{
		{name: "sample", sample: "echo", check: func(t *testing.T, w *world, inv invocation) {
			var r events.APIGatewayProxyResponse
			decode(t, inv, &r)
			var b map[string]any
			_ = json.Unmarshal([]byte(r.Body), &b)
			if r.StatusCode != http.StatusOK || b["userId"] != "user-alice" || b["path"] != "/api/crm/contacts" {
				t.Fatalf("echo answered %d %s", r.StatusCode, r.Body)
			}
		}},
		{name: "not a REST API event", raw: []byte(`"GET /api"`), refusal: true, check: wantFunctionError("json")},
	}},
	"lifecycle": {seed: seedToken, runs: []run{
		{name: "sample", sample: "lifecycle", check: func(t *testing.T, w *world, inv invocation) {
			var rep map[string]any
			decode(t, inv, &rep)
			if _, ok := rep["itemsRead"]; !ok {
				t.Fatalf("not a run's report: %s", inv.out.Payload)
			}
		}},
		{name: "a trigger without a time", raw: []byte(`{"time":"tomorrow"}`), refusal: true, check: wantFunctionError("time")},
	}},
	"mail-events": {
		seed: func(t *testing.T, w *world) {
			seedToken(t, w)
			w.subst["OWNER_TAG"] = token.OwnerTag("user-alice")
		},
		runs: []run{
			{name: "a mail event that is not JSON", sample: "mail-events", refusal: true, edits: []edit{snsMessage("not json")}, check: func(t *testing.T, w *world, inv invocation) {
				wantNoFunctionError(t, inv)
				if u := user(t, w, "user-alice"); u.Unreachable != nil {
					t.Fatalf("alice was marked unreachable by a message nobody understood: %+v", u)
				}
			}},
			{name: "sample", sample: "mail-events", check: func(t *testing.T, w *world, inv invocation) {
				wantNoFunctionError(t, inv)
				if u := user(t, w, "user-alice"); u.Unreachable == nil {
					t.Fatalf("a permanent bounce did not mark alice unreachable: %+v", u)
				}
			}},
		},
	},
}

func decode(t *testing.T, inv invocation, v any) {
	t.Helper()
	wantNoFunctionError(t, inv)
	if err := inv.out.Decode(v); err != nil {
		t.Fatal(err)
	}
}

func wantNoFunctionError(t *testing.T, inv invocation) {
	t.Helper()
	if inv.out.FunctionError != "" {
		t.Fatalf("the function returned an error: %s", inv.out.FunctionError)
	}
}

// wantFunctionError wants the handler to refuse the event with an error
// that says what was wrong.
func wantFunctionError(says string) func(t *testing.T, w *world, inv invocation) {
	return func(t *testing.T, w *world, inv invocation) {
		t.Helper()
		if !strings.Contains(strings.ToLower(inv.out.FunctionError), says) {
			t.Fatalf("answer %s, want an error about %s", inv.out.Payload, says)
		}
	}
}

// bearer puts another Authorization header into an authorizer event.
func bearer(tok string) edit {
	return func(ev map[string]any) {
		for _, key := range []string{"headers", "multiValueHeaders"} {
			h, _ := ev[key].(map[string]any)
			for k := range h {
				if strings.EqualFold(k, "authorization") {
					if key == "headers" {
						h[k] = "Bearer " + tok
					} else {
						h[k] = []any{"Bearer " + tok}
					}
				}
			}
		}
		if _, ok := ev["identitySource"]; ok {
			ev["identitySource"] = []any{"Bearer " + tok}
		}
	}
}

// tamperedBearer changes the last character of the event's token: the
// right shape, a wrong checksum.
func tamperedBearer(ev map[string]any) {
	h := ev["headers"].(map[string]any)
	tok := strings.TrimPrefix(h["Authorization"].(string), "Bearer ")
	last := "0"
	if strings.HasSuffix(tok, "0") {
		last = "1"
	}
	bearer(tok[:len(tok)-1] + last)(ev)
}

// snsMessage replaces the message of the first SNS record.
func snsMessage(msg string) edit {
	return func(ev map[string]any) {
		ev["Records"].([]any)[0].(map[string]any)["Sns"].(map[string]any)["Message"] = msg
	}
}

func user(t *testing.T, w *world, id string) pat.User {
	t.Helper()
	u, err := w.Service.Store.GetUser(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// samples lists the sample events of a function: events/<dir>.json, or
// events/<dir>-<variant>.json for one that serves several routes.
func samples(t *testing.T, root, dir string) []string {
	t.Helper()
	var out []string
	for _, pattern := range []string{dir + ".json", dir + "-*.json"} {
		m, err := filepath.Glob(filepath.Join(root, "events", pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range m {
			name := strings.TrimSuffix(filepath.Base(p), ".json")
			// authorizer-http belongs to authorizer, not to a function "authorizer-http".
			if _, err := os.Stat(filepath.Join(root, "functions", name)); err == nil && name != dir {
				continue
			}
			out = append(out, name)
		}
	}
	return out
}

// Every function of the template, built as for deployment and run by
// AWS's Lambda Runtime Interface Emulator with the environment the
// template gives it, answers each of its samples and refuses what it must
// refuse; then every alarm's metric is traced to a line those runs wrote.
func TestEveryFunctionUnderTheLambdaRuntime(t *testing.T) {
	s := newSuite(t)
	fns, err := s.stack(t, anyTables, newSecret(t)).Functions()
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := filepath.Glob(filepath.Join(s.root, "functions", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var inTemplate []string
	for _, f := range fns {
		inTemplate = append(inTemplate, f.Dir)
	}
	for _, d := range dirs {
		if !slices.Contains(inTemplate, filepath.Base(d)) {
			t.Errorf("functions/%s is no function of template.yaml", filepath.Base(d))
		}
	}
	for _, dir := range slices.Sorted(maps.Keys(cases)) {
		if !slices.Contains(inTemplate, dir) {
			t.Errorf("a case for functions/%s, which template.yaml does not build", dir)
		}
	}
	start := time.Now()
	t.Run("functions", func(t *testing.T) {
		for _, fn := range fns {
			t.Run(fn.Dir, func(t *testing.T) {
				t.Parallel()
				c, ok := cases[fn.Dir]
				if !ok {
					t.Fatalf("%s has no run under the Lambda runtime: add its case to internal/lambdarun", fn.LogicalID)
				}
				have := samples(t, s.root, fn.Dir)
				if len(have) == 0 {
					t.Fatalf("%s has no sample event in events/", fn.LogicalID)
				}
				var sent, refusals []string
				for _, r := range c.runs {
					if r.refusal {
						refusals = append(refusals, r.name)
					} else if r.sample != "" {
						sent = append(sent, r.sample)
					}
				}
				for _, name := range have {
					if !slices.Contains(sent, name) {
						t.Errorf("events/%s.json is never sent to %s as it is", name, fn.LogicalID)
					}
				}
				if len(refusals) == 0 {
					t.Errorf("%s has no refusal case", fn.LogicalID)
				}
				var more []map[string]string
				if c.params != nil {
					more = append(more, c.params(t))
				}
				w := s.world(t, fn.Dir, more...)
				if c.seed != nil {
					c.seed(t, w)
				}
				w.run(t)
				for _, r := range c.runs {
					t.Run(r.name, func(t *testing.T) {
						event := r.raw
						if event == nil {
							event = w.event(t, r.sample, r.edits...)
						}
						inv := invocation{event: event}
						if r.http {
							inv.resp = w.call(t, event)
						} else {
							inv.out = w.invoke(t, event)
						}
						r.check(t, w, inv)
					})
				}
				coldStartNamesVersion(t, w)
			})
		}
		t.Run("scenarios", func(t *testing.T) {
			for name, sc := range scenarios {
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					sc(t, s)
				})
			}
		})
	})
	t.Logf("bootstraps built in %s; functions and scenarios ran in %s", bootstraps.took.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if t.Failed() {
		return // the trace and the grants read the runs: incomplete runs prove nothing
	}
	// Least privilege from the other side: every grant is used by some
	// run, but those Lambda itself uses with the function's role.
	for _, g := range unusedGrants() {
		if onBehalf(g) {
			t.Logf("a grant Lambda uses, not the code: %s", g)
			continue
		}
		t.Errorf("a grant no run used: %s (remove it from the template, or add the run that needs it)", g)
	}
	traceAlarms(t, s)
}

// onBehalf reports whether a grant is one Lambda uses with the function's
// role rather than the function's code: sending a failed asynchronous
// invocation to its on-failure destination (the lifecycle job's
// dead-letter queue, EventInvokeConfig in template.yaml).
func onBehalf(grant string) bool { return strings.Contains(grant, ": sqs:SendMessage on ") }

// traceAlarms shows every alarm's metric published by a line the runs
// wrote (or, in an AWS namespace, by AWS for a resource of the stack),
// and every EMF line valid.
func traceAlarms(t *testing.T, s *suite) {
	logs.Lock()
	byGroup := maps.Clone(logs.byGroup)
	logs.Unlock()
	for group, lines := range byGroup {
		for _, text := range lines {
			var line map[string]any
			if json.Unmarshal([]byte(text), &line) != nil {
				continue
			}
			if _, err := cloudwatch.EMF(line); err != nil {
				t.Errorf("log group %s: CloudWatch would publish no metric of this line: %v\n%s", group, err, text)
			}
		}
	}
	findings, err := cloudwatch.Trace(s.stack(t, anyTables, newSecret(t)), byGroup)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		if f.Err != nil {
			t.Errorf("alarm %s can never fire: %v", f.Alarm, f.Err)
			continue
		}
		t.Logf("alarm %s: %s is published by %.300s", f.Alarm, f.Metric, f.By)
	}
	// The dashboard draws only what the code or AWS publishes.
	widgets, err := cloudwatch.TraceDashboards(s.stack(t, anyTables, newSecret(t)), byGroup)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range widgets {
		if f.Err != nil {
			t.Errorf("dashboard widget %q draws a metric nothing publishes: %v", f.Alarm, f.Err)
		}
	}
	// Each runbook's Logs Insights query reads fields and messages the
	// functions write, in Lambda's JSON format (docs/operations.md).
	guide, err := os.ReadFile(filepath.Join(localstack.RepoRoot(t), "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range cloudwatch.Runbooks(string(guide)) {
		var lines []map[string]any
		for _, g := range b.LogGroups {
			for _, text := range byGroup[strings.ReplaceAll(g, "<stack>", "pat")] {
				var line map[string]any
				if json.Unmarshal([]byte(text), &line) == nil {
					lines = append(lines, line)
				}
			}
		}
		if b.Query == "" || len(lines) == 0 {
			t.Logf("runbook %s: no query on a log group the runs wrote to", b.Heading)
			continue
		}
		if err := cloudwatch.CheckQuery(b.Query, lines); err != nil {
			t.Errorf("runbook %s: its Logs Insights query does not read what %v hold: %v", b.Heading, b.LogGroups, err)
		}
	}
	// What the runs logged, for the dashboard's picture
	// (go run ./infra/dashboard, docs/operations.md).
	if path := os.Getenv("PAT_RUN_LOGS"); path != "" {
		b, err := json.Marshal(byGroup)
		if err == nil {
			err = os.WriteFile(path, b, 0o644)
		}
		if err != nil {
			t.Errorf("PAT_RUN_LOGS: %v", err)
		}
	}
}

// anyTables name tables for a resolution of the template whose table
// names do not matter (the list of functions, the alarms).
var anyTables = localstack.Tables{Tokens: "tokens", Audit: "audit"}

// coldStartNamesVersion checks that the function's cold-start line names
// the release (VERSION, which make bootstraps stamps in), as operators
// read it in the function's log group.
func coldStartNamesVersion(t *testing.T, w *world) {
	t.Helper()
	for _, l := range w.e.Lines() {
		if l.Fields != nil && (l.Fields["msg"] == "cold start" || l.Fields["message"] == "cold start") {
			if l.Fields["version"] != w.s.version {
				t.Errorf("%s's cold start logs version %v, want VERSION %s: %s", w.fn.LogicalID, l.Fields["version"], w.s.version, l.Text)
			}
			return
		}
	}
	t.Errorf("%s logged no cold-start line", w.fn.LogicalID)
}
