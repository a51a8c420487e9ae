package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/localstack"
)

func TestFixturesMatchRoutes(t *testing.T) {
	h := newHarness(t)
	for function, route := range h.routes {
		ev := localstack.Event[events.APIGatewayV2HTTPRequest](t, function)
		if ev.RouteKey != route.Method+" "+route.Path || ev.RequestContext.HTTP.Method != route.Method {
			t.Errorf("events/%s.json is for %s, the route is %s %s", function, ev.RouteKey, route.Method, route.Path)
		}
		// Round trip: the event survives encoding as the runtime sees it.
		data, _ := json.Marshal(ev)
		var again events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(data, &again); err != nil || !reflect.DeepEqual(ev, again) {
			t.Errorf("events/%s.json does not round-trip: %v", function, err)
		}
	}
}

func TestTokenLifecycle(t *testing.T) {
	h := newHarness(t)
	created := h.call(t, "create-token")
	if created.Status != 201 {
		t.Fatalf("create: %d %s", created.Status, created.Body)
	}
	tok := created.fields()
	id, secret := tok["id"].(string), tok["token"].(string)
	if !strings.HasPrefix(secret, "pat_"+id+"_") || tok["displayPrefix"] != "pat_"+id || tok["status"] != "active" {
		t.Fatalf("created token = %s", created.Body)
	}
	if created.Header.Get("Cache-Control") != "no-store" {
		t.Fatal("a response carrying a token may be cached")
	}

	got := h.call(t, "get-token", onToken(id))
	if got.Status != 200 || got.fields()["name"] != "ci deploy" || strings.Contains(string(got.Body), secret[len(secret)-49:]) {
		t.Fatalf("get: %d %s", got.Status, got.Body)
	}
	if _, has := got.fields()["token"]; has {
		t.Fatal("the token is shown again after creation")
	}

	list := h.call(t, "list-tokens")
	if items := list.fields()["items"].([]any); list.Status != 200 || len(items) != 1 || !reflect.DeepEqual(items[0], got.fields()) {
		t.Fatalf("list: %d %s\nget: %s", list.Status, list.Body, got.Body)
	}

	renamed := h.call(t, "update-token", onToken(id), body(`{"name":"renamed","description":"nightly"}`))
	if renamed.Status != 200 || renamed.fields()["name"] != "renamed" || renamed.fields()["description"] != "nightly" {
		t.Fatalf("update: %d %s", renamed.Status, renamed.Body)
	}

	extended := h.call(t, "extend-token", onToken(id))
	if extended.Status != 200 || extended.fields()["extendedAt"] == nil || !strings.HasPrefix(extended.fields()["expiresAt"].(string), time.Now().UTC().Add(90*24*time.Hour).Format("2006-01-02")) {
		t.Fatalf("extend: %d %s", extended.Status, extended.Body)
	}
	if r := h.call(t, "extend-token", onToken(id), body(`{"expiresInDays":1000}`)); r.Status != 400 {
		t.Fatalf("extend beyond the maximum: %d %s", r.Status, r.Body)
	}

	rotated := h.call(t, "rotate-token", onToken(id))
	newID, _ := rotated.fields()["id"].(string)
	if rotated.Status != 201 || newID == id || rotated.fields()["name"] != "renamed" || rotated.fields()["token"] == secret {
		t.Fatalf("rotate: %d %s", rotated.Status, rotated.Body)
	}
	old := h.call(t, "get-token", onToken(id)).fields()
	if old["status"] != "revoked" || old["replacedBy"] != newID {
		t.Fatalf("rotated token = %v", old)
	}

	if r := h.call(t, "revoke-token", onToken(newID)); r.Status != 204 || len(r.Body) != 0 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	if r := h.call(t, "revoke-token", onToken(newID)); r.Status != 204 {
		t.Fatalf("second revoke: %d %s", r.Status, r.Body)
	}
	if st := h.call(t, "get-token", onToken(newID)).fields()["status"]; st != "revoked" {
		t.Fatalf("revoked token has status %v", st)
	}
	if r := h.call(t, "update-token", onToken(newID), body(`{"name":"x"}`)); r.Status != 409 || r.code() != "token_not_active" {
		t.Fatalf("rename revoked: %d %s", r.Status, r.Body)
	}

	trail := func(id string) string {
		var actions []string
		for _, e := range h.call(t, "list-token-events", onToken(id)).fields()["items"].([]any) {
			ev := e.(map[string]any)
			if ev["actorId"] != "user-alice" || ev["sourceIp"] != "203.0.113.10" || ev["outcome"] != "success" {
				t.Errorf("event %v lacks actor, source or outcome", ev)
			}
			actions = append(actions, ev["action"].(string))
		}
		return strings.Join(actions, ",")
	}
	if got := trail(id); got != "token.created,token.updated,token.extended,token.rotated" {
		t.Errorf("trail of the old token: %s", got)
	}
	if got := trail(newID); got != "token.created,token.revoked" {
		t.Errorf("trail of the new token: %s", got)
	}
}

func TestBadRequestsChangeNothing(t *testing.T) {
	h := newHarness(t)
	existing := h.call(t, "create-token").fields()["id"].(string)
	before := localstack.Dump(t, h.DB, h.Tables.Tokens)
	beforeAudit := len(localstack.Dump(t, h.DB, h.Tables.Audit))

	cases := []struct {
		name, function string
		edits          []edit
		status         int
		code           string
	}{
		{"malformed JSON", "create-token", []edit{body(`{"name":`)}, 400, "invalid_request"},
		{"not an object", "create-token", []edit{body(`["crm:read"]`)}, 400, "invalid_request"},
		{"two objects", "create-token", []edit{body(`{"name":"a","scopes":["crm:read"]}{}`)}, 400, "invalid_request"},
		{"empty body", "create-token", []edit{body(``)}, 400, "invalid_request"},
		{"unknown field", "create-token", []edit{body(`{"name":"a","scopes":["crm:read"],"admin":true}`)}, 400, "invalid_request"},
		{"wrong type", "create-token", []edit{body(`{"name":"a","scopes":["crm:read"],"expiresInDays":"30"}`)}, 400, "invalid_request"},
		{"oversize body", "create-token", []edit{body(`{"name":"a","scopes":["crm:read"],"description":"` + strings.Repeat("x", 20000) + `"}`)}, 413, "body_too_large"},
		{"long name", "create-token", []edit{body(`{"name":"` + strings.Repeat("n", 101) + `","scopes":["crm:read"]}`)}, 400, "invalid_request"},
		{"unknown scope", "create-token", []edit{body(`{"name":"a","scopes":["hr:read"]}`)}, 400, "unknown_scope"},
		{"scope beyond permissions", "create-token", []edit{body(`{"name":"a","scopes":["accounting:read"]}`)}, 403, "scope_not_permitted"},
		{"bad date", "create-token", []edit{body(`{"name":"a","scopes":["crm:read"],"expiresAt":"next tuesday"}`)}, 400, "invalid_request"},
		{"past date", "create-token", []edit{body(`{"name":"a","scopes":["crm:read"],"expiresAt":"2020-01-01T00:00:00Z"}`)}, 400, "invalid_request"},
		{"too far", "create-token", []edit{body(`{"name":"a","scopes":["crm:read"],"expiresInDays":400}`)}, 400, "invalid_request"},
		{"never", "create-token", []edit{body(`{"name":"a","scopes":["crm:read"],"neverExpires":true}`)}, 400, "invalid_request"},
		{"form body", "create-token", []edit{func(ev *events.APIGatewayV2HTTPRequest) {
			ev.Headers["content-type"] = "application/x-www-form-urlencoded"
		}}, 415, "unsupported_media_type"},
		{"no identity", "create-token", []edit{func(ev *events.APIGatewayV2HTTPRequest) { ev.RequestContext.Authorizer = nil }}, 401, "unauthenticated"},
		{"rename unknown field", "update-token", []edit{onToken(existing), body(`{"name":"a","scopes":["crm:delete"]}`)}, 400, "invalid_request"},
		{"rename nothing", "update-token", []edit{onToken(existing), body(`{}`)}, 400, "invalid_request"},
		{"rename empty", "update-token", []edit{onToken(existing), body(`{"name":"  "}`)}, 400, "invalid_request"},
		{"bad limit", "list-tokens", []edit{query("limit", "1000")}, 400, "invalid_request"},
		{"bad cursor", "list-tokens", []edit{query("cursor", "not-a-cursor")}, 400, "invalid_cursor"},
		{"malformed id", "get-token", []edit{onToken("x")}, 404, "not_found"},
		{"unknown id", "revoke-token", []edit{onToken("AAAAAAAAAAAAAAAAAAAAAAAAAAAAA")}, 404, "not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.call(t, tc.function, tc.edits...)
			if r.Status != tc.status || r.code() != tc.code || r.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
			if detail, _ := r.fields()["detail"].(string); detail == "" || detail == "internal error" {
				t.Fatalf("no clear message: %s", r.Body)
			}
		})
	}
	if after := localstack.Dump(t, h.DB, h.Tables.Tokens); !reflect.DeepEqual(before, after) {
		t.Fatal("a refused request changed the tokens table")
	}
	if n := len(localstack.Dump(t, h.DB, h.Tables.Audit)); n != beforeAudit {
		t.Fatalf("refused requests wrote %d audit records", n-beforeAudit)
	}
}

func TestBase64Body(t *testing.T) {
	h := newHarness(t)
	r := h.call(t, "create-token", func(ev *events.APIGatewayV2HTTPRequest) {
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(ev.Body)), true
	})
	if r.Status != 201 {
		t.Fatalf("base64 body: %d %s", r.Status, r.Body)
	}
}

// Another user's token is 404 on every route, and stays as it was.
func TestCrossUserAccessIsNotFound(t *testing.T) {
	h := newHarness(t)
	id := h.call(t, "create-token").fields()["id"].(string)
	before := localstack.Dump(t, h.DB, h.Tables.Tokens)
	mallory := as("user-mallory", "*")
	for function, route := range h.routes {
		if !strings.Contains(route.Path, "{id}") || strings.HasPrefix(route.Path, "/admin/") {
			continue // administrators' routes: see TestAdminRoutesNeedTheRole
		}
		t.Run(function, func(t *testing.T) {
			edits := []edit{mallory, onToken(id)}
			if route.Method == "PATCH" {
				edits = append(edits, body(`{"name":"mine now"}`))
			}
			if r := h.call(t, function, edits...); r.Status != 404 || r.code() != "not_found" {
				t.Fatalf("%s %s as another user: %d %s", route.Method, route.Path, r.Status, r.Body)
			}
		})
	}
	if after := localstack.Dump(t, h.DB, h.Tables.Tokens); !reflect.DeepEqual(before, after) {
		t.Fatal("another user's requests changed the token")
	}
	if r := h.call(t, "list-tokens", mallory); len(r.fields()["items"].([]any)) != 0 {
		t.Fatalf("another user lists alice's tokens: %s", r.Body)
	}
	got := h.call(t, "get-token", onToken(id)).fields()
	if got["status"] != "active" || got["name"] != "ci deploy" {
		t.Fatalf("alice's token after mallory's attempts: %v", got)
	}
}

func TestListPagesThroughEveryToken(t *testing.T) {
	h := newHarness(t)
	want := map[string]bool{}
	for i := range 5 {
		id := h.call(t, "create-token", body(fmt.Sprintf(`{"name":"t%d","scopes":["crm:read"]}`, i))).fields()["id"].(string)
		want[id] = true
	}
	seen := map[string]bool{}
	cursor := ""
	for range 10 {
		edits := []edit{query("limit", "2")}
		if cursor != "" {
			edits = []edit{query("limit", "2", "cursor", cursor)}
		}
		page := h.call(t, "list-tokens", edits...).fields()
		for _, it := range page["items"].([]any) {
			seen[it.(map[string]any)["id"].(string)] = true
		}
		if cursor, _ = page["nextCursor"].(string); cursor == "" {
			break
		}
	}
	if !reflect.DeepEqual(seen, want) {
		t.Fatalf("pages listed %d of %d tokens", len(seen), len(want))
	}
}

func TestInternalErrorsSayNothing(t *testing.T) {
	h := newHarness(t)
	// Tables that do not exist make every DynamoDB call fail.
	h.use(t, localstack.Tables{Tokens: "missing-table", Audit: "missing-audit"})
	r := h.call(t, "list-tokens")
	if r.Status != 500 || r.code() != "internal" || r.fields()["detail"] != "internal error" || strings.Contains(string(r.Body), "missing-table") {
		t.Fatalf("internal error response: %d %s", r.Status, r.Body)
	}
	if !strings.Contains(ledger.Logs.String(), `"message":"request failed","route":"GET /tokens","error":"list tokens of user-alice: `) ||
		!strings.Contains(ledger.Logs.String(), `operation error DynamoDB: Query`) {
		t.Fatalf("the internal error was not logged:\n%s", ledger.Logs.String())
	}
}

// The OpenAPI check in call is real: a response with a field or a status the
// document does not describe fails it.
func TestOpenAPICatchesDrift(t *testing.T) {
	h := newHarness(t)
	ev := localstack.Event[events.APIGatewayV2HTTPRequest](t, "get-token")
	route := h.routes["get-token"]
	good := h.call(t, "create-token")
	fields := good.fields()
	delete(fields, "token")
	valid, _ := json.Marshal(fields)
	fields["digest"] = "c2VjcmV0"
	extra, _ := json.Marshal(fields)
	cases := []struct {
		name string
		res  result
		ok   bool
	}{
		{"as documented", result{Status: 200, Header: good.Header, Body: valid}, true},
		{"extra field", result{Status: 200, Header: good.Header, Body: extra}, false},
		{"undocumented status", result{Status: 418, Header: good.Header, Body: valid}, false},
	}
	for _, tc := range cases {
		if err := h.validate(ev, route, tc.res); (err == nil) != tc.ok {
			t.Errorf("%s: validation error %v", tc.name, err)
		}
	}
}
