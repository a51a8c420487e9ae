package mail

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/patservice/pat/internal/emf"
)

// MetricsNamespace is the CloudWatch namespace of the mail metrics, which
// the template's mail alarms watch. Every function that sends mail
// publishes them from the log line that tells what happened (EMF), so an
// alarm counts exactly the lines an operator reads.
const MetricsNamespace = "PAT/Mail"

var (
	// MailRejected: a mail did not reach its owner for the owner's address:
	// refused for good for its recipient, or not sent to an address known
	// to be unreachable.
	rejectedMetric = emf.Directive{
		Namespace:  MetricsNamespace,
		Dimensions: [][]string{{}},
		Metrics:    []emf.Metric{{Name: "MailRejected", Unit: emf.Count}},
	}
	// MailSendingBlocked: the mail service refused the sender; by Cause
	// too, for the dashboard.
	blockedMetric = emf.Directive{
		Namespace:  MetricsNamespace,
		Dimensions: [][]string{{}, {"Cause"}},
		Metrics:    []emf.Metric{{Name: "MailSendingBlocked", Unit: emf.Count}},
	}
)

// LogRejected logs message, about a mail that did not reach its owner for
// the owner's address, with the MailRejected metric.
func LogRejected(ctx context.Context, log *slog.Logger, at time.Time, message string, attrs ...slog.Attr) {
	attrs = append(attrs, slog.Int("MailRejected", 1), rejectedMetric.Attr(at))
	log.LogAttrs(ctx, slog.LevelWarn, message, attrs...)
}

// LogBlocked logs a refusal of the sender (err is ErrSenderBlocked) of a
// mail of the kind what ("reminder", "notice"), saying what is wrong and
// what to do, with the MailSendingBlocked metric by cause. It is an error:
// no mail goes out until an operator acts.
func LogBlocked(ctx context.Context, log *slog.Logger, at time.Time, what string, err error, attrs ...slog.Attr) {
	b, ok := errors.AsType[*Blocked](err)
	if !ok {
		b = &Blocked{Cause: CauseRefused, Action: "the mail service refuses to send", Detail: err.Error()}
	}
	attrs = append(attrs, slog.String("mail", what), slog.String("Cause", string(b.Cause)), slog.String("error", err.Error()),
		slog.Int("MailSendingBlocked", 1), blockedMetric.Attr(at))
	log.LogAttrs(ctx, slog.LevelError,
		"mail sending blocked: "+b.Action+". No mail goes out until that is done; no owner is marked unreachable, and what was not sent waits to be sent",
		attrs...)
}
