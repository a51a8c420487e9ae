package localgw

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// stubAuthorizer denies "Bearer deny" for a missing scope and refuses
// everything else with the error Unauthorized, as the real one would.
func stubAuthorizer(_ context.Context, ev events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	if ev.Headers["Authorization"] != "Bearer deny" {
		return events.APIGatewayCustomAuthorizerResponse{}, errors.New("Unauthorized")
	}
	return events.APIGatewayCustomAuthorizerResponse{
		PrincipalID: "anonymous",
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{Version: "2012-10-17", Statement: []events.IAMPolicyStatement{
			{Action: []string{"execute-api:Invoke"}, Effect: "Deny", Resource: []string{ev.MethodArn}}}},
		Context: map[string]any{"error": "insufficient_scope", "requiredScope": "crm:delete", "errorDescription": "the token lacks the scope crm:delete",
			"wwwAuthenticate": `Bearer realm="pat", error="insufficient_scope", scope="crm:delete"`},
	}, nil
}

// RFC 6750 §3: the protected API's refusals, as the local gateway gives them.
func TestProtectedChallenges(t *testing.T) {
	backend := func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: "{}"}, nil
	}
	p := &Protected{Authorizer: stubAuthorizer, Backend: backend, Realm: "pat", Stage: "demo"}
	cases := []struct {
		name      string
		headers   []string // Authorization values
		query     string
		status    int
		challenge string
		code      string
	}{
		{"no header", nil, "", 401, `Bearer realm="pat"`, "unauthenticated"},
		{"Basic", []string{"Basic dXNlcjpwYXNz"}, "", 401, `Bearer realm="pat"`, "unauthenticated"},
		{"Digest", []string{`Digest username="x"`}, "", 401, `Bearer realm="pat"`, "unauthenticated"},
		{"Token scheme", []string{"Token abc"}, "", 401, `Bearer realm="pat"`, "unauthenticated"},
		{"bad token", []string{"Bearer abc"}, "", 401, `Bearer realm="pat", error="invalid_token"`, "invalid_token"},
		{"two headers", []string{"Bearer abc", "Bearer def"}, "", 400, `Bearer realm="pat", error="invalid_request"`, "invalid_request"},
		{"query token", nil, "?access_token=abc", 400, `Bearer realm="pat", error="invalid_request"`, "invalid_request"},
		{"missing scope", []string{"Bearer deny"}, "", 403, `Bearer realm="pat", error="insufficient_scope", scope="crm:delete"`, "insufficient_scope"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/api/crm/contacts"+tc.query, nil)
			for _, h := range tc.headers {
				req.Header.Add("Authorization", h)
			}
			rec := httptest.NewRecorder()
			p.ServeHTTP(rec, req)
			var problem map[string]any
			_ = json.Unmarshal(rec.Body.Bytes(), &problem)
			if rec.Code != tc.status || rec.Header().Get("WWW-Authenticate") != tc.challenge || problem["code"] != tc.code {
				t.Fatalf("%d %q %s", rec.Code, rec.Header().Get("WWW-Authenticate"), rec.Body)
			}
			if problem["type"] != "/problems/"+tc.code || rec.Body.Bytes()[rec.Body.Len()-1] != '\n' {
				t.Fatalf("problem %s", rec.Body)
			}
		})
	}
	_ = http.StatusOK
}
