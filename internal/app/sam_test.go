package app_test

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patservice/pat/internal/dynamotest"
)

// samTransform runs the SAM translator (the Python package the SAM CLI
// and CloudFormation use) over template.yaml with parameter values and
// prints the resources' types and conditions and the management API's
// JWT authorizer as JSON.
const samTransform = `
import json, os, sys
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

class NoManagedPolicies:
    def load(self, *args, **kwargs):
        return {}

t = yaml_parse(open(sys.argv[1]).read())
for r in t["Resources"].values():
    if r.get("Properties", {}).get("CodeUri") == ".":
        r["Properties"]["CodeUri"] = "s3://bucket/key"  # what sam package writes
out = transform(t, dict(a.split("=", 1) for a in sys.argv[2:]), NoManagedPolicies())
res = out["Resources"]
print(json.dumps({
    "resources": {k: {"type": v["Type"], "condition": v.get("Condition", "")} for k, v in res.items()},
    "jwt": res["ManagementApi"]["Properties"]["Body"]["components"]["securitySchemes"]["UserJwt"]["x-amazon-apigateway-authorizer"]["jwtConfiguration"],
}, separators=(",", ":")))
`

// The template passes cfn-lint and the SAM transform with the stack's own
// user pool and with an existing issuer, and the transform keeps the
// sign-in resources conditional and the JWT authorizer on the pool's
// client when it is created.
func TestTemplateTransformsAndLints(t *testing.T) {
	template := filepath.Join(dynamotest.RepoRoot(t), "template.yaml")
	if _, err := exec.LookPath("cfn-lint"); err != nil {
		t.Skip("cfn-lint is not installed")
	}
	if out, err := exec.Command("cfn-lint", template).CombinedOutput(); err != nil {
		t.Fatalf("cfn-lint: %v\n%s", err, out)
	}
	if err := exec.Command("python3", "-c", "import samtranslator").Run(); err != nil {
		t.Skip("the SAM translator (python3 -m samtranslator) is not installed")
	}
	for _, params := range [][]string{
		{"MailFrom=tokens@example.com"},
		{"MailFrom=tokens@example.com", "CreateUserPool=false", "JwtIssuer=https://login.example.com/", "JwtAudience=console",
			"OidcAuthorizeUrl=https://login.example.com/authorize", "OidcTokenUrl=https://login.example.com/token"},
	} {
		out, err := exec.Command("python3", append([]string{"-c", samTransform, template}, params...)...).Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("SAM transform with %v: %v\n%s", params, err, stderr)
		}
		var got struct {
			Resources map[string]struct{ Type, Condition string }
			JWT       json.RawMessage
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		for id, r := range got.Resources {
			if strings.HasPrefix(r.Type, "AWS::Cognito::") && r.Condition != "WithUserPool" {
				t.Errorf("%s (%s) is deployed whatever CreateUserPool says", id, r.Type)
			}
		}
		want := `{"audience":[{"Fn::If":["WithUserPool",{"Ref":"ConsoleClient"},{"Ref":"JwtAudience"}]}]`
		if !strings.HasPrefix(string(got.JWT), want) || !strings.Contains(string(got.JWT), `"issuer":{"Fn::If":["WithUserPool"`) {
			t.Errorf("JWT authorizer = %s", got.JWT)
		}
	}
}
