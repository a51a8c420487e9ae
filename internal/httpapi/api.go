// Package httpapi is the management API: API Gateway HTTP API (payload 2.0)
// events in, one service call each, JSON or problem+json out.
package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/scope"
)

// MaxBodyBytes bounds request bodies; the largest valid one is far smaller.
const MaxBodyBytes = 16 << 10

// Handler is the signature of every management function.
type Handler func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// Route is one operation of the management API and the function serving it.
type Route struct {
	Method   string
	Path     string
	Function string // directory under functions/ and, in CamelCase + "Function", the template's logical id
	Handler  Handler
	Public   bool // no JWT: the one-click keep page, reached from a mail
}

// API serves the management routes.
type API struct {
	svc     *pat.Service
	catalog *scope.Catalog
	claims  config.Claims
	log     *slog.Logger
}

// New returns the management API.
func New(svc *pat.Service, catalog *scope.Catalog, claims config.Claims, log *slog.Logger) *API {
	return &API{svc: svc, catalog: catalog, claims: claims, log: log}
}

// Routes lists every management route: the template, the local server and
// the tests all follow this list.
func (a *API) Routes() []Route {
	return []Route{
		{"POST", "/tokens", "create-token", a.CreateToken, false},
		{"GET", "/tokens", "list-tokens", a.ListTokens, false},
		{"GET", "/tokens/{id}", "get-token", a.GetToken, false},
		{"PATCH", "/tokens/{id}", "update-token", a.UpdateToken, false},
		{"DELETE", "/tokens/{id}", "revoke-token", a.RevokeToken, false},
		{"POST", "/tokens/{id}/rotate", "rotate-token", a.RotateToken, false},
		{"GET", "/tokens/{id}/events", "list-token-events", a.ListTokenEvents, false},
		{"POST", "/tokens/{id}/extend", "extend-token", a.ExtendToken, false},
		{"POST", "/tokens/revoke-all", "revoke-all-tokens", a.RevokeAllTokens, false},
		{"GET", "/me", "get-me", a.GetMe, false},
		{"GET", "/keep", "keep-token", a.KeepPage, true},
		{"POST", "/keep", "keep-token", a.KeepPage, true},
		{"GET", "/admin/tokens", "admin-list-tokens", a.AdminListTokens, false},
		{"GET", "/admin/tokens/{id}", "admin-get-token", a.AdminGetToken, false},
		{"POST", "/admin/tokens/{id}/lock", "admin-lock-token", a.LockToken, false},
		{"POST", "/admin/tokens/{id}/unlock", "admin-unlock-token", a.UnlockToken, false},
		{"DELETE", "/admin/tokens/{id}", "admin-revoke-token", a.AdminRevokeToken, false},
		{"POST", "/admin/tokens/revoke-all", "admin-revoke-all", a.AdminRevokeAll, false},
		{"GET", "/admin/users/{id}", "admin-get-user", a.GetUser, false},
		{"PATCH", "/admin/users/{id}", "admin-update-user", a.UpdateUser, false},
		{"GET", "/admin/audit", "admin-list-audit", a.ListAudit, false},
	}
}

type createRequest struct {
	Name          string   `json:"name"`
	Description   string   `json:"description"`
	Scopes        []string `json:"scopes"`
	ExpiresAt     *string  `json:"expiresAt"`
	ExpiresInDays *int     `json:"expiresInDays"`
	NeverExpires  bool     `json:"neverExpires"`
}

// CreateToken: POST /tokens.
func (a *API) CreateToken(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serve(ctx, req, func(id pat.Identity) (int, any, error) {
		var body createRequest
		if err := decodeBody(req, &body); err != nil {
			return 0, nil, err
		}
		in := pat.CreateInput{Name: body.Name, Description: body.Description, Scopes: body.Scopes,
			ExpiresInDays: body.ExpiresInDays, NeverExpires: body.NeverExpires}
		if body.ExpiresAt != nil {
			at, err := parseTime("expiresAt", *body.ExpiresAt)
			if err != nil {
				return 0, nil, err
			}
			in.ExpiresAt = &at
		}
		c, err := a.svc.Create(ctx, id, in)
		return 201, a.created(c), err
	})
}

// ListTokens: GET /tokens?limit=&cursor=.
func (a *API) ListTokens(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serve(ctx, req, func(id pat.Identity) (int, any, error) {
		limit, err := limitParam(req)
		if err != nil {
			return 0, nil, err
		}
		page, err := a.svc.List(ctx, id, req.QueryStringParameters["cursor"], limit)
		return 200, listOf(page, a.tokenView), err
	})
}

// GetToken: GET /tokens/{id}.
func (a *API) GetToken(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serve(ctx, req, func(id pat.Identity) (int, any, error) {
		t, err := a.svc.Get(ctx, id, req.PathParameters["id"])
		return 200, a.tokenView(t), err
	})
}

type updateRequest struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

// UpdateToken: PATCH /tokens/{id}.
func (a *API) UpdateToken(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serve(ctx, req, func(id pat.Identity) (int, any, error) {
		var body updateRequest
		if err := decodeBody(req, &body); err != nil {
			return 0, nil, err
		}
		t, err := a.svc.Update(ctx, id, req.PathParameters["id"], pat.UpdateInput(body))
		return 200, a.tokenView(t), err
	})
}

// RevokeToken: DELETE /tokens/{id}.
func (a *API) RevokeToken(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serve(ctx, req, func(id pat.Identity) (int, any, error) {
		return 204, nil, a.svc.Revoke(ctx, id, req.PathParameters["id"])
	})
}

// RotateToken: POST /tokens/{id}/rotate.
func (a *API) RotateToken(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serve(ctx, req, func(id pat.Identity) (int, any, error) {
		c, err := a.svc.Rotate(ctx, id, req.PathParameters["id"])
		return 201, a.created(c), err
	})
}

type extendRequest struct {
	ExpiresInDays *int `json:"expiresInDays"`
}

// ExtendToken: POST /tokens/{id}/extend, with an optional body.
func (a *API) ExtendToken(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serve(ctx, req, func(id pat.Identity) (int, any, error) {
		var body extendRequest
		if err := optionalBody(req, &body); err != nil {
			return 0, nil, err
		}
		t, err := a.svc.Extend(ctx, id, req.PathParameters["id"], pat.ExtendInput(body))
		return 200, a.tokenView(t), err
	})
}

// ListTokenEvents: GET /tokens/{id}/events?limit=&cursor=.
func (a *API) ListTokenEvents(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serve(ctx, req, func(id pat.Identity) (int, any, error) {
		limit, err := limitParam(req)
		if err != nil {
			return 0, nil, err
		}
		page, err := a.svc.Events(ctx, id, req.PathParameters["id"], req.QueryStringParameters["cursor"], limit)
		return 200, listOf(page, eventView), err
	})
}

// serve authenticates the caller, runs one operation and writes its result.
func (a *API) serve(ctx context.Context, req events.APIGatewayV2HTTPRequest, op func(pat.Identity) (int, any, error)) (events.APIGatewayV2HTTPResponse, error) {
	id, err := a.identity(req)
	if err != nil {
		return a.problemFor(ctx, req, err), nil
	}
	status, result, err := op(id)
	if err != nil {
		return a.problemFor(ctx, req, err), nil
	}
	if result == nil {
		return respond(status, "application/json", nil), nil
	}
	body, err := json.Marshal(result)
	if err != nil {
		return a.problemFor(ctx, req, fmt.Errorf("encode response: %w", err)), nil
	}
	return respond(status, "application/json", body), nil
}

// identity reads the caller from the JWT authorizer's claims. API Gateway
// renders an array claim as "[a b c]"; a space- or comma-separated string
// (an OAuth "scope" claim) works too.
func (a *API) identity(req events.APIGatewayV2HTTPRequest) (pat.Identity, error) {
	auth := req.RequestContext.Authorizer
	if auth == nil || auth.JWT == nil || auth.JWT.Claims[a.claims.UserID] == "" {
		return pat.Identity{}, pat.Errorf(pat.CodeUnauthenticated, "no authenticated user: sign in")
	}
	claims := auth.JWT.Claims
	return pat.Identity{
		UserID:      claims[a.claims.UserID],
		Email:       claims[a.claims.Email],
		Permissions: a.catalog.Expand(claimList(claims[a.claims.Permissions])),
		SourceIP:    req.RequestContext.HTTP.SourceIP,
		UserAgent:   req.RequestContext.HTTP.UserAgent,
		Admin:       a.claims.AdminGroup != "" && slices.Contains(claimList(claims[a.claims.Groups]), a.claims.AdminGroup),
	}, nil
}

// claimList splits a list claim as API Gateway passes it on.
func claimList(v string) []string {
	return strings.FieldsFunc(strings.Trim(v, "[]"), func(r rune) bool {
		return r == ' ' || r == ',' || r == '\t'
	})
}

// decodeBody reads one JSON object, refusing unknown fields, trailing data,
// other media types and bodies over MaxBodyBytes.
func decodeBody(req events.APIGatewayV2HTTPRequest, dst any) error {
	if ct := header(req, "content-type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return pat.Errorf(pat.CodeUnsupportedMedia, "send the body as application/json")
		}
	}
	var r io.Reader = strings.NewReader(req.Body)
	if req.IsBase64Encoded {
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	raw, err := io.ReadAll(io.LimitReader(r, MaxBodyBytes+1))
	if err != nil {
		return pat.Errorf(pat.CodeInvalid, "body: not valid base64")
	}
	if len(raw) > MaxBodyBytes {
		return pat.Errorf(pat.CodeBodyTooLarge, "body: at most %d bytes", MaxBodyBytes)
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		return pat.Errorf(pat.CodeInvalid, "body: a JSON object is required")
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return pat.Errorf(pat.CodeInvalid, "body: %s", describeJSONError(err))
	}
	if dec.More() {
		return pat.Errorf(pat.CodeInvalid, "body: one JSON object only")
	}
	return nil
}

func describeJSONError(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ) && typ.Field != "":
		return fmt.Sprintf("field %s: want %s", typ.Field, jsonKind(typ.Type.Kind().String()))
	case errors.As(err, &typ):
		return "want a JSON object"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "malformed JSON: unexpected end"
	}
	return "malformed JSON"
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "int", "int64":
		return "a whole number"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	}
	return goKind
}

func limitParam(req events.APIGatewayV2HTTPRequest) (int, error) {
	v, ok := req.QueryStringParameters["limit"]
	if !ok {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > pat.MaxPageSize {
		return 0, pat.Errorf(pat.CodeInvalid, "limit: want 1 to %d", pat.MaxPageSize)
	}
	return n, nil
}

func header(req events.APIGatewayV2HTTPRequest, name string) string {
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}
