package stackcheck_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/console"
	"github.com/patservice/pat/internal/httpapi"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/samstack"
)

// deployedRoute is a route of the management API as deployed.
type deployedRoute struct {
	function string // logical id
	public   bool   // no JWT authorizer
}

// managementRoutes reads the routes SAM wrote into the management API's
// OpenAPI body: "GET /tokens" → the function it invokes.
func managementRoutes(t *testing.T, s *samstack.Stack) map[string]deployedRoute {
	t.Helper()
	_, api := resource(t, s, "ManagementApi")
	paths, _ := get(api.Properties, "Body", "paths").(map[string]any)
	if len(paths) == 0 {
		t.Fatal("the management API has no paths")
	}
	arn := regexp.MustCompile(`\$\{(\w+)\.Arn\}`)
	out := map[string]deployedRoute{}
	for path, item := range paths {
		for method, op := range item.(map[string]any) {
			uri, _ := get(op, "x-amazon-apigateway-integration", "uri", "Fn::Sub").(string)
			m := arn.FindStringSubmatch(uri)
			if m == nil {
				t.Fatalf("%s %s: integration %q names no function", method, path, uri)
			}
			security, _ := get(op, "security").([]any)
			public := len(security) == 1 && get(security[0], "NONE") != nil
			out[strings.ToUpper(method)+" "+path] = deployedRoute{function: m[1], public: public}
		}
	}
	return out
}

// Every route of the API and the console is deployed as its own function,
// built by the Makefile from functions/<name>, with least privilege.
func TestTemplateDeploysEveryRoute(t *testing.T) {
	root := localstack.RepoRoot(t)
	s := load(t, nil)
	fns, err := s.Functions()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]samstack.Function{}
	for _, f := range fns {
		byID[f.LogicalID] = f
	}
	con, err := console.New(console.Options{DevUsers: []console.DevUser{{ID: "dev-user"}}})
	if err != nil {
		t.Fatal(err)
	}
	routes := append(httpapi.New(nil, nil, config.Claims{}, nil).Routes(), con.Routes()...)
	deployed := managementRoutes(t, s)
	if len(deployed) != len(routes) {
		t.Errorf("the management API has %d routes, the API and the console %d", len(deployed), len(routes))
	}
	// A function is read-only when every route it serves is a GET.
	readOnly := map[string]bool{}
	for _, route := range routes {
		if _, seen := readOnly[route.Function]; !seen {
			readOnly[route.Function] = true
		}
		readOnly[route.Function] = readOnly[route.Function] && route.Method == "GET"
	}
	for _, route := range routes {
		id := samstack.LogicalID(route.Function)
		d, ok := deployed[route.Method+" "+route.Path]
		if !ok || d.function != id {
			t.Errorf("%s %s: the management API invokes %q, want %s", route.Method, route.Path, d.function, id)
			continue
		}
		// Only public routes (the keep page, the console) skip the JWT authorizer.
		if route.Public != d.public {
			t.Errorf("%s %s: public %v, but the API's authorizer does not agree", route.Method, route.Path, route.Public)
		}
		fn, ok := byID[id]
		if !ok {
			t.Errorf("%s is not a function built from functions/%s", id, route.Function)
			continue
		}
		if _, err := os.Stat(filepath.Join(root, "functions", route.Function, "main.go")); err != nil {
			t.Errorf("no functions/%s/main.go", route.Function)
		}
		var actions []string
		for _, st := range fn.Statements {
			actions = append(actions, st.Actions...)
		}
		admin := strings.HasPrefix(route.Path, "/admin/")
		if readOnly[route.Function] {
			for _, a := range actions {
				// Reading the cursor key (every management function does, at
				// cold start) is a read too.
				if !slices.Contains([]string{"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "secretsmanager:GetSecretValue"}, a) && (a != "dynamodb:Scan" || !admin) {
					t.Errorf("read-only %s may %s", id, a)
				}
			}
		}
		// Every signed-in route but listing and revoking one's own tokens
		// reads the caller's user record first: a disabled user is refused
		// (GetItem on the tokens table).
		if !route.Public && !slices.Contains([]string{"list-tokens", "revoke-token", "revoke-all-tokens"}, route.Function) && !may(fn, "dynamodb:GetItem", tokensARN) {
			t.Errorf("%s cannot read the caller's user record (dynamodb:GetItem on the tokens table)", id)
		}
		if route.Function == "problem-page" && len(actions) > 0 {
			t.Errorf("%s serves static pages but may %v", id, actions)
		}
		if slices.Contains(actions, "dynamodb:*") || slices.Contains(actions, "dynamodb:Scan") && !admin {
			t.Errorf("%s has rights it never uses: %v", id, actions)
		}
		for _, st := range fn.Statements {
			// Deleting is for outbox notices only (sent ones are removed).
			if slices.Contains(st.Actions, "dynamodb:DeleteItem") && !slices.Equal(st.Condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"], []string{"NOTICE#*"}) {
				t.Errorf("%s may delete items other than outbox notices", id)
			}
		}
	}
}

// may reports whether a statement of fn allows action on resource exactly.
func may(fn samstack.Function, action, resource string) bool {
	for _, st := range fn.Statements {
		if st.Effect == "Allow" && slices.Contains(st.Actions, action) && slices.Contains(st.Resources, resource) {
			return true
		}
	}
	return false
}

// Audit records cannot be changed or deleted: no function may do more to
// the audit table than put (write-once, by condition) and read.
func TestTemplateAuditIsWriteOnce(t *testing.T) {
	fns, err := load(t, nil).Functions()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, fn := range fns {
		for _, st := range fn.Statements {
			if !slices.ContainsFunc(st.Resources, func(r string) bool { return strings.HasPrefix(r, auditARN) }) {
				continue
			}
			seen++
			for _, a := range st.Actions {
				if a != "dynamodb:PutItem" && a != "dynamodb:Query" {
					t.Errorf("%s may %s on the audit table", fn.LogicalID, a)
				}
			}
		}
	}
	if seen < 10 {
		t.Fatalf("found only %d statements on the audit table: is the template read right?", seen)
	}
}

// The authorizer may read items (the token; the owner of a token older
// than the copy of its owner's state), write a token's last use and a
// reuse report (the report's time; the mark that revokes a replacement,
// due for the lifecycle job), move the token's entry in the last-use
// order, and add audit events. Never a token's
// status, counts or owner: what it writes only takes access away.
func TestTemplateAuthorizerLeastPrivilege(t *testing.T) {
	fns, err := load(t, nil).Functions()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(fns, func(f samstack.Function) bool { return f.LogicalID == "AuthorizerFunction" })
	if i < 0 {
		t.Fatal("no AuthorizerFunction built by the Makefile")
	}
	var actions []string
	for _, st := range fns[i].Statements {
		actions = append(actions, st.Actions...)
		// Updates: a token's last use and reuse attributes; or the sort key
		// of its entry in the last-use order (TOKSORT#*), nothing else.
		tokenAttrs := slices.Equal(st.Condition["ForAllValues:StringEquals"]["dynamodb:Attributes"], []string{"pk", "sk", "lastUsedAt", "lastUsedIp", "lastUsedUserAgent",
			"reuseReportedAt", "replacedBy", "revokedOnReuseAt", "dueDay", "dueAt", "userId", "revokedAt", "expiresAt"})
		useEntry := slices.Equal(st.Condition["ForAllValues:StringEquals"]["dynamodb:Attributes"], []string{"pk", "sk", "listSk"}) &&
			slices.Equal(st.Condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"], []string{"TOKSORT#*"})
		if slices.Contains(st.Actions, "dynamodb:UpdateItem") && !tokenAttrs && !useEntry {
			t.Errorf("the authorizer's UpdateItem is not limited to the last-use and reuse attributes, or its last-use entry's sort key: %v", st.Condition)
		}
		// Puts: audit events, and the owner's notice of a reuse report in
		// the outbox of the tokens table, never a token.
		if slices.Contains(st.Actions, "dynamodb:PutItem") && (len(st.Resources) != 1 || !strings.Contains(strings.ToLower(st.Resources[0]), "audit") &&
			!slices.Equal(st.Condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"], []string{"NOTICE#*"})) {
			t.Errorf("the authorizer may put items in %v (%v), want the audit table and outbox items (NOTICE#*) only", st.Resources, st.Condition)
		}
	}
	slices.Sort(actions)
	actions = slices.Compact(actions)
	if strings.Join(actions, ",") != "dynamodb:GetItem,dynamodb:PutItem,dynamodb:UpdateItem" {
		t.Fatalf("authorizer may %v", actions)
	}
}
