package httpapi

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/pat"
)

// serveAdmin is serve for the /admin routes: a caller without the
// administrator role gets 403 before anything else happens. (The service
// checks the role again.)
func (a *API) serveAdmin(ctx context.Context, req events.APIGatewayV2HTTPRequest, op func(pat.Identity) (int, any, error)) (events.APIGatewayV2HTTPResponse, error) {
	return a.serve(ctx, req, func(id pat.Identity) (int, any, error) {
		if !id.Admin {
			return 0, nil, pat.Errorf(pat.CodeForbidden, "this needs the administrator role")
		}
		return op(id)
	})
}

// AdminListTokens: GET /admin/tokens?owner=&status=&sort=&expiringBefore=&lastUsedBefore=&limit=&cursor=.
func (a *API) AdminListTokens(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serveAdmin(ctx, req, func(id pat.Identity) (int, any, error) {
		q := req.QueryStringParameters
		f := pat.TokenFilter{OwnerID: q["owner"], Status: pat.Status(q["status"]), Order: pat.TokenOrder(q["sort"])}
		var err error
		if f.ExpiringBefore, err = timeParam(q, "expiringBefore"); err != nil {
			return 0, nil, err
		}
		if f.LastUsedBefore, err = timeParam(q, "lastUsedBefore"); err != nil {
			return 0, nil, err
		}
		limit, err := limitParam(req)
		if err != nil {
			return 0, nil, err
		}
		page, err := a.svc.AdminListTokens(ctx, id, f, q["cursor"], limit)
		return 200, listOf(page, a.adminTokenView), err
	})
}

// AdminGetToken: GET /admin/tokens/{id}.
func (a *API) AdminGetToken(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serveAdmin(ctx, req, func(id pat.Identity) (int, any, error) {
		t, err := a.svc.AdminGetToken(ctx, id, req.PathParameters["id"])
		return 200, a.adminTokenView(t), err
	})
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

// optionalBody decodes a body that may be left out.
func optionalBody(req events.APIGatewayV2HTTPRequest, dst any) error {
	if strings.TrimSpace(req.Body) == "" {
		return nil
	}
	return decodeBody(req, dst)
}

// AdminLockToken: POST /admin/tokens/{id}/lock {reason}.
func (a *API) AdminLockToken(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serveAdmin(ctx, req, func(id pat.Identity) (int, any, error) {
		var body reasonRequest
		if err := decodeBody(req, &body); err != nil {
			return 0, nil, err
		}
		t, err := a.svc.AdminLockToken(ctx, id, req.PathParameters["id"], body.Reason)
		return 200, a.adminTokenView(t), err
	})
}

// AdminUnlockToken: POST /admin/tokens/{id}/unlock {reason?}.
func (a *API) AdminUnlockToken(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serveAdmin(ctx, req, func(id pat.Identity) (int, any, error) {
		var body reasonRequest
		if err := optionalBody(req, &body); err != nil {
			return 0, nil, err
		}
		t, err := a.svc.AdminUnlockToken(ctx, id, req.PathParameters["id"], body.Reason)
		return 200, a.adminTokenView(t), err
	})
}

// AdminRevokeToken: DELETE /admin/tokens/{id} {reason?}.
func (a *API) AdminRevokeToken(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serveAdmin(ctx, req, func(id pat.Identity) (int, any, error) {
		var body reasonRequest
		if err := optionalBody(req, &body); err != nil {
			return 0, nil, err
		}
		return 204, nil, a.svc.AdminRevokeToken(ctx, id, req.PathParameters["id"], body.Reason)
	})
}

type revokeAllRequest struct {
	Owner    string `json:"owner"`
	Everyone bool   `json:"everyone"`
	Preview  bool   `json:"preview"`
	Confirm  *int   `json:"confirm"`
	Reason   string `json:"reason"`
}

// AdminRevokeAll: POST /admin/tokens/revoke-all {owner | everyone, preview | confirm, reason?}.
func (a *API) AdminRevokeAll(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serveAdmin(ctx, req, func(id pat.Identity) (int, any, error) {
		var body revokeAllRequest
		if err := decodeBody(req, &body); err != nil {
			return 0, nil, err
		}
		res, err := a.svc.AdminRevokeAll(ctx, id, pat.RevokeAllInput{OwnerID: body.Owner, Everyone: body.Everyone,
			Preview: body.Preview, Confirm: body.Confirm, Reason: body.Reason})
		return 200, revokeAllView(res, body.Preview), err
	})
}

type ownRevokeAllRequest struct {
	Preview bool `json:"preview"`
	Confirm *int `json:"confirm"`
}

// RevokeAllTokens: POST /tokens/revoke-all {preview | confirm}: the caller's own tokens.
func (a *API) RevokeAllTokens(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serve(ctx, req, func(id pat.Identity) (int, any, error) {
		var body ownRevokeAllRequest
		if err := optionalBody(req, &body); err != nil {
			return 0, nil, err
		}
		res, err := a.svc.RevokeAllTokens(ctx, id, body.Preview, body.Confirm)
		return 200, revokeAllView(res, body.Preview), err
	})
}

// AdminCreateToken: POST /admin/users/{id}/tokens, the body of POST /tokens.
func (a *API) AdminCreateToken(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serveAdmin(ctx, req, func(id pat.Identity) (int, any, error) {
		in, err := createInput(req)
		if err != nil {
			return 0, nil, err
		}
		c, err := a.svc.AdminCreateToken(ctx, id, req.PathParameters["id"], in)
		return 201, adminCreatedJSON{adminTokenJSON: a.adminTokenView(c.Token), Token: c.Secret}, err
	})
}

// AdminGetUser: GET /admin/users/{id}.
func (a *API) AdminGetUser(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serveAdmin(ctx, req, func(id pat.Identity) (int, any, error) {
		u, err := a.svc.AdminGetUser(ctx, id, req.PathParameters["id"])
		return 200, userView(u), err
	})
}

type userRequest struct {
	Status *pat.UserStatus `json:"status"`
	// Permissions sets the limit of the user's permissions; null removes it.
	Permissions json.RawMessage `json:"permissions"`
	Reason      string          `json:"reason"`
}

// AdminUpdateUser: PATCH /admin/users/{id} {status?, permissions?, reason?}.
func (a *API) AdminUpdateUser(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serveAdmin(ctx, req, func(id pat.Identity) (int, any, error) {
		var body userRequest
		if err := decodeBody(req, &body); err != nil {
			return 0, nil, err
		}
		in := pat.UserUpdate{Status: body.Status, Reason: body.Reason}
		if body.Permissions != nil {
			var limit []string
			if err := json.Unmarshal(body.Permissions, &limit); err != nil {
				return 0, nil, pat.Errorf(pat.CodeInvalid, "body: field permissions: want an array of scopes, or null to remove the limit")
			}
			in.Limit = &limit
		}
		u, err := a.svc.AdminUpdateUser(ctx, id, req.PathParameters["id"], in)
		return 200, userView(u), err
	})
}

// AdminListAudit: GET /admin/audit?actor=&owner=&token=&action=&from=&to=&limit=&cursor=.
func (a *API) AdminListAudit(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serveAdmin(ctx, req, func(id pat.Identity) (int, any, error) {
		q := req.QueryStringParameters
		f := pat.AuditFilter{ActorID: q["actor"], OwnerID: q["owner"], TokenID: q["token"], Action: q["action"]}
		var err error
		if f.From, err = timeParam(q, "from"); err != nil {
			return 0, nil, err
		}
		if f.To, err = timeParam(q, "to"); err != nil {
			return 0, nil, err
		}
		limit, err := limitParam(req)
		if err != nil {
			return 0, nil, err
		}
		page, err := a.svc.AdminListAudit(ctx, id, f, q["cursor"], limit)
		return 200, listOf(page, eventView), err
	})
}

func timeParam(q map[string]string, name string) (*time.Time, error) {
	v, ok := q[name]
	if !ok {
		return nil, nil
	}
	t, err := parseTime(name, v)
	if err != nil {
		return nil, err
	}
	return &t, nil
}
