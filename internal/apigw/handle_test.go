package apigw_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/demo"
	"github.com/patservice/pat/internal/localgw"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
)

// The deployed function takes either event version through one handler,
// via the Lambda runtime's JSON path, and the echo backend returns what the
// authorizer passed on.
func TestHandleBothEventVersions(t *testing.T) {
	e := newEnv(t)
	c := e.Create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	ctx := context.Background()
	req := request{header: "Bearer " + c.Secret, method: "GET", path: "/api/crm/contacts"}

	rest, err := localgw.Invoke[events.APIGatewayCustomAuthorizerResponse](ctx, e.handler.Handle, e.restEvent(t, req))
	if err != nil || rest.PolicyDocument.Statement[0].Effect != "Allow" {
		t.Fatalf("REST through Handle: %+v %v", rest, err)
	}
	http, err := localgw.Invoke[events.APIGatewayV2CustomAuthorizerSimpleResponse](ctx, e.handler.Handle, e.httpEvent(t, req))
	if err != nil || !http.IsAuthorized {
		t.Fatalf("HTTP through Handle: %+v %v", http, err)
	}
	_, err = localgw.Invoke[events.APIGatewayCustomAuthorizerResponse](ctx, e.handler.Handle, e.restEvent(t, request{method: "GET", path: "/api/crm"}))
	if err == nil || !strings.Contains(err.Error(), "Unauthorized") {
		t.Fatalf("REST without token through Handle: %v", err)
	}

	backend := localstack.Event[events.APIGatewayProxyRequest](t, "echo")
	backend.RequestContext.Authorizer = map[string]any{"principalId": alice.UserID}
	for k, v := range rest.Context {
		backend.RequestContext.Authorizer[k] = v
	}
	out, err := localgw.Invoke[events.APIGatewayProxyResponse](ctx, demo.Echo, backend)
	var body map[string]any
	if err != nil || json.Unmarshal([]byte(out.Body), &body) != nil || body["userId"] != alice.UserID || body["tokenId"] != c.Token.ID || body["scopes"] != "crm:read" {
		t.Fatalf("echo: %+v %v", out, err)
	}
}
