// Package app wires the management API: configuration → AWS clients → store
// → service → handlers. Every function's main calls it once, at cold start;
// the local server and the tests call the same code.
package app

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/patservice/pat/internal/awsclient"
	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/httpapi"
	"github.com/patservice/pat/internal/lifecycle"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/scope"
	"github.com/patservice/pat/internal/sesmail"
	"github.com/patservice/pat/internal/token"
)

// Management builds the management API from the environment.
func Management(log *slog.Logger) (*httpapi.API, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, err
	}
	db, err := awsclient.DynamoDB()
	if err != nil {
		return nil, err
	}
	var mail sesmail.API
	// Notices link to the console: without its URL (ConsoleBaseUrl left
	// empty, see template.yaml) they wait for the lifecycle job, which has it.
	if cfg.MailFrom != "" && cfg.ConsoleURL != "" {
		if mail, err = awsclient.SES(); err != nil {
			return nil, err
		}
	}
	return NewManagement(cfg, db, mail, log)
}

// NewManagement builds the management API from a configuration and
// clients; without a mail client, notices wait for the lifecycle job.
func NewManagement(cfg config.Config, db dynamo.API, mail sesmail.API, log *slog.Logger) (*httpapi.API, error) {
	svc, catalog, err := NewService(cfg, db, mail, log)
	if err != nil {
		return nil, err
	}
	return httpapi.New(svc, catalog, cfg.Claims, log), nil
}

// NewService builds the token service and returns it with its catalog.
// Owners' notices of administrators' actions are sent through mail when
// it is not nil, else left in the outbox for the lifecycle job.
func NewService(cfg config.Config, db dynamo.API, mail sesmail.API, log *slog.Logger) (*pat.Service, *scope.Catalog, error) {
	format, err := token.NewFormat(cfg.TokenPrefix)
	if err != nil {
		return nil, nil, fmt.Errorf("configuration: TOKEN_PREFIX: %w", err)
	}
	catalog, err := scope.Default()
	if err != nil {
		return nil, nil, err
	}
	store := dynamo.NewStore(db, cfg.TokensTable, cfg.AuditTable)
	svc := pat.NewService(store, format, catalog, cfg.Rules, log)
	var mailer lifecycle.Mailer
	if mail != nil {
		mailer = sesmail.New(mail, cfg.MailFrom, cfg.MailReplyTo)
	}
	svc.SetNotifier(lifecycle.NewNotifier(store, mailer, cfg.ConsoleURL, log))
	return svc, catalog, nil
}

// MustManagement is Management for a function's main.
func MustManagement() *httpapi.API { return must(Management) }

// must runs a function's cold-start wiring with the Lambda logger. What
// cannot be built is logged and ends the cold start, so Lambda reports an
// init error instead of serving requests it cannot answer.
func must[T any](build func(*slog.Logger) (T, error)) T {
	log := lambdacontext.NewLogger()
	v, err := build(log)
	if err != nil {
		log.Error("cold start failed", "error", err)
		os.Exit(1)
	}
	return v
}
