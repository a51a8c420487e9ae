// Package httpapi is the management API: API Gateway HTTP API (payload 2.0)
// events in, one service call each, JSON or problem+json out.
package httpapi

import (
	"time"

	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/scope"
)

// MaxBodyBytes bounds request bodies; the largest valid one is far smaller.
const MaxBodyBytes = 16 << 10

// Handler is the signature of every management function.
type Handler func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// Route is one operation of the management API and the function serving it.
// One name per operation: the function's directory in CamelCase is the
// name of its handler here and of the pat.Service method the handler
// calls (admin-lock-token: AdminLockToken and Service.AdminLockToken);
// keep-token's GET, which only shows what its POST would do, calls
// Service.PeekKeepToken.
type Route struct {
	Method   string
	Path     string
	Function string // directory under functions/ and, in CamelCase + "Function", the template's logical id
	Handler  Handler
	Public   bool // no JWT: the one-click keep page, reached from a mail; secret scanners' signed reports; a token rotating itself
}

// API serves the management routes.
type API struct {
	svc     *pat.Service
	catalog *scope.Catalog
	claims  config.Claims
	log     *slog.Logger
	leaks   LeakVerifier // whose signatures secret scanners' reports must carry
	// selfRotation decides on POST /tokens/self/rotate (SetSelfRotation).
	selfRotation *authz.Authorizer
}

// New returns the management API.
func New(svc *pat.Service, catalog *scope.Catalog, claims config.Claims, log *slog.Logger) *API {
	return &API{svc: svc, catalog: catalog, claims: claims, log: log, leaks: noKeys{}}
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
		// Its path matches /tokens/{id}/rotate too: API Gateway, and the
		// local gateway, take the route with the literal segment.
		{"POST", SelfRotatePath, "self-rotate-token", a.SelfRotateToken, true},
		{"GET", "/tokens/{id}/events", "list-token-events", a.ListTokenEvents, false},
		{"POST", "/tokens/{id}/extend", "extend-token", a.ExtendToken, false},
		{"POST", "/tokens/revoke-all", "revoke-all-tokens", a.RevokeAllTokens, false},
		{"POST", "/tokens/{id}/leaked", "report-leaked-token", a.ReportLeakedToken, false},
		{"GET", "/me", "get-me", a.GetMe, false},
		{"PATCH", "/me", "update-me", a.UpdateMe, false},
		{"GET", "/keep", "keep-token", a.KeepToken, true},
		{"POST", "/keep", "keep-token", a.KeepToken, true},
		{"GET", "/admin/tokens", "admin-list-tokens", a.AdminListTokens, false},
		{"GET", "/admin/tokens/{id}", "admin-get-token", a.AdminGetToken, false},
		{"POST", "/admin/tokens/{id}/lock", "admin-lock-token", a.AdminLockToken, false},
		{"POST", "/admin/tokens/{id}/unlock", "admin-unlock-token", a.AdminUnlockToken, false},
		{"POST", "/admin/tokens/{id}/leaked", "admin-report-leaked-token", a.AdminReportLeakedToken, false},
		{"DELETE", "/admin/tokens/{id}", "admin-revoke-token", a.AdminRevokeToken, false},
		{"POST", "/admin/tokens/revoke-all", "admin-revoke-all", a.AdminRevokeAll, false},
		{"GET", "/admin/users", "admin-list-users", a.AdminListUsers, false},
		{"GET", "/admin/users/{id}", "admin-get-user", a.AdminGetUser, false},
		{"POST", "/admin/users/{id}/tokens", "admin-create-token", a.AdminCreateToken, false},
		{"PATCH", "/admin/users/{id}", "admin-update-user", a.AdminUpdateUser, false},
		{"GET", "/admin/audit", "admin-list-audit", a.AdminListAudit, false},
		{"POST", "/leaks/github", "report-leaks", a.ReportLeaks, true},
		{"GET", "/problems/{code}", "problem-page", ProblemPage, true},
	}
}

type createRequest struct {
	Name          string   `json:"name"`
	Description   string   `json:"description"`
	Scopes        []string `json:"scopes"`
	ExpiresAt     *string  `json:"expiresAt"`
	ExpiresInDays *int     `json:"expiresInDays"`
	NeverExpires  bool     `json:"neverExpires"`
	// AllowedSources: addresses and CIDR ranges the token may be used from.
	AllowedSources []string `json:"allowedSources"`
}

// CreateToken: POST /tokens.
func (a *API) CreateToken(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serve(ctx, req, func(id pat.Identity) (int, any, error) {
		in, err := createInput(req)
		if err != nil {
			return 0, nil, err
		}
		c, err := a.svc.CreateToken(ctx, id, in)
		return 201, a.created(c), err
	})
}

// createInput reads the body of POST /tokens (and of an administrator's
// POST /admin/users/{id}/tokens).
func createInput(req events.APIGatewayV2HTTPRequest) (pat.CreateInput, error) {
	var body createRequest
	if err := decodeBody(req, &body); err != nil {
		return pat.CreateInput{}, err
	}
	in := pat.CreateInput{Name: body.Name, Description: body.Description, Scopes: body.Scopes,
		ExpiresInDays: body.ExpiresInDays, NeverExpires: body.NeverExpires, AllowedSources: body.AllowedSources}
	if body.ExpiresAt != nil {
		at, err := parseTime("expiresAt", *body.ExpiresAt)
		if err != nil {
			return pat.CreateInput{}, err
		}
		in.ExpiresAt = &at
	}
	return in, nil
}

// ListTokens: GET /tokens?status=&q=&limit=&cursor=.
func (a *API) ListTokens(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serve(ctx, req, func(id pat.Identity) (int, any, error) {
		limit, err := limitParam(req)
		if err != nil {
			return 0, nil, err
		}
		q := req.QueryStringParameters
		f := pat.OwnTokenFilter{Status: pat.Status(q["status"]), Query: q["q"]}
		page, err := a.svc.ListTokens(ctx, id, f, q["cursor"], limit)
		return 200, listOf(page, a.tokenView), err
	})
}

// GetToken: GET /tokens/{id}.
func (a *API) GetToken(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serve(ctx, req, func(id pat.Identity) (int, any, error) {
		t, err := a.svc.GetToken(ctx, id, req.PathParameters["id"])
		return 200, a.tokenView(t), err
	})
}

type updateRequest struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
	// AllowedSources replaces the limit; [] lifts it.
	AllowedSources *[]string `json:"allowedSources"`
}

// UpdateToken: PATCH /tokens/{id}.
func (a *API) UpdateToken(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serve(ctx, req, func(id pat.Identity) (int, any, error) {
		var body updateRequest
		if err := decodeBody(req, &body); err != nil {
			return 0, nil, err
		}
		t, err := a.svc.UpdateToken(ctx, id, req.PathParameters["id"], pat.UpdateInput(body))
		return 200, a.tokenView(t), err
	})
}

// RevokeToken: DELETE /tokens/{id}.
func (a *API) RevokeToken(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serve(ctx, req, func(id pat.Identity) (int, any, error) {
		return 204, nil, a.svc.RevokeToken(ctx, id, req.PathParameters["id"])
	})
}

// rotateRequest is the optional body of a rotation.
type rotateRequest struct {
	OverlapSeconds           int64 `json:"overlapSeconds"`
	RevokeReplacementOnReuse bool  `json:"revokeReplacementOnReuse"`
}

func (r rotateRequest) input() pat.RotateInput {
	overlap := time.Duration(r.OverlapSeconds) * time.Second
	if r.OverlapSeconds < 0 || r.OverlapSeconds > int64(pat.MaxOverlap/time.Second) {
		overlap = -1 // out of bounds, without overflow: the domain refuses it
	}
	return pat.RotateInput{Overlap: overlap, RevokeReplacementOnReuse: r.RevokeReplacementOnReuse}
}

// RotateToken: POST /tokens/{id}/rotate, with an optional body.
func (a *API) RotateToken(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serve(ctx, req, func(id pat.Identity) (int, any, error) {
		var body rotateRequest
		if err := optionalBody(req, &body); err != nil {
			return 0, nil, err
		}
		c, err := a.svc.RotateToken(ctx, id, req.PathParameters["id"], body.input())
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
		t, err := a.svc.ExtendToken(ctx, id, req.PathParameters["id"], pat.ExtendInput(body))
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
		page, err := a.svc.ListTokenEvents(ctx, id, req.PathParameters["id"], req.QueryStringParameters["cursor"], limit)
		return 200, listOf(page, ownerEventView(id.UserID)), err
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
	body, err := encodeJSON(result)
	if err != nil {
		return a.problemFor(ctx, req, fmt.Errorf("encode response: %w", err)), nil
	}
	return respond(status, "application/json", body), nil
}

// decodeBody reads one JSON object, refusing other media types, bodies over
// MaxBodyBytes, invalid UTF-8, unpaired surrogate escapes (encoding/json
// would silently turn both into U+FFFD), unknown fields and trailing data.
func decodeBody(req events.APIGatewayV2HTTPRequest, dst any) error {
	if err := jsonMediaType(header(req, "content-type")); err != nil {
		return err
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
	if !utf8.Valid(raw) {
		return pat.Errorf(pat.CodeInvalid, "body: not valid UTF-8")
	}
	if at := loneSurrogate(raw); at >= 0 {
		return pat.Errorf(pat.CodeInvalid, "body: an unpaired UTF-16 surrogate escape at byte %d", at)
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

// jsonMediaType accepts application/json, with at most a UTF-8 charset.
func jsonMediaType(ct string) error {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return pat.Errorf(pat.CodeUnsupportedMedia, "send the body as application/json (Content-Type: application/json)")
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return pat.Errorf(pat.CodeUnsupportedMedia, "send the body as application/json in UTF-8, with no parameter but charset=utf-8")
		}
	}
	return nil
}

// loneSurrogate returns the offset of the first \uD800-\uDFFF escape in a
// JSON string that is not a high surrogate followed at once by a low one,
// or -1. Outside strings there are no escapes.
func loneSurrogate(raw []byte) int {
	inString := false
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c == '"':
			inString = !inString
		case inString && c == '\\' && i+1 < len(raw):
			if raw[i+1] != 'u' {
				i++ // a one-character escape, such as \" or \\
				continue
			}
			r, ok := hex4(raw, i+2)
			switch {
			case !ok || r < 0xD800 || r > 0xDFFF:
			case r >= 0xDC00:
				return i // a low surrogate with no high one before it
			default:
				low, ok := uint16(0), false
				if i+7 < len(raw) && raw[i+6] == '\\' && raw[i+7] == 'u' {
					low, ok = hex4(raw, i+8)
				}
				if !ok || low < 0xDC00 || low > 0xDFFF {
					return i
				}
				i += 6 // the pair's low half is checked
			}
			i += 5
		}
	}
	return -1
}

// hex4 reads four hex digits at raw[at:].
func hex4(raw []byte, at int) (uint16, bool) {
	if at+4 > len(raw) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(raw[at:at+4]), 16, 16)
	return uint16(n), err == nil
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
