package httpapi

import (
	"context"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/pat"
)

// AdminListUsers: GET /admin/users?sort=name|email&prefix=&limit=&cursor=.
func (a *API) AdminListUsers(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serveAdmin(ctx, req, func(id pat.Identity) (int, any, error) {
		q := req.QueryStringParameters
		limit, err := limitParam(req)
		if err != nil {
			return 0, nil, err
		}
		page, err := a.svc.AdminListUsers(ctx, id, pat.DirectoryQuery{Order: pat.DirectoryOrder(q["sort"]), Prefix: q["prefix"]}, q["cursor"], limit)
		return 200, listOf(page, userView), err
	})
}
