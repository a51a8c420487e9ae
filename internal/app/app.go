// Package app wires the management API, the lifecycle job and the handler
// of SES mail events: configuration → AWS clients → one store → the token
// service → handlers or the job.
// Every function's main calls it once, at cold start; the local server and
// the tests call the same code. The authorizer is wired apart, in
// internal/app/authorizer, so that its binary stays small.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/awsclient"
	"github.com/patservice/pat/internal/coldstart"
	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/cursorkey"
	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/httpapi"
	"github.com/patservice/pat/internal/leak"
	"github.com/patservice/pat/internal/lifecycle"
	"github.com/patservice/pat/internal/mail"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/scope"
	"github.com/patservice/pat/internal/sesmail"
	"github.com/patservice/pat/internal/token"
)

// What each adapter implements, checked where they are put together.
var (
	_ dynamo.API          = (*dynamodb.Client)(nil)
	_ sesmail.API         = (*ses.Client)(nil)
	_ lifecycle.Store     = (*dynamo.Store)(nil)
	_ mail.Outbox         = (*dynamo.Store)(nil)
	_ mail.Sender         = (*sesmail.Mailer)(nil)
	_ pat.Notifier        = (*mail.Notifier)(nil)
	_ lifecycle.Domain    = (*pat.Service)(nil)
	_ sesmail.Unreachable = (*pat.Service)(nil)
)

// Service is the token service with what its callers need beside it.
type Service struct {
	*pat.Service
	Catalog *scope.Catalog
	Store   *dynamo.Store
	Sender  mail.Sender // nil without a mail client
}

// NewService builds the token service on one store. Owners' notices of
// administrators' actions are sent through ses when it is not nil, else
// left in the outbox for the lifecycle job. List cursors are sealed with
// cfg.CursorKey when set (in-process), else with the keys of the secret
// cfg.CursorKeySecretARN names, read now (cursorKeys), else with a random
// key of this store's own.
func NewService(cfg config.Config, db dynamo.API, ses sesmail.API, log *slog.Logger) (*Service, error) {
	format, err := token.NewFormat(cfg.TokenPrefix)
	if err != nil {
		return nil, fmt.Errorf("configuration: TOKEN_PREFIX: %w", err)
	}
	catalog, err := scope.Default()
	if err != nil {
		return nil, err
	}
	store := dynamo.NewStore(db, cfg.TokensTable, cfg.AuditTable)
	switch {
	case cfg.CursorKey != nil:
		if err := store.SetCursorKey(cfg.CursorKey); err != nil {
			return nil, fmt.Errorf("configuration: cursor key: %w", err)
		}
	case cfg.CursorKeySecretARN != "": // config.FromEnv requires it
		ring, err := cursorKeys(cfg.CursorKeySecretARN, log)
		if err != nil {
			return nil, err
		}
		store.SetCursorKeys(ring)
	}
	svc := pat.NewService(store.Stores(), format, catalog, cfg.Rules, log)
	var sender mail.Sender
	if ses != nil {
		m := sesmail.New(ses, cfg.MailFrom, cfg.MailReplyTo)
		m.ConfigurationSet = cfg.MailConfigurationSet
		sender = m
	}
	notifier := mail.NewNotifier(store, store, sender, cfg.ConsoleURL, cfg.DefaultLanguage, log)
	notifier.Now = func() time.Time { return svc.Now() } // one clock, the service's, which tests set
	svc.SetNotifier(notifier)
	notifier.AdminEmail = cfg.AdminEmail
	svc.SetLeakNotifier(notifier)
	return &Service{Service: svc, Catalog: catalog, Store: store, Sender: sender}, nil
}

// loadTimeout bounds the cold start's read of the cursor keys: Lambda
// gives a function's initialisation 10 seconds.
const loadTimeout = 5 * time.Second

// cursorKeys reads the cursor keys of the secret at cold start; the ring
// reads them again every cursorkey.TTL, so a rotation needs no deploy. A
// secret that cannot be read fails the cold start with the reason (which
// never holds the key).
func cursorKeys(secretARN string, log *slog.Logger) (*cursorkey.Ring, error) {
	sm, err := cursorkey.NewClient()
	if err != nil {
		return nil, fmt.Errorf("cursor key: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
	defer cancel()
	ring, err := cursorkey.Load(ctx, sm, secretARN, log)
	if err != nil {
		return nil, fmt.Errorf("configuration: CURSOR_KEY_SECRET_ARN: %w", err)
	}
	return ring, nil
}

// NewManagement builds the management API from a configuration and
// clients; without a mail client, notices wait for the lifecycle job.
func NewManagement(cfg config.Config, db dynamo.API, ses sesmail.API, log *slog.Logger) (*httpapi.API, error) {
	svc, err := NewService(cfg, db, ses, log)
	if err != nil {
		return nil, err
	}
	api := httpapi.New(svc.Service, svc.Catalog, cfg.Claims, log)
	api.SetSelfRotation(selfRotation(cfg, db, svc, log))
	if cfg.LeakKeysURL != "" {
		api.SetLeakVerifier(leak.NewKeys(cfg.LeakKeysURL))
	}
	return api, nil
}

// selfRotation is the decision of POST /tokens/self/rotate: the request
// authorizer's, on that route only, needing scope.SelfRotate, on the
// service's clock; a reuse it reports is kept as long as the service
// keeps audit events; its last-use interval and realm are the request
// authorizer's.
func selfRotation(cfg config.Config, db dynamo.API, svc *Service, log *slog.Logger) *authz.Authorizer {
	a := authz.New(dynamo.NewAuthReader(db, cfg.TokensTable, cfg.AuditTable), svc.Format(), svc.Catalog, log)
	a.OnlyRoute("POST", httpapi.SelfRotatePath, scope.SelfRotate)
	a.Now = func() time.Time { return svc.Now() }
	a.AuditRetention, a.LastUseInterval, a.Realm = cfg.Rules.AuditRetention, cfg.Rules.LastUseInterval, cfg.Realm
	return a
}

// fromEnv reads the configuration of the handler of mail events (which
// lists nothing, so reads no cursor key) and checks it against what the
// store can hold: config knows the settings, dynamo the limits of DynamoDB.
func fromEnv() (config.Config, error) {
	cfg, err := config.MailEventsFromEnv()
	if err != nil {
		return config.Config{}, err
	}
	return cfg, withinStore(cfg)
}

// withinStore refuses settings the store cannot honour.
func withinStore(cfg config.Config) error {
	if n := cfg.Rules.MaxActiveTokens; n > dynamo.MaxTokensPerOwner {
		return fmt.Errorf("configuration: MAX_ACTIVE_TOKENS=%d: want at most %d, since a change of a user rewrites the user and all their live tokens in one DynamoDB transaction", n, dynamo.MaxTokensPerOwner)
	}
	return nil
}

// Management builds the management API from the environment.
func Management(log *slog.Logger) (*httpapi.API, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, err
	}
	return management(cfg, log)
}

// Leaks builds the management API of the functions that revoke a leaked
// token a person reports, from the environment (config.LeaksFromEnv).
func Leaks(log *slog.Logger) (*httpapi.API, error) {
	cfg, err := config.LeaksFromEnv(false)
	if err != nil {
		return nil, err
	}
	return management(cfg, log)
}

// LeakReports builds the management API of the endpoint of secret
// scanners' reports, from the environment (config.LeaksFromEnv).
func LeakReports(log *slog.Logger) (*httpapi.API, error) {
	cfg, err := config.LeaksFromEnv(true)
	if err != nil {
		return nil, err
	}
	return management(cfg, log)
}

// MustLeaks is Leaks for a function's main.
func MustLeaks() *httpapi.API { return coldstart.Must(Leaks) }

// MustLeakReports is LeakReports for a function's main.
func MustLeakReports() *httpapi.API { return coldstart.Must(LeakReports) }

// management builds the management API from a configuration read from
// the environment, with the clients of AWS.
func management(cfg config.Config, log *slog.Logger) (*httpapi.API, error) {
	if err := withinStore(cfg); err != nil {
		return nil, err
	}
	db, err := awsclient.DynamoDB()
	if err != nil {
		return nil, err
	}
	var ses sesmail.API
	// Notices link to the console: ConsoleBaseUrl when set, else the
	// console of the API each request reached (httpapi reads it from the
	// event), so they leave at once either way.
	if cfg.MailFrom != "" {
		if ses, err = sesmail.NewClient(); err != nil {
			return nil, err
		}
	}
	return NewManagement(cfg, db, ses, log)
}

// MustManagement is Management for a function's main.
func MustManagement() *httpapi.API { return coldstart.Must(Management) }

// NewJob builds the lifecycle job from a configuration and clients.
func NewJob(cfg config.Job, db dynamo.API, ses sesmail.API, log *slog.Logger) (*lifecycle.Job, error) {
	svc, err := NewService(cfg.Config, db, ses, log)
	if err != nil {
		return nil, err
	}
	job := lifecycle.New(svc.Store, svc.Sender, svc.Service, svc.Format().NewID, lifecycle.Config{
		Policy:     cfg.Rules.Lifecycle,
		ConsoleURL: cfg.ConsoleURL,
		AdminEmail: cfg.AdminEmail,
		KeepURL:    cfg.KeepURL,
		Lease:      mail.DefaultLease,
		PageSize:   100,
		Lookback:   400, // first run only: no token is due further back than its lifetime
		StopBefore: 30 * time.Second,
		MailRate:   float64(cfg.MailRate),
		Language:   cfg.DefaultLanguage,
	}, log)
	job.Now = func() time.Time { return svc.Now() } // one clock, the service's
	return job, nil
}

// Job builds the lifecycle job from the environment.
func Job(log *slog.Logger) (*lifecycle.Job, error) {
	cfg, err := config.JobFromEnv()
	if err != nil {
		return nil, err
	}
	if err := withinStore(cfg.Config); err != nil {
		return nil, err
	}
	db, err := awsclient.DynamoDB()
	if err != nil {
		return nil, err
	}
	ses, err := sesmail.NewClient()
	if err != nil {
		return nil, err
	}
	return NewJob(cfg, db, ses, log)
}

// MustJob is Job for the function's main.
func MustJob() *lifecycle.Job { return coldstart.Must(Job) }

// MailEvents builds the handler of SES bounce and complaint events from
// the environment.
func MailEvents(log *slog.Logger) (*sesmail.Notifications, error) {
	cfg, err := fromEnv()
	if err != nil {
		return nil, err
	}
	db, err := awsclient.DynamoDB()
	if err != nil {
		return nil, err
	}
	svc, err := NewService(cfg, db, nil, log)
	if err != nil {
		return nil, err
	}
	return sesmail.NewNotifications(svc, log), nil
}

// MustMailEvents is MailEvents for the function's main.
func MustMailEvents() *sesmail.Notifications { return coldstart.Must(MailEvents) }
