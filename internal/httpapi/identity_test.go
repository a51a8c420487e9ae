package httpapi

import (
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/scope"
)

func TestIdentityFromClaims(t *testing.T) {
	catalog, err := scope.Default()
	if err != nil {
		t.Fatal(err)
	}
	names := config.Claims{UserID: "sub", Email: "email", Permissions: "permissions", Groups: "cognito:groups", AdminGroup: "pat-admins",
		GroupPermissions: map[string][]string{
			"sales":      {"crm:*"},
			"finance":    {"accounting:read", "orders:read"},
			"pat-admins": {"*:read"},
			"viewers":    {},
		}}
	cases := []struct {
		name   string
		claims map[string]string
		want   string // permissions, comma-separated
		admin  bool
		code   pat.Code // when refused
	}{
		{name: "a Cognito id token: groups, no permissions claim",
			claims: map[string]string{"sub": "u1", "email": "u1@example.com", "cognito:groups": "[sales]"},
			want:   "crm:create,crm:delete,crm:read,crm:update"},
		{name: "several groups: the union of their grants",
			claims: map[string]string{"sub": "u1", "cognito:groups": "[sales finance]"},
			want:   "accounting:read,crm:create,crm:delete,crm:read,crm:update,orders:read"},
		{name: "permissions claim and groups: the union",
			claims: map[string]string{"sub": "u1", "permissions": "[products:read crm:read]", "cognito:groups": "[finance]"},
			want:   "accounting:read,crm:read,orders:read,products:read"},
		{name: "permissions claim only, as before",
			claims: map[string]string{"sub": "u1", "permissions": "products:* orders:read"},
			want:   "orders:read,products:create,products:delete,products:read,products:update"},
		{name: "the administrators' group: its grants and the role",
			claims: map[string]string{"sub": "u1", "cognito:groups": "[pat-admins]"},
			want:   "accounting:read,crm:read,orders:read,products:read", admin: true},
		{name: "an unmapped group grants nothing",
			claims: map[string]string{"sub": "u1", "cognito:groups": "[marketing]"},
			want:   ""},
		{name: "a group mapped to no grants",
			claims: map[string]string{"sub": "u1", "cognito:groups": "[viewers]"},
			want:   ""},
		{name: "no groups, no permissions",
			claims: map[string]string{"sub": "u1", "email": "u1@example.com"},
			want:   ""},
		{name: "a group whose name only contains a mapped one",
			claims: map[string]string{"sub": "u1", "cognito:groups": "[sales-eu]"},
			want:   ""},
		{name: "no user id", claims: map[string]string{"cognito:groups": "[sales]"}, code: pat.CodeUnauthenticated},
		{name: "no claims", claims: nil, code: pat.CodeUnauthenticated},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id, err := identityFrom(c.claims, names, catalog)
			if c.code != "" {
				if pat.ErrorCode(err) != c.code {
					t.Fatalf("err = %v, want %s", err, c.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(id.Permissions, ","); got != c.want || id.Admin != c.admin || id.UserID != "u1" || id.Email != c.claims["email"] {
				t.Fatalf("identity = %+v, want permissions %q, admin %v", id, c.want, c.admin)
			}
		})
	}
}

// The console's URL comes from the event's domain and stage; anything that
// could not be a host or a stage name gives none, never a link elsewhere.
func TestConsoleURLFromTheRequest(t *testing.T) {
	for _, c := range []struct{ domain, stage, want string }{
		{"abc123.execute-api.eu-central-1.amazonaws.com", "$default", "https://abc123.execute-api.eu-central-1.amazonaws.com/console"},
		{"abc123.execute-api.eu-central-1.amazonaws.com", "", "https://abc123.execute-api.eu-central-1.amazonaws.com/console"},
		{"Tokens.Example.com", "v1", "https://tokens.example.com/v1/console"},
		{"", "$default", ""},
		{"evil.example.com/phish?", "$default", ""},
		{"evil.example.com@x", "$default", ""},
		{"abc123.execute-api.eu-central-1.amazonaws.com", "../x", ""},
		{"abc123.execute-api.eu-central-1.amazonaws.com", "a b", ""},
	} {
		got := consoleURL(events.APIGatewayV2HTTPRequestContext{DomainName: c.domain, Stage: c.stage})
		if got != c.want {
			t.Errorf("domain %q, stage %q: %q, want %q", c.domain, c.stage, got, c.want)
		}
	}
}
