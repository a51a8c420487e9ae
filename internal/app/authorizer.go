package app

import (
	"fmt"
	"log/slog"

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
	a.LastUseInterval, a.Timeout, a.Realm = cfg.LastUseInterval, cfg.Timeout, cfg.Realm
	return a, nil
}

// Authorizer builds the authorizer's handler from the environment.
func Authorizer(log *slog.Logger) (*apigw.Handler, error) {
	cfg, err := config.AuthorizerFromEnv()
	if err != nil {
		return nil, err
	}
	// Two attempts at most: the decision's deadline is short.
	db, err := awsclient.DynamoDB(func(o *dynamodb.Options) { o.RetryMaxAttempts = 2 })
	if err != nil {
		return nil, err
	}
	a, err := NewAuthorizer(cfg, db, log)
	if err != nil {
		return nil, err
	}
	return apigw.New(a), nil
}

// MustAuthorizer is Authorizer for the function's main.
func MustAuthorizer() *apigw.Handler { return must(Authorizer) }
