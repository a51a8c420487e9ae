// Package apigw adapts the authorizer to API Gateway's Lambda authorizer
// events: REST API REQUEST authorizers (an IAM policy, or the error
// "Unauthorized" for 401) and HTTP API payload 2.0 authorizers (a simple
// response). One function serves both; Handle tells them apart.
package apigw

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/authz"
)

// ErrUnauthorized is the error API Gateway REST APIs turn into 401.
var ErrUnauthorized = errors.New("Unauthorized")

// Handler serves authorizer events.
type Handler struct {
	authz *authz.Authorizer
}

// New returns a Handler.
func New(a *authz.Authorizer) *Handler { return &Handler{authz: a} }

// Handle accepts either event version: payload 2.0 events say so in "version".
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var probe struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("authorizer event: %w", err)
	}
	if probe.Version == "2.0" {
		var ev events.APIGatewayV2CustomAuthorizerV2Request
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("HTTP API authorizer event: %w", err)
		}
		return h.HTTP(ctx, ev)
	}
	var ev events.APIGatewayCustomAuthorizerRequestTypeRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("REST API authorizer event: %w", err)
	}
	return h.REST(ctx, ev)
}

// REST answers a REST API REQUEST authorizer event. Allow and 403 are IAM
// policies for exactly the method ARN asked about, so that a cached answer
// is never applied to another route; 401 is the error "Unauthorized". Any
// other error makes API Gateway answer 500: the request does not pass.
func (h *Handler) REST(ctx context.Context, ev events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	_, inQuery := ev.QueryStringParameters["access_token"]
	_, inMultiQuery := ev.MultiValueQueryStringParameters["access_token"]
	req := authz.Request{
		Authorization: authorization(ev.Headers, ev.MultiValueHeaders),
		QueryToken:    inQuery || inMultiQuery,
		Method:        ev.HTTPMethod,
		// A REST API passes both still percent-encoded, as the backend gets
		// the path; requestContext.path has the stage (or a custom domain's
		// base path) in front. resource is the route's template, not the
		// request.
		Path:      ev.Path,
		FullPath:  ev.RequestContext.Path,
		SourceIP:  ev.RequestContext.Identity.SourceIP,
		UserAgent: header(ev.Headers, "user-agent"),
	}
	d, err := h.authz.Authorize(ctx, req)
	if err != nil {
		return events.APIGatewayCustomAuthorizerResponse{}, errors.New("authorizer unavailable")
	}
	// A REST authorizer can answer 401 only by this error, whose Gateway
	// Response cannot tell one refusal from another; invalid_request (400)
	// has no way at all, so it is a 401 too.
	if d.Outcome == authz.Unauthorized || d.Outcome == authz.BadRequest {
		return events.APIGatewayCustomAuthorizerResponse{}, ErrUnauthorized
	}
	effect, principal := "Deny", "anonymous"
	if d.Outcome == authz.Allowed {
		effect, principal = "Allow", d.UserID
	}
	return events.APIGatewayCustomAuthorizerResponse{
		PrincipalID: principal,
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{
			Version: "2012-10-17",
			Statement: []events.IAMPolicyStatement{{
				Action: []string{"execute-api:Invoke"}, Effect: effect, Resource: []string{ev.MethodArn},
			}},
		},
		Context: h.decisionContext(d),
	}, nil
}

// HTTP answers an HTTP API payload 2.0 authorizer event with a simple
// response. HTTP APIs answer every isAuthorized=false with 403; the
// context still says which RFC 6750 error it was.
func (h *Handler) HTTP(ctx context.Context, ev events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
	path := ev.RawPath
	if stage := ev.RequestContext.Stage; stage != "" && stage != "$default" {
		path = strings.TrimPrefix(path, "/"+stage)
	}
	header := ev.Headers["authorization"]
	if header == "" && len(ev.IdentitySource) == 1 {
		header = ev.IdentitySource[0]
	}
	_, inQuery := ev.QueryStringParameters["access_token"]
	d, err := h.authz.Authorize(ctx, authz.Request{
		Authorization: header,
		QueryToken:    inQuery,
		Method:        ev.RequestContext.HTTP.Method,
		// An HTTP API passes rawPath and requestContext.http.path decoded
		// once (whatever the name says): an encoded "/" or "." arrives as
		// itself, an encoded "%" as "%", and the rule refuses both forms.
		Path:      path,
		FullPath:  ev.RequestContext.HTTP.Path,
		SourceIP:  ev.RequestContext.HTTP.SourceIP,
		UserAgent: ev.RequestContext.HTTP.UserAgent,
	})
	if err != nil {
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{}, errors.New("authorizer unavailable")
	}
	return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: d.Outcome == authz.Allowed, Context: h.decisionContext(d)}, nil
}

// decisionContext is what the backend (or a gateway response) learns of a
// decision: on Allow who called, with which token and effective scopes, and
// whether the owner made the token or an administrator made it for them
// (issuedBy: owner or admin); on
// Deny the RFC 6750 error, the scope that was missing and the whole
// WWW-Authenticate value, which the REST Gateway Response ACCESS_DENIED
// maps to its header.
func (h *Handler) decisionContext(d authz.Decision) map[string]any {
	if d.Outcome == authz.Allowed {
		issuedBy := "owner"
		if d.IssuedByAdmin {
			issuedBy = "admin"
		}
		return map[string]any{"userId": d.UserID, "tokenId": d.TokenID, "scopes": strings.Join(d.Scopes, " "), "issuedBy": issuedBy}
	}
	c := map[string]any{"error": d.ErrorCode(), "errorDescription": d.Description(), "wwwAuthenticate": d.Challenge(h.authz.Realm)}
	if d.RequiredScope != "" {
		c["requiredScope"] = d.RequiredScope
	}
	return c
}

// authorization finds the Authorization header whatever its case. Several
// values are joined with ",", which no token contains, so they are refused.
func authorization(single map[string]string, multi map[string][]string) string {
	for k, vs := range multi {
		if strings.EqualFold(k, "authorization") && len(vs) > 0 {
			return strings.Join(vs, ",")
		}
	}
	var found []string
	for k, v := range single {
		if strings.EqualFold(k, "authorization") {
			found = append(found, v)
		}
	}
	return strings.Join(found, ",")
}

func header(headers map[string]string, name string) string {
	for k, v := range headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}
