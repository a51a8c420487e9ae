package httpapi_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// cognito signs the event in as a user of a plain Cognito user pool: the
// claims of its id token as the HTTP API's JWT authorizer passes them on,
// groups and no permissions claim.
func cognito(sub string, groups ...string) edit {
	return func(ev *events.APIGatewayV2HTTPRequest) {
		claims := map[string]string{
			"sub":              sub,
			"email":            sub + "@example.com",
			"email_verified":   "true",
			"cognito:username": sub,
			"iss":              "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_AbCdEfGhI",
			"aud":              "4d3c2b1a0f9e8d7c6b5a4f3e2d",
			"token_use":        "id",
		}
		if groups != nil {
			claims["cognito:groups"] = fmt.Sprint(groups) // [a b], as API Gateway renders an array claim
		}
		ev.RequestContext.Authorizer.JWT.Claims = claims
	}
}

// With a group mapping, a Cognito user creates tokens within their groups'
// grants; a user whose groups map to nothing is told an administrator must
// grant access, and nothing is stored.
func TestCognitoGroupsGrantPermissions(t *testing.T) {
	h := newHarness(t)
	h.cfg.Claims.GroupPermissions = map[string][]string{"sales": {"crm:*"}, "finance": {"accounting:read", "orders:read"}, "pat-admins": {"*"}}
	h.build(t, h.DB, nil)

	created := h.call(t, "create-token", cognito("user-sam", "sales"), body(`{"name":"crm sync","scopes":["crm:read","crm:update"]}`))
	if created.Status != 201 || created.fields()["token"] == nil {
		t.Fatalf("create as a member of sales: %d %s", created.Status, created.Body)
	}
	if r := h.call(t, "create-token", cognito("user-sam", "sales"), body(`{"name":"x","scopes":["orders:read"]}`)); r.Status != 403 || r.code() != "scope_not_permitted" {
		t.Fatalf("a scope of another group's: %d %s", r.Status, r.Body)
	}
	if r := h.call(t, "create-token", cognito("user-fay", "sales", "finance"), body(`{"name":"both","scopes":["crm:read","orders:read"]}`)); r.Status != 201 {
		t.Fatalf("two groups grant the union: %d %s", r.Status, r.Body)
	}
	// What the authorizer will use: the mapped grants were stored on the user.
	user := h.call(t, "admin-get-user", cognito("user-root", "pat-admins"), onUser("user-sam"))
	if got := fmt.Sprint(user.fields()["permissions"]); user.Status != 200 || got != "[crm:create crm:delete crm:read crm:update]" {
		t.Fatalf("user-sam as an administrator sees them: %d %s", user.Status, user.Body)
	}

	for name, signIn := range map[string]edit{
		"unmapped group": cognito("user-new", "marketing"),
		"no group":       cognito("user-new"),
	} {
		t.Run(name, func(t *testing.T) {
			r := h.call(t, "create-token", signIn, body(`{"name":"x","scopes":["crm:read"]}`))
			if r.Status != 403 || r.code() != "no_permissions" || r.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("create without permissions: %d %s", r.Status, r.Body)
			}
			if d := fmt.Sprint(r.fields()["detail"]); d != "you hold no permissions, so you cannot create tokens: an administrator must grant you access, usually by adding you to a group that has permissions" {
				t.Fatalf("detail = %q", d)
			}
			if l := h.call(t, "list-tokens", signIn); len(l.fields()["items"].([]any)) != 0 {
				t.Fatalf("a refused create left tokens: %s", l.Body)
			}
			if u := h.call(t, "admin-get-user", cognito("user-root", "pat-admins"), onUser("user-new")); u.Status != 404 {
				t.Fatalf("a refused create stored the user: %d %s", u.Status, u.Body)
			}
		})
	}
}
