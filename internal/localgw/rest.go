package localgw

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/authz"
)

// Protected serves a REST API whose every method goes through a Lambda
// REQUEST authorizer and then a proxy-integration backend. Only Allow
// reaches the backend, with the authorizer's context; 500 when the
// authorizer fails. Refusals follow RFC 6750 §3 where the template's
// Gateway Responses cannot (docs/authorizer.md, "REST APIs"): 401 without an error code
// when no bearer credentials came, 401 invalid_token for a bad token, 400
// invalid_request for credentials sent twice or in the query string, and
// 403 with the WWW-Authenticate value the authorizer put in its context
// (as ACCESS_DENIED maps it), which names the missing scope.
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
		p.unauthorized(w, r)
		return
	case err != nil:
		writeJSON(w, http.StatusInternalServerError, `{"message":null}`)
		return
	case !allows(auth, methodArn):
		challenge, _ := auth.Context["wwwAuthenticate"].(string)
		detail, _ := auth.Context["errorDescription"].(string)
		p.problem(w, http.StatusForbidden, challenge, "insufficient_scope", detail)
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

// unauthorized answers the authorizer's 401. The error carries no reason,
// so the credentials are looked at again, as the authorizer did, to tell
// none (no error code) and ambiguous ones (400) from a bad token.
func (p *Protected) unauthorized(w http.ResponseWriter, r *http.Request) {
	_, inQuery := r.URL.Query()["access_token"]
	d, _, decided := authz.Precheck(authz.Request{Authorization: strings.Join(r.Header.Values("Authorization"), ","), QueryToken: inQuery})
	switch {
	case !decided || d.Outcome == authz.Unauthorized && d.Reason != authz.ReasonMissing:
		d = authz.Decision{Outcome: authz.Unauthorized, Reason: authz.ReasonUnknown}
		p.problem(w, http.StatusUnauthorized, d.Challenge(p.Realm), "invalid_token", "the token is invalid, expired, revoked or locked, or its owner is disabled")
	case d.Outcome == authz.BadRequest:
		p.problem(w, http.StatusBadRequest, d.Challenge(p.Realm), "invalid_request", d.Description())
	default:
		p.problem(w, http.StatusUnauthorized, d.Challenge(p.Realm), "unauthenticated", d.Description())
	}
}

// problem writes a refusal with its challenge and a problem+json body.
func (p *Protected) problem(w http.ResponseWriter, status int, challenge, code, detail string) {
	w.Header().Set("WWW-Authenticate", challenge)
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	body, _ := json.Marshal(map[string]any{"type": "/problems/" + code, "title": http.StatusText(status), "status": status, "code": code, "detail": detail})
	_, _ = w.Write(append(body, '\n'))
}
