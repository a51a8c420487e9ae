package httpapi_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// No request, however malformed, gets a 5xx, and every answer is one
// openapi.yaml describes (call checks it). Each route's sample event is
// sent with junk bodies, path ids, headers and query parameters. (Cursors
// are left out: their codec is checked where it is defined.)
func TestJunkNeverGets5xx(t *testing.T) {
	h := newHarness(t)
	real := h.call(t, "create-token", alice).fields()["id"].(string)
	long := strings.Repeat("A", 5000)
	bodies := []string{"", " ", "null", "[]", "{", "}", `"x"`, "0", "1e999", `{"a":1}`, `{"name":null,"scopes":null}`,
		`{"name":1e400}`, `{"expiresInDays":-1}`, `{"expiresInDays":99999999999999999999}`, `{"confirm":-5}`,
		`{"reason":"` + long + `"}`, `{"name":"` + strings.Repeat("\\u0000", 50) + `"}`, strings.Repeat("[", 10000),
		"\xff\xfe", `{"name":"\ud800"}`, `{"permissions":[1,2]}`, `{"status":"` + long + `"}`, strings.Repeat("x", 20000)}
	ids := []string{"", real, long, "ünïcödé😀", "a/b", "../..", "%2F", "\x00", "AAAAAAAAAAAAAAAAAAAAAAAAAAAA\u00e9", " ", "USER#x", "TOKEN#" + real}
	headers := map[string]string{"content-type": "application/json; charset=ebcdic", "accept": long, "x-forwarded-for": "not an ip",
		"authorization": "Bearer " + long, "cookie": "\x00"}
	queries := []string{"limit", "status", "owner", "expiringBefore", "lastUsedBefore", "actor", "token", "action", "from", "to", "code", "x"}
	queryValues := []string{"", "-1", "0", "abc", "99999999999999999999", long, "2026-13-45T99:00:00Z", "ünï", "a,b", "\x00"}

	type variant struct {
		name string
		edit edit
	}
	var variants []variant
	for i, b := range bodies {
		variants = append(variants, variant{fmt.Sprintf("body %d", i), body(b)})
	}
	variants = append(variants, variant{"bad base64", func(ev *events.APIGatewayV2HTTPRequest) { ev.Body, ev.IsBase64Encoded = "!!!", true }})
	variants = append(variants, variant{"base64 junk", func(ev *events.APIGatewayV2HTTPRequest) {
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte("\xff{")), true
	}})
	for i, id := range ids {
		variants = append(variants, variant{fmt.Sprintf("id %d", i), func(ev *events.APIGatewayV2HTTPRequest) {
			for k := range ev.PathParameters {
				ev.PathParameters[k] = id
			}
		}})
	}
	for k, v := range headers {
		variants = append(variants, variant{"header " + k, func(ev *events.APIGatewayV2HTTPRequest) { ev.Headers[k] = v }})
	}
	variants = append(variants, variant{"no headers", func(ev *events.APIGatewayV2HTTPRequest) { ev.Headers = nil }})
	for _, q := range queries {
		for i, v := range queryValues {
			variants = append(variants, variant{fmt.Sprintf("query %s %d", q, i), query(q, v)})
		}
	}
	variants = append(variants, variant{"no claims", func(ev *events.APIGatewayV2HTTPRequest) {
		if ev.RequestContext.Authorizer != nil {
			ev.RequestContext.Authorizer.JWT.Claims = map[string]string{"sub": long, "permissions": "[" + long + "]", "cognito:groups": long}
		}
	}})

	for function, route := range h.routes {
		t.Run(function, func(t *testing.T) {
			for _, v := range variants {
				r := h.call(t, function, v.edit)
				if r.Status >= 500 {
					t.Errorf("%s %s with %s: %d %s", route.Method, route.Path, v.name, r.Status, r.Body)
				}
			}
		})
	}
}
