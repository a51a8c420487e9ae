// Package lifecycle is the scheduled job that reminds owners before a token
// is deleted for inactivity or expires, and then deletes or expires it. It
// reads only the tokens due (a day-bucketed index), keeps its memory to one
// page, and is safe to start twice or again after a crash: one run works at
// a time (a run lock), reminders are claimed before they are sent,
// deletions are conditional on the activity that made the token due, and
// deletion notices go through an outbox written with the deletion. It never
// deletes a token whose owner could not be reminded without holding it and
// telling the administrators first.
package lifecycle

import (
	"context"
	"time"

	"github.com/patservice/pat/internal/mail"
	"github.com/patservice/pat/internal/pat"
)

// Store is the job's access to the tables. Every write is conditional on
// what the job read, so a change made meanwhile wins.
type Store interface {
	// LockRun takes the run lock (claim) unless another run holds one not
	// older than stale; UnlockRun gives it back. One run at a time keeps an
	// owner's reminders in one mail and spares a retried schedule the work.
	LockRun(ctx context.Context, claim, stale string) (bool, error)
	UnlockRun(ctx context.Context, claim string) error
	// NextDay is the first day bucket that may hold unfinished work ("" if
	// the job never ran); SaveNextDay records it.
	NextDay(ctx context.Context) (string, error)
	SaveNextDay(ctx context.Context, day string) error
	// DuePage lists items of a day bucket due at or before now.
	DuePage(ctx context.Context, day string, now time.Time, cursor string, limit int) ([]pat.DueItem, string, error)
	// ClaimReminder marks a reminder as being sent by this run (claim) unless
	// it was sent, or is being sent and its claim is not older than stale, or
	// the token's activity, expiry or status differ from t. skipped reminders
	// are marked as superseded in the same write.
	ClaimReminder(ctx context.Context, t pat.Token, key string, skipped []string, claim, stale string) (bool, error)
	// FinishReminder records the outcome (value) of this run's claim and the
	// token's next due time (t.DueAt).
	FinishReminder(ctx context.Context, t pat.Token, key, claim, value string) error
	// ReleaseReminder removes this run's claim, so that a later run retries.
	ReleaseReminder(ctx context.Context, t pat.Token, key, claim string) error
	// Reschedule moves the token to t.DueAt unless it changed meanwhile.
	Reschedule(ctx context.Context, t pat.Token) error
	// DeleteIdle deletes a token for inactivity with its audit event and the
	// owner's notice (if any), unless its activity or status changed: false then.
	DeleteIdle(ctx context.Context, t pat.Token, ev pat.Event, n *pat.Notice) (bool, error)
	// HoldDeletion records the hold of t's deletion under key (the value
	// "held:<time>") with t's new due time, and the administrators' notice
	// (if any), unless t changed since it was read or is held already.
	HoldDeletion(ctx context.Context, t pat.Token, key, value string, n *pat.Notice, now time.Time) (bool, error)
	// GetUser reads a token's owner; pat.ErrUserNotFound if there is none.
	GetUser(ctx context.Context, id string) (pat.User, error)
	// Expire marks a token expired with its audit event, unless its expiry
	// or status changed: false then.
	Expire(ctx context.Context, t pat.Token, ev pat.Event) (bool, error)
	// BackfillOwnerStates goes on with the copy of owners' state onto
	// tokens older than it, scanning at most budget items in pages of
	// pageSize, from where the last call stopped.
	BackfillOwnerStates(ctx context.Context, budget, pageSize int) (pat.Backfill, error)
	// BackfillLists goes on with the list entries of tokens and users
	// older than the list index, in the same way.
	BackfillLists(ctx context.Context, budget, pageSize int) (pat.ListBackfill, error)
	// RecordEvent writes one audit event.
	RecordEvent(ctx context.Context, ev pat.Event) error
	// Outbox does for notices what the reminder methods do for reminders.
	mail.Outbox
}

// Domain is what the job asks of the token service (pat.Service): the
// same keep links and audit events the management API makes.
type Domain interface {
	IssueKeepLink(ctx context.Context, t pat.Token, purpose string, until time.Time) (string, error)
	JobEvent(t pat.Token, action string, details map[string]string, at time.Time) (pat.Event, error)
	MarkUnreachable(ctx context.Context, ownerTag, address, cause string, at time.Time) error
	Rules() pat.Config
}
