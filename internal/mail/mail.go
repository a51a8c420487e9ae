// Package mail is everything about mail to token owners: the Sender the
// SES adapter implements and the errors it returns, every template (the
// lifecycle job's reminders and deletion notices, the notices of
// administrators' actions), and delivery from the outbox. The message
// itself, pat.Message, belongs to the domain because a notice is stored in
// the same transaction as the change it announces.
package mail

import (
	"context"
	"errors"

	"github.com/patservice/pat/internal/pat"
)

// Sender sends one message.
type Sender interface {
	Send(ctx context.Context, m pat.Message) error
}

// Errors a Sender returns for its callers to act on; any other error is
// treated as temporary.
var (
	// ErrThrottled: the mail service asks to slow down. The job stops and
	// leaves the rest for the next run.
	ErrThrottled = errors.New("mail service throttled")
	// ErrRejected: the mail service refuses this message for good. It is
	// logged and not retried.
	ErrRejected = errors.New("mail rejected")
	// ErrMaybeSent: the mail service did not answer (a timeout, a broken
	// connection), so the message may have been accepted. Its claim is
	// kept: it is sent again only after the lease lapses, so that a stalled
	// service causes one duplicate at most, never a burst of them.
	ErrMaybeSent = errors.New("mail may have been sent")
)
