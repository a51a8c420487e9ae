// Package authorizer wires the request authorizer on its own: configuration
// → DynamoDB client → reader → decision → API Gateway adapter. It is kept
// apart from package app so that the authorizer's binary carries nothing of
// the management API, the lifecycle job or mail.
package authorizer

import (
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/patservice/pat/internal/apigw"
	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/awsclient"
	"github.com/patservice/pat/internal/coldstart"
	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/scope"
	"github.com/patservice/pat/internal/token"
)

var (
	_ dynamo.AuthAPI = (*dynamodb.Client)(nil)
	_ authz.Reader   = (*dynamo.AuthReader)(nil)
)

// New builds the decision maker from a configuration and a client.
func New(cfg config.Authorizer, db dynamo.AuthAPI, log *slog.Logger) (*authz.Authorizer, error) {
	format, err := token.NewFormat(cfg.TokenPrefix)
	if err != nil {
		return nil, fmt.Errorf("configuration: TOKEN_PREFIX: %w", err)
	}
	catalog, err := scope.Default()
	if err != nil {
		return nil, err
	}
	var reader authz.Reader = dynamo.NewAuthReader(db, cfg.TokensTable, cfg.AuditTable)
	if cfg.DecisionCache > 0 {
		reader = authz.NewCachedReader(reader, cfg.DecisionCache)
	}
	a := authz.New(reader, format, catalog, log)
	a.LastUseInterval, a.Timeout, a.AllowLogSample, a.Realm, a.AuditRetention = cfg.LastUseInterval, cfg.Timeout, cfg.AllowLogSample, cfg.Realm, cfg.AuditRetention
	return a, nil
}

// FromEnv builds the authorizer's handler from the environment.
func FromEnv(log *slog.Logger) (*apigw.Handler, error) {
	cfg, err := config.AuthorizerFromEnv()
	if err != nil {
		return nil, err
	}
	// Two attempts at most: the decision's deadline is short.
	db, err := awsclient.DynamoDB(func(o *dynamodb.Options) { o.RetryMaxAttempts = 2 })
	if err != nil {
		return nil, err
	}
	a, err := New(cfg, db, log)
	if err != nil {
		return nil, err
	}
	return apigw.New(a), nil
}

// Must is FromEnv for the function's main.
func Must() *apigw.Handler { return coldstart.Must(FromEnv) }
