package localgw

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Protected serves a REST API whose every method goes through a Lambda
// REQUEST authorizer and then a proxy-integration backend, answering as the
// template's Gateway Responses do: 401 with WWW-Authenticate error
// "invalid_token", 403 with "insufficient_scope", 500 when the authorizer
// fails. Only Allow reaches the backend, with the authorizer's context.
type Protected struct {
	Authorizer any    // func(ctx, events.APIGatewayCustomAuthorizerRequestTypeRequest | json.RawMessage) (...)
	Backend    any    // func(ctx, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)
	Realm      string // the realm of WWW-Authenticate
	Stage      string
}

func (p *Protected) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	headers, multi := map[string]string{}, map[string][]string{}
	for k, vs := range r.Header {
		headers[k] = vs[len(vs)-1]
		multi[k] = vs
	}
	query := map[string]string{}
	for k, vs := range r.URL.Query() {
		query[k] = vs[len(vs)-1]
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	methodArn := fmt.Sprintf("arn:aws:execute-api:local:000000000000:local/%s/%s%s", p.Stage, r.Method, r.URL.Path)
	authEvent := events.APIGatewayCustomAuthorizerRequestTypeRequest{
		Type: "REQUEST", MethodArn: methodArn, Resource: "/api/{proxy+}", Path: r.URL.Path, HTTPMethod: r.Method,
		Headers: headers, MultiValueHeaders: multi, QueryStringParameters: query,
		RequestContext: events.APIGatewayCustomAuthorizerRequestTypeRequestContext{
			Path: "/" + p.Stage + r.URL.Path, AccountID: "000000000000", ResourcePath: "/api/{proxy+}", Stage: p.Stage,
			HTTPMethod: r.Method, APIID: "local", Identity: events.APIGatewayCustomAuthorizerRequestTypeRequestIdentity{SourceIP: ip},
		},
	}
	auth, err := Invoke[events.APIGatewayCustomAuthorizerResponse](r.Context(), p.Authorizer, authEvent)
	switch {
	case err != nil && err.Error() == "Unauthorized": // what API Gateway matches
		p.problem(w, http.StatusUnauthorized, "invalid_token", "Unauthorized", "the token is missing, invalid, expired, revoked or locked")
		return
	case err != nil:
		writeJSON(w, http.StatusInternalServerError, `{"message":null}`)
		return
	case !allows(auth, methodArn):
		scope, _ := auth.Context["requiredScope"].(string)
		p.problem(w, http.StatusForbidden, "insufficient_scope", "Forbidden", "the token lacks the scope "+scope)
		return
	}
	ctx := map[string]any{"principalId": auth.PrincipalID}
	for k, v := range auth.Context {
		ctx[k] = v
	}
	resp, err := Invoke[events.APIGatewayProxyResponse](r.Context(), p.Backend, events.APIGatewayProxyRequest{
		Resource: "/api/{proxy+}", Path: r.URL.Path, HTTPMethod: r.Method, Headers: headers, MultiValueHeaders: multi,
		QueryStringParameters: query, PathParameters: map[string]string{"proxy": strings.TrimPrefix(r.URL.Path, "/api/")},
		RequestContext: events.APIGatewayProxyRequestContext{Stage: p.Stage, HTTPMethod: r.Method, Path: r.URL.Path,
			Authorizer: ctx, Identity: events.APIGatewayRequestIdentity{SourceIP: ip, UserAgent: r.UserAgent()}},
	})
	if err != nil {
		writeJSON(w, http.StatusBadGateway, `{"message":"Internal server error"}`)
		return
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(resp.StatusCode)
	fmt.Fprint(w, resp.Body)
}

// allows reports whether the policy allows invoking exactly methodArn.
func allows(resp events.APIGatewayCustomAuthorizerResponse, methodArn string) bool {
	allowed := false
	for _, s := range resp.PolicyDocument.Statement {
		for _, res := range s.Resource {
			if res == methodArn || res == "*" {
				if s.Effect == "Deny" {
					return false
				}
				allowed = allowed || s.Effect == "Allow"
			}
		}
	}
	return allowed
}

// problem writes what the template's Gateway Responses write.
func (p *Protected) problem(w http.ResponseWriter, status int, code, title, detail string) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q, error=%q`, p.Realm, code))
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	body, _ := json.Marshal(map[string]any{"type": "https://github.com/patservice/pat/blob/main/README.md#authorizer", "title": title, "status": status, "code": code, "detail": detail})
	_, _ = w.Write(body)
}
