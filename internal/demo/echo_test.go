package demo

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// The echo shows what the authorizer passed on, as JSON ending with a
// newline (so that curl's output does not run into the prompt).
func TestEcho(t *testing.T) {
	resp, err := Echo(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/api/crm",
		RequestContext: events.APIGatewayProxyRequestContext{Authorizer: map[string]any{"userId": "u", "tokenId": "t", "scopes": "crm:read", "issuedBy": "admin"}}})
	var got map[string]any
	if err != nil || json.Unmarshal([]byte(resp.Body), &got) != nil || got["userId"] != "u" || got["scopes"] != "crm:read" || got["issuedBy"] != "admin" {
		t.Fatalf("%+v %v", resp, err)
	}
	if !strings.HasSuffix(resp.Body, "}\n") {
		t.Fatalf("body does not end with a newline: %q", resp.Body)
	}
}
