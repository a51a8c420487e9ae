package app_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/console"
	"github.com/patservice/pat/internal/dynamotest"
	"github.com/patservice/pat/internal/httpapi"
)

type function struct {
	Type string `yaml:"Type"`
	// Read only for AWS::Serverless::Function: other types' properties
	// (a user pool's Policies, say) have other shapes.
	Metadata struct {
		BuildMethod string `yaml:"BuildMethod"`
	} `yaml:"Metadata"`
	Properties struct {
		CodeUri  string `yaml:"CodeUri"`
		Policies []struct {
			Statement []statement `yaml:"Statement"`
		} `yaml:"Policies"`
		Events map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				Method string `yaml:"Method"`
				Path   string `yaml:"Path"`
				Auth   struct {
					Authorizer string `yaml:"Authorizer"`
				} `yaml:"Auth"`
			} `yaml:"Properties"`
		} `yaml:"Events"`
	} `yaml:"Properties"`
}

func (f *function) UnmarshalYAML(n *yaml.Node) error {
	var head struct {
		Type string `yaml:"Type"`
	}
	if err := n.Decode(&head); err != nil || head.Type != "AWS::Serverless::Function" {
		f.Type = head.Type
		return err
	}
	type plain function // without this method
	return n.Decode((*plain)(f))
}

// Every route of the API is deployed by the template as its own function,
// built by the Makefile from functions/<name>, with least privilege.
func TestTemplateDeploysEveryRoute(t *testing.T) {
	root := dynamotest.RepoRoot(t)
	_, doc := loadTemplate(t)
	con, err := console.New(console.Options{DevUsers: []console.DevUser{{ID: "dev-user"}}})
	if err != nil {
		t.Fatal(err)
	}
	routes := append(httpapi.New(nil, nil, config.Claims{}, nil).Routes(), con.Routes()...)
	deployed := 0
	for _, r := range doc.Resources {
		for _, ev := range r.Properties.Events {
			if ev.Type == "HttpApi" {
				deployed++
			}
		}
	}
	// A function is read-only when every route it serves is a GET.
	readOnly := map[string]bool{}
	for _, route := range routes {
		if _, seen := readOnly[route.Function]; !seen {
			readOnly[route.Function] = true
		}
		readOnly[route.Function] = readOnly[route.Function] && route.Method == "GET"
	}
	if deployed != len(routes) {
		t.Errorf("template has %d API routes, the API and the console %d", deployed, len(routes))
	}
	for _, route := range routes {
		logicalID := camel(route.Function) + "Function"
		fn, ok := doc.Resources[logicalID]
		if !ok {
			t.Errorf("template.yaml has no %s for %s %s", logicalID, route.Method, route.Path)
			continue
		}
		served := false
		for _, ev := range fn.Properties.Events {
			if ev.Type == "HttpApi" && ev.Properties.Method == route.Method && ev.Properties.Path == route.Path {
				served = true
				// Only public routes (the keep page, the console) skip the JWT authorizer.
				if route.Public != (ev.Properties.Auth.Authorizer == "NONE") {
					t.Errorf("%s %s: public %v, but its authorizer is %q", route.Method, route.Path, route.Public, ev.Properties.Auth.Authorizer)
				}
			}
		}
		if !served {
			t.Errorf("%s does not serve %s %s", logicalID, route.Method, route.Path)
		}
		if fn.Metadata.BuildMethod != "makefile" || fn.Properties.CodeUri != "." {
			t.Errorf("%s is not built by the Makefile", logicalID)
		}
		if _, err := os.Stat(filepath.Join(root, "functions", route.Function, "main.go")); err != nil {
			t.Errorf("no functions/%s/main.go", route.Function)
		}
		var actions []string
		for _, p := range fn.Properties.Policies {
			for _, s := range p.Statement {
				actions = append(actions, s.Action...)
			}
		}
		admin := strings.HasPrefix(route.Path, "/admin/")
		if readOnly[route.Function] {
			for _, a := range actions {
				if !slices.Contains([]string{"dynamodb:GetItem", "dynamodb:Query"}, a) && (a != "dynamodb:Scan" || !admin) {
					t.Errorf("read-only %s may %s", logicalID, a)
				}
			}
		}
		// Every signed-in route but revoking reads the caller's user record
		// first: a disabled user is refused (GetItem on the tokens table).
		if !route.Public && !slices.Contains([]string{"revoke-token", "revoke-all-tokens"}, route.Function) && !canGetItem(fn) {
			t.Errorf("%s cannot read the caller's user record (dynamodb:GetItem on the tokens table)", logicalID)
		}
		if route.Public && route.Function == "problem-page" && len(actions) > 0 {
			t.Errorf("%s serves static pages but may %v", logicalID, actions)
		}
		if slices.Contains(actions, "dynamodb:*") || slices.Contains(actions, "dynamodb:Scan") && !admin {
			t.Errorf("%s has rights it never uses: %v", logicalID, actions)
		}
		for _, p := range fn.Properties.Policies {
			for _, s := range p.Statement {
				// Deleting is for outbox notices only (sent ones are removed).
				if slices.Contains(s.Action, "dynamodb:DeleteItem") && !strings.Contains(fmt.Sprint(s.Condition), "dynamodb:LeadingKeys:[NOTICE#*]") {
					t.Errorf("%s may delete items other than outbox notices", logicalID)
				}
			}
		}
	}
}

func canGetItem(fn function) bool {
	for _, p := range fn.Properties.Policies {
		for _, s := range p.Statement {
			if slices.Contains(s.Action, "dynamodb:GetItem") && strings.Contains(s.Resource.Value, "TokensTable.Arn") {
				return true
			}
		}
	}
	return false
}

// Audit records cannot be changed or deleted: no function may do more to
// the audit table than put (write-once, by condition) and read.
func TestTemplateAuditIsWriteOnce(t *testing.T) {
	_, doc := loadTemplate(t)
	seen := 0
	for name, fn := range doc.Resources {
		for _, p := range fn.Properties.Policies {
			for _, s := range p.Statement {
				if !strings.Contains(s.Resource.Value, "AuditTable") {
					continue
				}
				seen++
				for _, a := range s.Action {
					if a != "dynamodb:PutItem" && a != "dynamodb:Query" {
						t.Errorf("%s may %s on the audit table", name, a)
					}
				}
			}
		}
	}
	if seen < 10 {
		t.Fatalf("found only %d statements on the audit table: is the template read right?", seen)
	}
}

// The authorizer may read items (the token; the owner of a token older
// than the copy of its owner's state) and write only a token's last use.
func TestTemplateAuthorizerLeastPrivilege(t *testing.T) {
	data, doc := loadTemplate(t)
	fn, ok := doc.Resources["AuthorizerFunction"]
	if !ok || fn.Metadata.BuildMethod != "makefile" {
		t.Fatal("template.yaml has no AuthorizerFunction built by the Makefile")
	}
	var actions []string
	for _, p := range fn.Properties.Policies {
		for _, s := range p.Statement {
			actions = append(actions, s.Action...)
		}
	}
	slices.Sort(actions)
	if strings.Join(actions, ",") != "dynamodb:GetItem,dynamodb:UpdateItem" {
		t.Fatalf("authorizer may %v", actions)
	}
	if !strings.Contains(string(data), "dynamodb:Attributes: [pk, sk, lastUsedAt, lastUsedIp, lastUsedUserAgent]") {
		t.Fatal("the authorizer's UpdateItem is not limited to the last-use attributes")
	}
}

type statement struct {
	Action    []string       `yaml:"Action"`
	Resource  yaml.Node      `yaml:"Resource"`
	Condition map[string]any `yaml:"Condition"`
}

type templateDoc struct {
	Resources map[string]function `yaml:"Resources"`
}

func loadTemplate(t *testing.T) ([]byte, templateDoc) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dynamotest.RepoRoot(t), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc templateDoc
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return data, doc
}

func camel(s string) string {
	var b strings.Builder
	for _, w := range strings.Split(s, "-") {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}
