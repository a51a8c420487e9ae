package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/patservice/pat/internal/apigw"
	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/awsclient"
	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/scope"
	"github.com/patservice/pat/internal/token"
)

// NewAuthorizer builds the request authorizer from a configuration and a client.
func NewAuthorizer(cfg config.Authorizer, db dynamo.AuthAPI, log *slog.Logger) (*authz.Authorizer, error) {
	format, err := token.NewFormat(cfg.TokenPrefix)
	if err != nil {
		return nil, fmt.Errorf("configuration: TOKEN_PREFIX: %w", err)
	}
	catalog, err := scope.Default()
	if err != nil {
		return nil, err
	}
	a := authz.New(dynamo.NewAuthReader(db, cfg.TokensTable), format, catalog, log)
	a.LastUseInterval, a.Timeout = cfg.LastUseInterval, cfg.Timeout
	return a, nil
}

// MustAuthorizer builds the authorizer's handler from the environment for
// its main, ending the cold start on a bad configuration.
func MustAuthorizer(ctx context.Context) *apigw.Handler {
	log := lambdacontext.NewLogger()
	cfg, err := config.AuthorizerFromEnv()
	var a *authz.Authorizer
	if err == nil {
		var db dynamo.AuthAPI
		// Two attempts at most: the decision's deadline is short.
		if db, err = awsclient.DynamoDB(func(o *dynamodb.Options) { o.RetryMaxAttempts = 2 }); err == nil {
			a, err = NewAuthorizer(cfg, db, log)
		}
	}
	if err != nil {
		log.Error("cold start failed", "error", err)
		os.Exit(1)
	}
	return apigw.New(a)
}
