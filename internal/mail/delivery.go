package mail

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/patservice/pat/internal/pat"
)

// Item is one piece of mail as the delivery routine sends it: a reminder
// mail (the lifecycle job's, one owner's reminders in one message) or a
// notice in the outbox. It is claimed before it is sent, so that two
// senders never both send it, then settled, released or kept by the answer.
type Item interface {
	// Describe names the mail in log lines: its kind ("reminder",
	// "notice") and attributes that name no address.
	Describe() (kind string, attrs []slog.Attr)
	// Claim takes the mail with the claim value claim, unless a claim not
	// older than stale holds it; false: there is nothing to send (another
	// sender has it, or it changed).
	Claim(ctx context.Context, claim, stale string) (bool, error)
	// Message composes the claimed mail.
	Message(ctx context.Context) (pat.Message, error)
	// Settle records that the claimed mail needs no more sending, with the
	// outcome that says why: Sent, Refused or Suppressed.
	Settle(ctx context.Context, o Outcome) error
	// Release gives the claim back, so that a later try sends it.
	Release(ctx context.Context) error
}

// Outcome is what became of a mail: the mail service's answer, classified.
type Outcome int

const (
	Sent          Outcome = iota // accepted by the mail service
	Refused                      // its recipient refused for good (ErrRejected): not sent again
	Suppressed                   // not sent: its recipient is known to be unreachable
	Busy                         // not claimed: another sender has it, or it changed
	SenderBlocked                // the sender refused, whoever the recipient (ErrSenderBlocked)
	Throttled                    // the mail service asks to slow down (ErrThrottled)
	MaybeSent                    // no answer (ErrMaybeSent): it may have gone out
	Failed                       // not sent, for another reason: tried again later
)

var outcomeNames = [...]string{"sent", "refused", "suppressed", "busy", "blocked", "throttled", "maybe-sent", "failed"}

func (o Outcome) String() string {
	if o < 0 || int(o) >= len(outcomeNames) {
		return "unknown"
	}
	return outcomeNames[o]
}

// Classify says what a Sender's answer means.
func Classify(err error) Outcome {
	switch {
	case err == nil:
		return Sent
	case errors.Is(err, ErrRejected):
		return Refused
	case errors.Is(err, ErrSenderBlocked):
		return SenderBlocked
	case errors.Is(err, ErrThrottled):
		return Throttled
	case errors.Is(err, ErrMaybeSent):
		return MaybeSent
	}
	return Failed
}

// Claim is what becomes of a mail's claim after an outcome.
type Claim int

const (
	ClaimSettled  Claim = iota // the mail needs no more sending: settled, and the claim with it
	ClaimReleased              // given back at once: a later try sends the mail
	ClaimKept                  // held until the lease lapses: a stalled mail service causes one duplicate at most, never a burst
	ClaimNone                  // there is no claim (Busy)
)

// Claim says what becomes of the claim after o.
func (o Outcome) Claim() Claim {
	switch o {
	case Sent, Refused, Suppressed:
		return ClaimSettled
	case MaybeSent:
		return ClaimKept
	case Busy:
		return ClaimNone
	}
	return ClaimReleased
}

// Stops says whether mailing stops after o: every other mail would meet
// the same answer (a refused sender, throttling, a service not answering,
// an unknown error), so the rest waits for a later try. A refusal of one
// recipient stops nothing.
func (o Outcome) Stops() bool {
	switch o {
	case Sent, Refused, Suppressed, Busy:
		return false
	}
	return true
}

// Result is what became of one mail.
type Result struct {
	Outcome Outcome
	// Answer is the mail service's error when the mail was not sent.
	Answer error
}

// Reason says in a few words why mailing stopped (Outcome.Stops): the
// lifecycle job's report names it.
func (r Result) Reason() string {
	if errors.Is(r.Answer, ErrThrottled) {
		return "mail throttled"
	}
	if b, ok := errors.AsType[*Blocked](r.Answer); ok {
		return "mail sending blocked: " + string(b.Cause)
	}
	if errors.Is(r.Answer, ErrMaybeSent) {
		return "mail service not answering"
	}
	return "mail error"
}

// Delivery is the one way mail is sent: claim, send, classify the answer,
// then settle, release or keep the claim, and log what an operator acts on
// (with the MailRejected and MailSendingBlocked metrics). The lifecycle
// job's reminders and notices and the management functions' notices all
// go through it.
type Delivery struct {
	Sender Sender
	// Lease is how long a claim holds: one older was left by a crashed run.
	Lease time.Duration
	Log   *slog.Logger
	// Now is the clock: the time of the lines' metrics.
	Now func() time.Time
	// Composer composes the notices stored as data (the authorizer's);
	// nil: they are not sent, and wait for a sender that has one.
	Composer *Composer
}

// NewDelivery returns a Delivery on the real clock with DefaultLease.
func NewDelivery(sender Sender, log *slog.Logger) *Delivery {
	return &Delivery{Sender: sender, Lease: DefaultLease, Log: log, Now: time.Now}
}

// DefaultLease is how long a claim on a reminder or notice holds: one
// older is taken to be left by a crashed run.
const DefaultLease = 15 * time.Minute

// claims are the claim value of a claim taken at, and the stale value
// below which a claim was left by a crashed run. Both in UTC: they are
// compared as text, whatever zone a caller's clock is in.
func (d *Delivery) claims(at time.Time) (claim, stale string) {
	at = at.UTC()
	return pat.NoticeSending + at.Format(time.RFC3339), pat.NoticeSending + at.Add(-d.Lease).Format(time.RFC3339)
}

// Deliver claims m as of at, sends it and settles, releases or keeps the
// claim as the answer says (Outcome.Claim). The error is the store's or
// the composition's: the mail was not sent then, and its claim, if taken,
// is released; the mail service's answer is in the Result.
func (d *Delivery) Deliver(ctx context.Context, m Item, at time.Time) (Result, error) {
	claim, stale := d.claims(at)
	ok, err := m.Claim(ctx, claim, stale)
	if err != nil || !ok {
		return Result{Outcome: Busy}, err
	}
	msg, err := m.Message(ctx)
	if err != nil {
		d.release(ctx, m)
		return Result{Outcome: Failed}, err
	}
	answer := d.Sender.Send(ctx, msg)
	res := Result{Outcome: Classify(answer), Answer: answer}
	d.log(ctx, m, res)
	switch res.Outcome.Claim() {
	case ClaimSettled:
		return res, m.Settle(ctx, res.Outcome)
	case ClaimReleased:
		d.release(ctx, m)
	}
	return res, nil
}

// Suppress claims m as of at and settles it unsent: its recipient is
// known to be unreachable. The line says so with the MailRejected metric.
func (d *Delivery) Suppress(ctx context.Context, m Item, at time.Time) (Result, error) {
	claim, stale := d.claims(at)
	ok, err := m.Claim(ctx, claim, stale)
	if err != nil || !ok {
		return Result{Outcome: Busy}, err
	}
	res := Result{Outcome: Suppressed}
	d.log(ctx, m, res)
	return res, m.Settle(ctx, Suppressed)
}

// log writes the line an outcome other than Sent calls for.
func (d *Delivery) log(ctx context.Context, m Item, res Result) {
	kind, attrs := m.Describe()
	if res.Answer != nil {
		attrs = append(attrs, slog.String("error", res.Answer.Error()))
	}
	switch res.Outcome {
	case Refused:
		LogRejected(ctx, d.Log, d.Now(), kind+" rejected by the mail service for its recipient; not sent again", attrs...)
	case Suppressed:
		LogRejected(ctx, d.Log, d.Now(), kind+" not sent: owner address unreachable", attrs...)
	case SenderBlocked:
		kind, attrs := m.Describe() // LogBlocked adds the error itself
		LogBlocked(ctx, d.Log, d.Now(), kind, res.Answer, attrs...)
	case MaybeSent:
		d.Log.LogAttrs(ctx, slog.LevelWarn, kind+" may not have been sent; sent again after the lease", attrs...)
	case Throttled, Failed:
		d.Log.LogAttrs(ctx, slog.LevelWarn, kind+" not sent; left for a later try", attrs...)
	}
}

// release gives m's claim back; if that fails too, the lease lets a later
// try take it over.
func (d *Delivery) release(ctx context.Context, m Item) {
	if err := m.Release(ctx); err != nil {
		kind, attrs := m.Describe()
		attrs = append(attrs, slog.String("error", err.Error()))
		d.Log.LogAttrs(ctx, slog.LevelWarn, kind+" claim not released; it lapses after the lease", attrs...)
	}
}
