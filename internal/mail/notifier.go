package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/patservice/pat/internal/i18n"
	"github.com/patservice/pat/internal/pat"
)

// Notifier is the token service's mail (pat.Notifier): it composes the
// notices of administrators' actions and of changed addresses, which the
// service stores with the change, and sends them at once. What it cannot
// send stays in the outbox for the lifecycle job.
type Notifier struct {
	outbox     Outbox
	users      Users
	delivery   *Delivery // nil: notices wait for the job
	consoleURL string
	lang       i18n.Lang // the deployment's default language
	log        *slog.Logger
	// AdminEmail is where mail to the administrators goes (ADMIN_NOTIFY_EMAIL;
	// "": they are not mailed).
	AdminEmail string
	// Now is the clock: when notices are claimed, and the time of the
	// lines' metrics.
	Now func() time.Time
}

// Users reads the owner a notice is written to, for their language.
type Users interface {
	GetUser(ctx context.Context, id string) (pat.User, error)
}

// NewNotifier returns a Notifier on the real clock, writing in each
// owner's language (Language, with lang the deployment's default); with a
// nil sender it only composes.
func NewNotifier(outbox Outbox, users Users, sender Sender, consoleURL string, lang i18n.Lang, log *slog.Logger) *Notifier {
	n := &Notifier{outbox: outbox, users: users, consoleURL: consoleURL, lang: lang, log: log, Now: time.Now}
	if sender != nil {
		n.delivery = NewDelivery(sender, log)
		n.delivery.Now = func() time.Time { return n.Now() }
		n.delivery.Composer = &Composer{Users: users, Lang: lang, ConsoleURL: consoleURL}
	}
	return n
}

// Deliver sends stored notices now, and stops at the first the mail
// service does not take (or a failure of the outbox): that one and the
// rest wait for the lifecycle job.
func (n *Notifier) Deliver(ctx context.Context, notices []pat.Notice) {
	if n.delivery == nil {
		return
	}
	for _, notice := range notices {
		res, err := n.delivery.DeliverNotice(ctx, n.outbox, notice, n.Now())
		if err != nil {
			n.log.WarnContext(ctx, "notice not sent now; the lifecycle job retries it", "userId", notice.UserID, "error", err)
			return
		}
		if res.Outcome.Stops() {
			return // the delivery logged why
		}
	}
}

// AdminNotice composes the mail to the owner of tokens about an
// administrator's action (AdminMail), in the owner's language.
func (n *Notifier) AdminNotice(ctx context.Context, action string, tokens []pat.Token, admin pat.Identity, reason string, at time.Time) (pat.Message, error) {
	owner, err := n.users.GetUser(ctx, tokens[0].UserID)
	if err != nil && !errors.Is(err, pat.ErrUserNotFound) {
		return pat.Message{}, fmt.Errorf("read the owner of token %s for their language: %w", tokens[0].ID, err)
	}
	return AdminMail(Language(owner, n.lang), action, tokens, admin, reason, at, n.console(admin))
}

// EmailChangeNotice composes the mail to a user's old address about the
// new one (EmailChangedMail), in the user's language.
func (n *Notifier) EmailChangeNotice(caller pat.Identity, user pat.User, to string, at time.Time) (pat.Message, error) {
	return EmailChangedMail(Language(user, n.lang), user, to, at, n.console(caller))
}

// console is where a notice composed for caller's request links: the
// configured console URL (ConsoleBaseUrl) or else the console of the API
// the caller reached, which the request names.
func (n *Notifier) console(caller pat.Identity) string {
	if n.consoleURL != "" {
		return n.consoleURL
	}
	return caller.ConsoleURL
}
