package app_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The sign-in resources exist when CreateUserPool asks for them and not
// otherwise; in either case nothing that is deployed (resource, output, the
// functions' environment) refers to a resource that is not.
func TestTemplateUserPoolFollowsCreateUserPool(t *testing.T) {
	tpl := loadConditional(t)
	signIn := []string{"AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient", "AWS::Cognito::UserPoolDomain", "AWS::Cognito::UserPoolGroup"}
	cases := []struct {
		name   string
		params map[string]string
		want   bool
	}{
		{"default", nil, true},
		{"asked for", map[string]string{"CreateUserPool": "true"}, true},
		{"an existing issuer", map[string]string{"CreateUserPool": "false", "JwtIssuer": "https://login.example.com/",
			"JwtAudience": "console", "OidcAuthorizeUrl": "https://login.example.com/authorize", "OidcTokenUrl": "https://login.example.com/token"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			deployed := tpl.deployed(t, c.params)
			for _, typ := range signIn {
				var found []string
				for id, yes := range deployed {
					if yes && tpl.types[id] == typ {
						found = append(found, id)
					}
				}
				if c.want && len(found) != 1 || !c.want && len(found) != 0 {
					t.Errorf("%s deployed: %v", typ, found)
				}
			}
			if got := deployed["ConsoleClientSettings"]; got != c.want {
				t.Errorf("ConsoleClientSettings deployed: %v", got)
			}
			for _, p := range tpl.dangling(t, c.params, deployed) {
				t.Errorf("refers to a resource that is not deployed: %s", p)
			}
		})
	}
	if g := tpl.property(t, "AdminUserGroup", "GroupName"); g.Tag != "!Ref" || g.Value != "AdminGroup" {
		t.Errorf("the administrators' group is not named by AdminGroup: %s %s", g.Tag, g.Value)
	}
}

// The checker itself: a resource that loses its Condition is caught.
func TestTemplateCheckCatchesAMissingCondition(t *testing.T) {
	tpl := loadConditional(t)
	domain := tpl.resources["UserPoolDomain"]
	for i := 0; i < len(domain.Content); i += 2 {
		if domain.Content[i].Value == "Condition" {
			domain.Content = slices.Delete(domain.Content, i, i+2)
			break
		}
	}
	params := map[string]string{"CreateUserPool": "false"}
	if !tpl.deployed(t, params)["UserPoolDomain"] || len(tpl.dangling(t, params, tpl.deployed(t, params))) == 0 {
		t.Fatal("a domain without its Condition was not noticed")
	}
}

type conditional struct {
	params     map[string]string // defaults
	conditions map[string]*yaml.Node
	resources  map[string]*yaml.Node
	types      map[string]string
	outputs    map[string]*yaml.Node
	globals    *yaml.Node
}

func loadConditional(t *testing.T) *conditional {
	t.Helper()
	root := loadTemplateNode(t).Node
	c := &conditional{params: map[string]string{}, conditions: map[string]*yaml.Node{}, resources: map[string]*yaml.Node{},
		types: map[string]string{}, outputs: map[string]*yaml.Node{}}
	for k, v := range pairs(field(root, "Parameters")) {
		if d := field(v, "Default"); d != nil {
			c.params[k] = d.Value
		} else {
			c.params[k] = ""
		}
	}
	for k, v := range pairs(field(root, "Conditions")) {
		c.conditions[k] = v
	}
	for k, v := range pairs(field(root, "Resources")) {
		c.resources[k] = v
		c.types[k] = field(v, "Type").Value
	}
	for k, v := range pairs(field(root, "Outputs")) {
		c.outputs[k] = v
	}
	c.globals = field(root, "Globals")
	return c
}

func (c *conditional) property(t *testing.T, resource, name string) *yaml.Node {
	t.Helper()
	n := field(field(c.resources[resource], "Properties"), name)
	if n == nil {
		t.Fatalf("%s has no %s", resource, name)
	}
	return n
}

// deployed lists the resources whose Condition holds for the parameters.
func (c *conditional) deployed(t *testing.T, params map[string]string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for id, r := range c.resources {
		cond := field(r, "Condition")
		out[id] = cond == nil || c.holds(t, params, c.conditions[cond.Value])
	}
	return out
}

// dangling lists the references of deployed resources, of the outputs
// whose Condition holds and of the Globals to resources not deployed,
// following only the branch of each Fn::If the parameters choose.
func (c *conditional) dangling(t *testing.T, params map[string]string, deployed map[string]bool) []string {
	var out []string
	var walk func(where string, n *yaml.Node)
	ref := func(where, name string) {
		name, _, _ = strings.Cut(name, ".")
		if _, isResource := c.resources[name]; isResource && !deployed[name] {
			out = append(out, where+" → "+name)
		}
	}
	walk = func(where string, n *yaml.Node) {
		if n == nil {
			return
		}
		switch n.Tag {
		case "!If":
			branch := 2
			if c.holds(t, params, c.conditions[n.Content[0].Value]) {
				branch = 1
			}
			walk(where, n.Content[branch])
			return
		case "!Ref", "!GetAtt":
			if n.Kind == yaml.ScalarNode {
				ref(where, n.Value)
			} else {
				ref(where, n.Content[0].Value)
			}
			return
		case "!Sub":
			tpl, locals := n, map[string]bool{}
			if n.Kind == yaml.SequenceNode {
				tpl = n.Content[0]
				for k, v := range pairs(n.Content[1]) {
					locals[k] = true
					walk(where, v)
				}
			}
			for _, m := range subVar.FindAllStringSubmatch(tpl.Value, -1) {
				if !locals[m[1]] {
					ref(where, m[1])
				}
			}
			return
		}
		for _, child := range n.Content {
			walk(where, child)
		}
	}
	for id, r := range c.resources {
		if deployed[id] {
			walk(id, r)
		}
	}
	for id, o := range c.outputs {
		if cond := field(o, "Condition"); cond == nil || c.holds(t, params, c.conditions[cond.Value]) {
			walk("output "+id, o)
		}
	}
	walk("Globals", c.globals)
	slices.Sort(out)
	return out
}

var subVar = regexp.MustCompile(`\$\{([A-Za-z0-9:.]+)\}`)

// holds evaluates a condition in the short form the template uses.
func (c *conditional) holds(t *testing.T, params map[string]string, n *yaml.Node) bool {
	t.Helper()
	if n == nil {
		t.Fatal("a condition the template does not define")
	}
	switch n.Tag {
	case "!Equals":
		return c.value(t, params, n.Content[0]) == c.value(t, params, n.Content[1])
	case "!Not":
		return !c.holds(t, params, n.Content[0])
	case "!And", "!Or":
		any, all := false, true
		for _, sub := range n.Content {
			h := c.holds(t, params, sub)
			any, all = any || h, all && h
		}
		return n.Tag == "!And" && all || n.Tag == "!Or" && any
	case "!Condition":
		return c.holds(t, params, c.conditions[n.Value])
	}
	t.Fatalf("condition %s at line %d: not understood here", n.Tag, n.Line)
	return false
}

func (c *conditional) value(t *testing.T, params map[string]string, n *yaml.Node) string {
	t.Helper()
	if n.Tag == "!Ref" {
		if v, ok := params[n.Value]; ok {
			return v
		}
		if v, ok := c.params[n.Value]; ok {
			return v
		}
		t.Fatalf("condition refers to %s, not a parameter", n.Value)
	}
	return n.Value
}

func field(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func pairs(n *yaml.Node) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if n == nil || n.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		out[n.Content[i].Value] = n.Content[i+1]
	}
	return out
}
