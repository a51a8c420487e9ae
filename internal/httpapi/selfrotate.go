package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/scope"
)

// SelfRotatePath is the management API's route on which a token rotates
// itself; it needs scope.SelfRotate.
const SelfRotatePath = "/tokens/self/rotate"

// SetSelfRotation makes POST /tokens/self/rotate decide with a: the
// request authorizer's code (one read: digest, status, owner, expiry,
// allowed sources, reuse), on that one route (authz.Authorizer.OnlyRoute).
// Without it the route answers 500 and changes nothing.
func (a *API) SetSelfRotation(auth *authz.Authorizer) { a.selfRotation = auth }

// Problem codes of the self-rotation's refusals of its credentials: RFC
// 6750's, as the request authorizer answers on every other API, and the
// reason of a refusal by source address, which it logs.
const (
	codeInvalidToken      pat.Code = "invalid_token"
	codeInsufficientScope pat.Code = "insufficient_scope"
	codeSourceNotAllowed  pat.Code = "source_not_allowed"
)

// SelfRotateToken: POST /tokens/self/rotate {overlapSeconds?,
// revokeReplacementOnReuse?}. No JWT: the token in Authorization
// authenticates itself, from the address API Gateway saw (never a
// forwarded-for header). The body is read before the token is looked up,
// so that a bad one changes nothing, not even the token's last use; a
// refusal of the token is RFC 6750's, with WWW-Authenticate.
func (a *API) SelfRotateToken(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	if a.selfRotation == nil {
		return a.problemFor(ctx, req, errors.New("self-rotation: no authorizer wired")), nil
	}
	areq := selfRotationRequest(req)
	var in pat.RotateInput
	if _, _, decided := authz.Precheck(areq); !decided {
		var body rotateRequest
		if err := optionalBody(req, &body); err != nil {
			return a.problemFor(ctx, req, err), nil
		}
		in = body.input()
		if err := in.Check(); err != nil {
			return a.problemFor(ctx, req, err), nil
		}
	}
	d, err := a.selfRotation.Authorize(ctx, areq)
	if err != nil {
		return a.problemFor(ctx, req, err), nil
	}
	if d.Outcome != authz.Allowed {
		return a.refuseToken(d, d.Description()), nil
	}
	rc := req.RequestContext
	from := pat.Origin{SourceIP: rc.HTTP.SourceIP, UserAgent: rc.HTTP.UserAgent}
	from.ConsoleURL, from.KeepURL = links(rc)
	c, err := a.svc.SelfRotateToken(ctx, d.TokenID, from, in)
	if err != nil {
		if refused, ok := serviceRefusal(d, err); ok {
			a.log.WarnContext(ctx, "self-rotation refused", "tokenId", d.TokenID, "code", pat.ErrorCode(err))
			pe, _ := errors.AsType[*pat.Error](err)
			return a.refuseToken(refused, pe.Message), nil
		}
		return a.problemFor(ctx, req, err), nil
	}
	a.log.InfoContext(ctx, "token self-rotated", "tokenId", d.TokenID, "replacedBy", c.Token.ID, "userId", c.Token.UserID)
	out, err := encodeJSON(a.created(c))
	if err != nil {
		return a.problemFor(ctx, req, err), nil
	}
	return respond(http.StatusCreated, "application/json", out), nil
}

// selfRotationRequest is what the decision knows of the request: the
// route API Gateway matched, the Authorization header (several are joined
// with ",", which the decision refuses), a token in the query (refused)
// and the source address API Gateway saw.
func selfRotationRequest(req events.APIGatewayV2HTTPRequest) authz.Request {
	method, path, _ := strings.Cut(req.RouteKey, " ")
	_, inQuery := req.QueryStringParameters["access_token"]
	return authz.Request{
		Authorization: header(req, "authorization"),
		QueryToken:    inQuery,
		Method:        method,
		Path:          path,
		SourceIP:      req.RequestContext.HTTP.SourceIP,
		UserAgent:     req.RequestContext.HTTP.UserAgent,
	}
}

// serviceRefusal turns the service's refusal of the token itself into
// the decision's answer: a token the decision let through that may not
// rotate (in its overlap it still works, but its replacement exists), or
// one whose state changed between the decision and the rotation.
func serviceRefusal(d authz.Decision, err error) (authz.Decision, bool) {
	if _, ok := errors.AsType[*pat.Error](err); !ok {
		return authz.Decision{}, false // internal: 500
	}
	refused := authz.Decision{Outcome: authz.Unauthorized, TokenID: d.TokenID}
	switch pat.ErrorCode(err) {
	case pat.CodeTokenNotActive:
		refused.Reason = authz.ReasonRevoked
	case pat.CodeTokenLocked:
		refused.Reason = authz.ReasonLocked
	case pat.CodeUserDisabled:
		refused.Reason = authz.ReasonOwnerDisabled
	case pat.CodeNotFound:
		refused.Reason = authz.ReasonUnknown
	case pat.CodeScopeNotPermitted:
		refused.Outcome, refused.Reason, refused.RequiredScope = authz.Forbidden, authz.ReasonScope, scope.SelfRotate
	default:
		return authz.Decision{}, false
	}
	return refused, true
}

// refuseToken answers a refused decision: 401 invalid_token, 403
// insufficient_scope or source_not_allowed, 400 invalid_request for
// credentials sent twice or in the query; with the decision's
// WWW-Authenticate.
func (a *API) refuseToken(d authz.Decision, detail string) events.APIGatewayV2HTTPResponse {
	status, code := http.StatusUnauthorized, codeInvalidToken
	var scopes []string
	switch {
	case d.Outcome == authz.BadRequest:
		status, code = http.StatusBadRequest, pat.CodeInvalid
	case d.Outcome == authz.Forbidden && d.Reason == authz.ReasonSource:
		status, code = http.StatusForbidden, codeSourceNotAllowed
	case d.Outcome == authz.Forbidden:
		status, code = http.StatusForbidden, codeInsufficientScope
		if d.RequiredScope != "" {
			scopes = []string{d.RequiredScope}
		}
	}
	p := Problem{Type: problemType + string(code), Title: http.StatusText(status), Status: status, Detail: detail, Code: code, Scopes: scopes}
	body, _ := encodeJSON(p)
	resp := respond(status, "application/problem+json", body)
	resp.Headers["WWW-Authenticate"] = d.Challenge(a.selfRotation.Realm)
	return resp
}
