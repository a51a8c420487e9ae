package app

import (
	"log/slog"
	"time"

	"github.com/patservice/pat/internal/awsclient"
	"github.com/patservice/pat/internal/coldstart"
	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/lifecycle"
	"github.com/patservice/pat/internal/sesmail"
)

// NewJob builds the lifecycle job from a configuration and clients.
func NewJob(cfg config.Job, db dynamo.API, mail sesmail.API, log *slog.Logger) (*lifecycle.Job, error) {
	svc, _, err := NewService(cfg.Config, db, mail, log)
	if err != nil {
		return nil, err
	}
	store := dynamo.NewStore(db, cfg.TokensTable, cfg.AuditTable)
	return lifecycle.New(store, sesmail.New(mail, cfg.MailFrom, cfg.MailReplyTo), svc, svc.Format().NewID, lifecycle.Config{
		Policy:         cfg.Rules.Lifecycle,
		ConsoleURL:     cfg.ConsoleURL,
		KeepURL:        cfg.KeepURL,
		AuditRetention: cfg.Rules.AuditRetention,
		Lease:          lifecycle.DefaultLease,
		PageSize:       100,
		Lookback:       400, // first run only: no token is due further back than its lifetime
		StopBefore:     30 * time.Second,
	}, log), nil
}

// Job builds the lifecycle job from the environment.
func Job(log *slog.Logger) (*lifecycle.Job, error) {
	cfg, err := config.JobFromEnv()
	if err != nil {
		return nil, err
	}
	db, err := awsclient.DynamoDB()
	if err != nil {
		return nil, err
	}
	mail, err := sesmail.NewClient()
	if err != nil {
		return nil, err
	}
	return NewJob(cfg, db, mail, log)
}

// MustJob is Job for the function's main.
func MustJob() *lifecycle.Job { return coldstart.Must(Job) }
