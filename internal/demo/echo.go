// Package demo is the example backend behind the authorizer: it answers
// with what the authorizer told it, so a person can see who called, with
// which token and scopes, and whether an administrator issued the token.
package demo

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/events"
)

// Echo answers a REST API proxy request with its method, path and the
// authorizer's context.
func Echo(_ context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	auth := req.RequestContext.Authorizer
	body, err := json.Marshal(map[string]any{
		"method":  req.HTTPMethod,
		"path":    req.Path,
		"userId":  auth["userId"],
		"tokenId": auth["tokenId"],
		"scopes":  auth["scopes"],
		// owner or admin: who made the token
		"issuedBy": auth["issuedBy"],
	})
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	return events.APIGatewayProxyResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(body) + "\n"}, nil
}
