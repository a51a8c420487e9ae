package app_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/patservice/pat/"

// mayImport is the layering of internal/: what each package may import of
// the others. The domain (token, scope, pat) imports nothing above it; the
// services on it (authz, mail, lifecycle, config) import only the domain;
// adapters import the domain and the one service they adapt; only the
// wiring (app, app/authorizer) puts adapters together. A new package must
// be added here, which is the moment to decide where it stands. The
// texts of every language (i18n) stand beside the domain: they import
// nothing.
var mayImport = map[string][]string{
	"token":          {},
	"scope":          {},
	"awsclient":      {},
	"version":        {},
	"coldstart":      {"config", "version"},
	"emf":            {},
	"leak":           {},
	"demo":           {},
	"localgw":        {"authz"},
	"i18n":           {},
	"pat":            {"token", "scope", "i18n"},
	"config":         {"pat", "scope", "i18n"},
	"authz":          {"pat", "scope", "token", "emf"},
	"mail":           {"pat", "emf", "i18n"},
	"lifecycle":      {"pat", "mail", "token", "emf", "i18n"},
	"dynamo":         {"pat", "token"},
	"cursorkey":      {"awsclient", "dynamo", "pat"},
	"sesmail":        {"pat", "mail", "token", "awsclient"},
	"apigw":          {"authz"},
	"httpapi":        {"pat", "scope", "config", "version", "i18n", "leak", "authz"}, // authz: self-rotation decides as the authorizer
	"app/authorizer": {"apigw", "authz", "awsclient", "coldstart", "config", "dynamo", "scope", "token"},
	"app":            {"authz", "awsclient", "coldstart", "config", "cursorkey", "dynamo", "httpapi", "leak", "lifecycle", "mail", "pat", "scope", "sesmail", "token"},
	"localstack":     {"awsclient", "dynamo", "samstack"},
	// Test support: the stack as deployed (the SAM-transformed templates),
	// and the checks of it (tests only).
	"samstack":   {},
	"stackcheck": {},
	// Test support: IAM enforced on the local stack, from samstack's policies.
	"iamcheck": {"samstack"},
	// Test support: the functions' bootstraps under the Lambda Runtime
	// Interface Emulator, and CloudWatch's reading of their log lines.
	"lambdarun":            {"samstack"},
	"release":              {},
	"lambdarun/cloudwatch": {"samstack"},
	// Test support: the integration tests' harness, on the wiring itself.
	"testenv":  {"app", "app/authorizer", "authz", "config", "dynamo", "localstack", "pat", "sesmail"},
	"console":  {"config", "httpapi", "i18n"},
	"devstack": {"apigw", "app", "app/authorizer", "config", "console", "demo", "localgw", "sesmail"},
	// A real OpenID provider (zitadel's example) for the local server and the tests.
	"localidp": {},
}

func TestNoUpwardImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module+"internal/")
		allowed, known := mayImport[pkg]
		if !known {
			t.Errorf("internal/%s is not in mayImport: add it with the packages it may import", pkg)
			continue
		}
		for _, imp := range fields[1:] {
			dep, internal := strings.CutPrefix(imp, module+"internal/")
			if internal && !slices.Contains(allowed, dep) {
				t.Errorf("internal/%s imports internal/%s, which stands above it or beside it", pkg, dep)
			}
		}
	}
}

// The authorizer sits in front of every API call: its binary carries the
// decision and the DynamoDB read, nothing of the management API, the job or
// mail. Listed with the build's tags (without lambda.norpc, aws-lambda-go
// links net/rpc, which imports html/template).
func TestAuthorizerCarriesOnlyTheHotPath(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc", "../../functions/authorizer").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, heavy := range []string{
		module + "internal/httpapi", module + "internal/lifecycle", module + "internal/mail",
		module + "internal/sesmail", module + "internal/app", "html/template", "text/template",
		"github.com/aws/aws-sdk-go-v2/service/ses",
	} {
		if slices.Contains(deps, heavy) {
			t.Errorf("the authorizer depends on %s", heavy)
		}
	}
}
