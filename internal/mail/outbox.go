package mail

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/patservice/pat/internal/pat"
)

// Outbox is the store of notices: each is claimed before it is sent, then
// deleted, or released when sending failed.
type Outbox interface {
	ClaimNotice(ctx context.Context, n pat.Notice, claim, stale string) (bool, error)
	DeleteNotice(ctx context.Context, n pat.Notice, claim string) error
	ReleaseNotice(ctx context.Context, n pat.Notice, claim string) error
}

// DefaultLease is how long a claim on a reminder or notice holds: one
// older is taken to be left by a crashed run.
const DefaultLease = 15 * time.Minute

// Delivery is what became of one outbox notice.
type Delivery int

const (
	Delivered Delivery = iota
	Rejected           // its recipient refused for good by the mail service: dropped
	Busy               // claimed by someone else, who sends it
	Failed             // not sent: released for a later try
)

// Deliver claims, sends and deletes one notice. A notice refused for its
// recipient is dropped (and logged with the MailRejected metric). A failed
// send releases the claim (unless the message may have gone out: then the
// claim lapses after the lease) and returns the mail error; a refusal of
// the sender is logged with the MailSendingBlocked metric, and the notice
// stays in the outbox like any other not sent. Store errors are returned
// as they are.
func Deliver(ctx context.Context, outbox Outbox, sender Sender, n pat.Notice, now time.Time, lease time.Duration, log *slog.Logger) (Delivery, error) {
	claim := pat.NoticeSending + now.Format(time.RFC3339)
	ok, err := outbox.ClaimNotice(ctx, n, claim, pat.NoticeSending+now.Add(-lease).Format(time.RFC3339))
	if err != nil || !ok {
		return Busy, err
	}
	result := Delivered
	if err := sender.Send(ctx, n.Message); errors.Is(err, ErrRejected) {
		result = Rejected
		LogRejected(ctx, log, now, "notice rejected by the mail service for its recipient; dropped",
			slog.String("userId", n.UserID), slog.String("error", err.Error()))
	} else if errors.Is(err, ErrMaybeSent) {
		return Failed, err // the claim stays until the lease lapses
	} else if err != nil {
		if errors.Is(err, ErrSenderBlocked) {
			LogBlocked(ctx, log, now, "notice", err, slog.String("userId", n.UserID))
		}
		if rerr := outbox.ReleaseNotice(ctx, n, claim); rerr != nil {
			log.WarnContext(ctx, "notice claim not released; it lapses after the lease", "error", rerr)
		}
		return Failed, err
	}
	return result, outbox.DeleteNotice(ctx, n, claim)
}
