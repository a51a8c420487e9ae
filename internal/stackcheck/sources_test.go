package stackcheck_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// API Gateway's authorizer cache reuses an answer for requests with the
// same identity sources. A token may be limited to some source addresses,
// so every REST authorizer of the stack must key its cache by the source
// address too: otherwise, with AuthorizerCacheTtl above 0, an answer for
// an allowed address would let the token pass from anywhere for the TTL.
func TestAuthorizerCacheKeyHasTheSourceAddress(t *testing.T) {
	s := load(t, map[string]string{"AuthorizerCacheTtl": "300"})
	found := map[string]string{} // identity sources by authorizer
	for _, st := range s.Stacks() {
		for id, r := range st.Resources {
			switch r.Type {
			case "AWS::ApiGateway::Authorizer":
				found[st.File+" "+id] = fmt.Sprint(resolve(t, st, r.Properties["IdentitySource"]))
			case "AWS::ApiGateway::RestApi":
				// SAM writes an Api's authorizers into its OpenAPI body.
				body, _ := resolve(t, st, r.Properties["Body"]).(map[string]any)
				defs, _ := body["securityDefinitions"].(map[string]any)
				for name, d := range defs {
					def, _ := d.(map[string]any)
					if a, ok := def["x-amazon-apigateway-authorizer"].(map[string]any); ok && a["type"] == "request" {
						found[st.File+" "+id+" "+name] = fmt.Sprint(a["identitySource"])
					}
				}
			}
		}
	}
	if len(found) == 0 {
		t.Fatal("no REST authorizer in the stack: the demo API's is expected")
	}
	for where, identity := range found {
		sources := strings.Split(identity, ",")
		for i := range sources {
			sources[i] = strings.TrimSpace(sources[i])
		}
		for _, want := range []string{"method.request.header.Authorization", "context.httpMethod", "context.path", "context.identity.sourceIp"} {
			if !slices.Contains(sources, want) {
				t.Errorf("%s: identity sources %v lack %s", where, sources, want)
			}
		}
	}
}
