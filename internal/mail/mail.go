// Package mail is everything about mail to token owners and
// administrators: the Sender the SES adapter implements and the errors it
// returns; every template (templates.go: the lifecycle job's reminders and
// deletion notices, held deletions, the notices of administrators' actions
// and of changed addresses); the Notifier the token service composes and
// sends its notices with; the one delivery routine every mail goes through
// (Delivery: claim, send, classify the answer, then settle, release or keep
// the claim), with the outbox as one of its items; and the metrics the mail
// alarms watch. The message itself, pat.Message, belongs to the domain
// because a notice is stored in the same transaction as the change it
// announces.
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
	// ErrRejected: the mail service refuses this message's recipient for
	// good (an address it will not mail, or one that is no address). It is
	// logged and not retried, and the owner's address is marked
	// unreachable.
	ErrRejected = errors.New("mail rejected")
	// ErrSenderBlocked: the mail service refuses to send for us at all,
	// whoever the recipient (the sender is not verified, the account is in
	// the sandbox or paused, the configuration is missing). Nobody's address
	// is at fault: nothing is marked or dropped, mailing stops, and what was
	// not sent waits for a later try. The error is a *Blocked.
	ErrSenderBlocked = errors.New("mail sending blocked")
	// ErrMaybeSent: the mail service did not answer (a timeout, a broken
	// connection), so the message may have been accepted. Its claim is
	// kept: it is sent again only after the lease lapses, so that a stalled
	// service causes one duplicate at most, never a burst of them.
	ErrMaybeSent = errors.New("mail may have been sent")
)

// Cause is why the mail service refuses to send, in a word: the Cause
// dimension of the MailSendingBlocked metric.
type Cause string

const (
	CauseUnverifiedSender   Cause = "unverified_sender"         // the sender's address or domain is not verified
	CauseSandbox            Cause = "sandbox"                   // the account may mail verified addresses only
	CauseSendingPaused      Cause = "sending_paused"            // sending is paused for the account or the configuration set
	CauseNoConfigurationSet Cause = "missing_configuration_set" // the configuration set named does not exist
	CauseMailFromDomain     Cause = "mail_from_domain"          // the sender's custom MAIL FROM domain is not set up
	CauseInvalidRequest     Cause = "invalid_request"           // the request is refused as invalid, not for its recipient
	CauseRefused            Cause = "refused"                   // refused for another reason that is not the recipient
)

// Blocked is a refusal of the sender: it is ErrSenderBlocked, with its
// cause and what an operator does about it. Neither names any address.
type Blocked struct {
	Cause Cause
	// Action says, in words an operator acts on, what is wrong and what
	// to do about it.
	Action string
	// Detail is the mail service's own error (its code and message), with
	// addresses taken out.
	Detail string
}

func (b *Blocked) Error() string {
	return "mail sending blocked (" + string(b.Cause) + "): " + b.Detail
}

// Unwrap makes a *Blocked ErrSenderBlocked.
func (b *Blocked) Unwrap() error { return ErrSenderBlocked }
