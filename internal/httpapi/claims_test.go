package httpapi_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/localstack"
)

// Oversized or malformed identity claims (a verified JWT can still carry
// them) answer 400 invalid_request naming the claim on every signed-in
// route, never 5xx, and nothing is written.
func TestOversizedOrMalformedClaimsAre400(t *testing.T) {
	h := newHarness(t)
	claims := func(edit func(map[string]string)) edit {
		return func(ev *events.APIGatewayV2HTTPRequest) {
			c := map[string]string{"sub": "user-claims", "email": "claims@example.com", "permissions": "[crm:* orders:* accounting:* products:*]", "cognito:groups": "[sales]"}
			edit(c)
			ev.RequestContext.Authorizer.JWT.Claims = c
		}
	}
	many := strings.TrimSuffix(strings.Repeat("crm:read ", 1001), " ")
	cases := map[string]edit{
		"a 450 KB user id":               claims(func(c map[string]string) { c["sub"] = strings.Repeat("u", 450<<10) }),
		"a user id over 256 bytes":       claims(func(c map[string]string) { c["sub"] = strings.Repeat("u", 257) }),
		"a user id with a NUL":           claims(func(c map[string]string) { c["sub"] = "user\x00root" }),
		"a user id with a bidi override": claims(func(c map[string]string) { c["sub"] = "user-\u202eroot" }),
		"an address over 254 bytes":      claims(func(c map[string]string) { c["email"] = strings.Repeat("a", 250) + "@example.com" }),
		"not an address":                 claims(func(c map[string]string) { c["email"] = "claims at example.com" }),
		"an address with a line break":   claims(func(c map[string]string) { c["email"] = "claims@example.com\r\nBcc: x@example.com" }),
		"a 450 KB groups claim":          claims(func(c map[string]string) { c["cognito:groups"] = "[" + strings.Repeat("g", 450<<10) + "]" }),
		"a group over 256 bytes":         claims(func(c map[string]string) { c["cognito:groups"] = "[sales " + strings.Repeat("g", 257) + "]" }),
		"1,001 permissions":              claims(func(c map[string]string) { c["permissions"] = "[" + many + "]" }),
	}
	tokens, audit := localstack.Dump(t, h.DB, h.Tables.Tokens), localstack.Dump(t, h.DB, h.Tables.Audit)
	for function, route := range h.routes {
		if route.Public {
			continue
		}
		for name, edit := range cases {
			r := h.call(t, function, edit)
			if r.Status != 400 || r.code() != "invalid_request" {
				t.Errorf("%s %s with %s: %d %.200s", route.Method, route.Path, name, r.Status, r.Body)
			}
		}
	}
	if len(localstack.Dump(t, h.DB, h.Tables.Tokens)) != len(tokens) || len(localstack.Dump(t, h.DB, h.Tables.Audit)) != len(audit) {
		t.Fatal("a request with refused claims wrote to a table")
	}
}
