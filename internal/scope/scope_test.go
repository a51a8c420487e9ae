package scope

import (
	"slices"
	"strings"
	"testing"
)

func mustDefault(t *testing.T) *Catalog {
	t.Helper()
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDefaultCatalog(t *testing.T) {
	c := mustDefault(t)
	all := c.All()
	if len(all) != len(c.Resources)*4 || !slices.IsSorted(all) {
		t.Fatalf("All() = %v", all)
	}
	if !c.Valid("crm:read") || c.Valid("crm:write") || c.Valid("nope:read") || c.Valid("crm") {
		t.Fatal("Valid disagrees with the catalog")
	}
}

func TestParseRejectsBadCatalogs(t *testing.T) {
	cases := map[string]string{
		"empty":          "resources: []",
		"unknown field":  "resources: [{name: crm, paths: [/a], colour: red}]",
		"bad name":       "resources: [{name: CRM, paths: [/a]}]",
		"duplicate":      "resources: [{name: crm, paths: [/a]}, {name: crm, paths: [/b]}]",
		"no paths":       "resources: [{name: crm}]",
		"relative path":  "resources: [{name: crm, paths: [api]}]",
		"trailing slash": "resources: [{name: crm, paths: [/api/]}]",
		"shared path":    "resources: [{name: crm, paths: [/a]}, {name: erp, paths: [/a]}]",
		"dot segment":    "resources: [{name: crm, paths: [/a/../b]}]",
		"path parameter": "resources: [{name: crm, paths: [/a;v=1]}]",
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(doc)); err == nil {
				t.Fatalf("accepted %s", doc)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	c := mustDefault(t)
	scopes, unknown := c.Normalize([]string{"orders:read", "crm:read", "crm:read", "crm:write", "hr:read"})
	if strings.Join(scopes, ",") != "crm:read,orders:read" {
		t.Errorf("scopes = %v", scopes)
	}
	if strings.Join(unknown, ",") != "crm:write,hr:read" {
		t.Errorf("unknown = %v", unknown)
	}
}

func TestExpand(t *testing.T) {
	c := mustDefault(t)
	cases := []struct {
		grants []string
		want   string
	}{
		{[]string{"crm:read"}, "crm:read"},
		{[]string{"crm:*"}, "crm:create,crm:delete,crm:read,crm:update"},
		{[]string{"*:delete", "other-system:admin"}, "accounting:delete,crm:delete,orders:delete,products:delete"},
		{[]string{"*"}, strings.Join(c.All(), ",")},
		{nil, ""},
	}
	for _, tc := range cases {
		if got := strings.Join(c.Expand(tc.grants), ","); got != tc.want {
			t.Errorf("Expand(%v) = %s, want %s", tc.grants, got, tc.want)
		}
	}
}

func TestMissingAndIntersect(t *testing.T) {
	have := []string{"crm:read", "orders:read"}
	if got := Missing([]string{"crm:read", "crm:update"}, have); strings.Join(got, ",") != "crm:update" {
		t.Errorf("Missing = %v", got)
	}
	if got := Intersect([]string{"crm:read", "crm:update", "orders:read"}, have); strings.Join(got, ",") != "crm:read,orders:read" {
		t.Errorf("Intersect = %v", got)
	}
}

func TestRequired(t *testing.T) {
	c := mustDefault(t)
	cases := []struct {
		method, path, want string
	}{
		{"GET", "/api/crm", "crm:read"},
		{"HEAD", "/api/crm/contacts/7", "crm:read"},
		{"POST", "/api/crm/contacts", "crm:create"},
		{"PUT", "/api/orders/1", "orders:update"},
		{"PATCH", "/api/orders/1", "orders:update"},
		{"DELETE", "/api/accounting/invoices/9", "accounting:delete"},
		{"GET", "/api/crmx", ""},                     // not a continuation of /api/crm
		{"GET", "/api", ""},                          // no resource
		{"GET", "/api/crm/../accounting/ledger", ""}, // dot segments
		{"GET", "/api/crm/%2e%2e/accounting", ""},    // encoded dots
		{"GET", "/api/crm%2F..%2Faccounting", ""},    // encoded slash
		{"GET", "/api/crm//x", ""},                   // empty segment
		{"GET", "api/crm", ""},                       // relative
		{"OPTIONS", "/api/crm", ""},                  // no action
		{"CONNECT", "/api/crm", ""},
	}
	for _, tc := range cases {
		got, ok := c.Required(tc.method, tc.path)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("Required(%s %s) = %q, %v; want %q", tc.method, tc.path, got, ok, tc.want)
		}
	}
}

func TestCheckGrant(t *testing.T) {
	c := mustDefault(t)
	cases := []struct{ grant, err string }{
		{"*", ""},
		{"crm:read", ""},
		{"crm:*", ""},
		{"*:delete", ""},
		{"crm", "want <resource>:<action>"},
		{":read", "want <resource>:<action>"},
		{"crm:", "want <resource>:<action>"},
		{"crm:read:x", "want <resource>:<action>"},
		{"crn:read", `no resource "crn"`},
		{"crm:write", "action must be one of"},
		{"*:*", "write * for every scope"},
		{"", "want <resource>:<action>"},
	}
	for _, tc := range cases {
		err := c.CheckGrant(tc.grant)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("CheckGrant(%q) = %v, want %q", tc.grant, err, tc.err)
		}
		// What CheckGrant accepts, Expand turns into at least one scope.
		if err == nil && len(c.Expand([]string{tc.grant})) == 0 {
			t.Errorf("CheckGrant accepts %q, which grants nothing", tc.grant)
		}
	}
}

func TestSelfRotateIsAnOwnScope(t *testing.T) {
	c := mustDefault(t)
	if !c.Valid(SelfRotate) || c.Valid("tokens:self-destruct") {
		t.Fatal("Valid: want tokens:self-rotate and no other made-up own scope")
	}
	scopes, unknown := c.Normalize([]string{SelfRotate, "crm:read", SelfRotate})
	if !slices.Equal(scopes, []string{"crm:read", SelfRotate}) || len(unknown) != 0 {
		t.Fatalf("Normalize = %v, %v", scopes, unknown)
	}
	// No permission grants it, so none is missing for it...
	if got := Missing(scopes, []string{"crm:read"}); len(got) != 0 {
		t.Fatalf("Missing = %v, want none", got)
	}
	// ...and the owner's permissions never take it away from a token.
	if got := Effective(scopes, nil); !slices.Equal(got, []string{SelfRotate}) {
		t.Fatalf("Effective(no permissions) = %v", got)
	}
	if got := Effective([]string{"crm:read", "erp:read", SelfRotate}, []string{"erp:read"}); !slices.Equal(got, []string{"erp:read", SelfRotate}) {
		t.Fatalf("Effective = %v", got)
	}
	// It is not a permission: "*" does not expand to it, and no catalog
	// path requires it, even under a resource named "tokens".
	if slices.Contains(c.Expand([]string{"*"}), SelfRotate) || slices.Contains(c.All(), SelfRotate) {
		t.Fatal("an own scope is among the catalog's permissions")
	}
	tokens, err := Parse([]byte("resources: [{name: tokens, paths: [/tokens]}]"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		if s, _ := tokens.Required(m, "/tokens/self/rotate"); s == SelfRotate {
			t.Fatalf("%s /tokens/self/rotate requires %s on another API", m, s)
		}
	}
	if !slices.IsSorted(OwnScopes) || !slices.ContainsFunc(OwnScopes, Own) {
		t.Fatalf("OwnScopes = %v", OwnScopes)
	}
}
