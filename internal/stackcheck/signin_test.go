package stackcheck_test

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/samstack"
)

// The sign-in resources exist when CreateUserPool asks for them and not
// otherwise; in either case nothing that is created (a resource of any
// stack, an output) refers to what is not, and the management API's JWT
// authorizer trusts the stack's pool or the existing issuer.
func TestTemplateUserPoolFollowsCreateUserPool(t *testing.T) {
	signIn := []string{"AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient", "AWS::Cognito::UserPoolDomain", "AWS::Cognito::UserPoolGroup"}
	cases := []struct {
		name     string
		params   map[string]string
		want     bool
		issuer   string
		audience string
	}{
		{"default", nil, true, "https://cognito-idp.us-east-1.amazonaws.com/UserPool", "ConsoleClient"},
		{"asked for", map[string]string{"CreateUserPool": "true"}, true, "https://cognito-idp.us-east-1.amazonaws.com/UserPool", "ConsoleClient"},
		{"an existing issuer", existingIssuer, false, "https://login.example.com/", "console"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := load(t, c.params)
			for _, typ := range signIn {
				var found []string
				for _, st := range s.Stacks() {
					for id, r := range st.Resources {
						if r.Type == typ && st.Has(id) {
							found = append(found, id)
						}
					}
				}
				if c.want && len(found) != 1 || !c.want && len(found) != 0 {
					t.Errorf("%s created: %v", typ, found)
				}
			}
			if st, _ := resource(t, s, "ConsoleClientSettings"); st.Has("ConsoleClientSettings") != c.want {
				t.Errorf("ConsoleClientSettings created: %v", !c.want)
			}
			for _, p := range dangling(s) {
				t.Errorf("refers to what is not created: %s", p)
			}
			st, api := resource(t, s, "ManagementApi")
			jwt := get(resolve(t, st, api.Properties), "Body", "components", "securitySchemes", "UserJwt", "x-amazon-apigateway-authorizer", "jwtConfiguration")
			if get(jwt, "issuer") != c.issuer || fmt.Sprint(get(jwt, "audience")) != "["+c.audience+"]" {
				t.Errorf("the JWT authorizer trusts %v", jwt)
			}
		})
	}
	st, group := resource(t, load(t, nil), "AdminUserGroup")
	if !is(st, group.Properties["GroupName"], ref("AdminGroup")) {
		t.Errorf("the administrators' group is not named by AdminGroup: %v", group.Properties["GroupName"])
	}
}

// The check itself: a stack that loses its Condition is caught.
func TestTemplateCheckCatchesAMissingCondition(t *testing.T) {
	s := load(t, existingIssuer)
	r := s.Resources["ConsoleClientStack"]
	if r.Condition == "" {
		t.Fatal("ConsoleClientStack has no Condition to take away")
	}
	r.Condition = ""
	s.Resources["ConsoleClientStack"] = r
	if len(dangling(s)) == 0 {
		t.Fatal("the console client's stack without its Condition was not noticed")
	}
}

// dangling resolves everything that is created (the resources of every
// stack created, the outputs whose Condition holds) and returns what
// cannot be: a Ref, Fn::GetAtt or output of what is not created.
func dangling(s *samstack.Stack) []string {
	var out []string
	for _, st := range s.Stacks() {
		if !st.Deployed() {
			continue
		}
		for id, r := range st.Resources {
			if !st.Has(id) {
				continue
			}
			if _, err := st.Resolve(r.Properties); err != nil {
				out = append(out, fmt.Sprintf("%s (%s): %v", id, st.File, err))
			}
		}
		for id, o := range st.Outputs {
			if o.Condition != "" && !st.Condition(o.Condition) {
				continue
			}
			if _, err := st.Resolve(o.Value); err != nil {
				out = append(out, fmt.Sprintf("output %s (%s): %v", id, st.File, err))
			}
		}
	}
	slices.Sort(out)
	return out
}

// Every template passes cfn-lint as written (the SAM transform and the
// lint of its output run in infra/cfn/check.sh, make check-template).
func TestTemplatesLint(t *testing.T) {
	root := localstack.RepoRoot(t)
	if _, err := exec.LookPath("cfn-lint"); err != nil {
		t.Skip("cfn-lint is not installed")
	}
	sources, err := samstack.Sources(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(sources) < 2 {
		t.Fatalf("templates %v: template.yaml and the stacks it nests", sources)
	}
	cmd := exec.Command("cfn-lint", append([]string{"--"}, sources...)...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cfn-lint %s: %v\n%s", strings.Join(sources, " "), err, out)
	}
	// Every file of templates/ is a stack template.yaml nests.
	nested := map[string]bool{}
	for _, st := range load(t, nil).Stacks() {
		nested[st.File] = true
	}
	for _, p := range sources {
		if !nested[p] {
			t.Errorf("%s is no stack of template.yaml", filepath.ToSlash(p))
		}
	}
}
