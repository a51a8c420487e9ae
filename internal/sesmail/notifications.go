package sesmail

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/pat"
)

// Unreachable records that mail to an owner's address failed for good:
// pat.Service does, by owner tag.
type Unreachable interface {
	MarkUnreachable(ctx context.Context, ownerTag, address, cause string, at time.Time) error
}

// Notifications handles the bounce and complaint events SES publishes
// through the configuration set's SNS topic: a permanent bounce or a
// complaint marks the owner's address unreachable, so that no more mail is
// sent there and no token of theirs is deleted without the administrators
// being told. Transient bounces are only logged.
type Notifications struct {
	users Unreachable
	log   *slog.Logger
}

// NewNotifications returns the handler.
func NewNotifications(users Unreachable, log *slog.Logger) *Notifications {
	return &Notifications{users: users, log: log}
}

// notification is the part of an SES event (configuration-set event
// publishing: eventType; identity notifications: notificationType) used here.
type notification struct {
	EventType        string `json:"eventType"`
	NotificationType string `json:"notificationType"`
	Mail             struct {
		Tags map[string][]string `json:"tags"`
	} `json:"mail"`
	Bounce *struct {
		BounceType        string `json:"bounceType"`
		BounceSubType     string `json:"bounceSubType"`
		Timestamp         string `json:"timestamp"`
		BouncedRecipients []struct {
			EmailAddress   string `json:"emailAddress"`
			DiagnosticCode string `json:"diagnosticCode"`
		} `json:"bouncedRecipients"`
	} `json:"bounce"`
	Complaint *struct {
		Timestamp            string `json:"timestamp"`
		ComplainedRecipients []struct {
			EmailAddress string `json:"emailAddress"`
		} `json:"complainedRecipients"`
	} `json:"complaint"`
}

// Handle processes one SNS delivery. A record it cannot read is logged and
// skipped (SNS would only deliver it again); a store error fails the
// invocation so that SNS retries it.
func (n *Notifications) Handle(ctx context.Context, ev events.SNSEvent) error {
	for _, rec := range ev.Records {
		var msg notification
		if err := json.Unmarshal([]byte(rec.SNS.Message), &msg); err != nil {
			n.log.WarnContext(ctx, "mail event not understood; skipped", "messageId", rec.SNS.MessageID, "error", err)
			continue
		}
		if err := n.handle(ctx, msg, rec.SNS.Timestamp); err != nil {
			return fmt.Errorf("mail event %s: %w", rec.SNS.MessageID, err)
		}
	}
	return nil
}

func (n *Notifications) handle(ctx context.Context, msg notification, sent time.Time) error {
	kind := msg.EventType
	if kind == "" {
		kind = msg.NotificationType
	}
	tags := msg.Mail.Tags[OwnerTagName]
	if len(tags) != 1 {
		n.log.InfoContext(ctx, "mail event about a mail to no owner; ignored", "type", kind)
		return nil
	}
	owner := tags[0]
	var addresses []string
	var cause string
	switch {
	case kind == "Bounce" && msg.Bounce != nil && msg.Bounce.BounceType == "Permanent":
		for _, r := range msg.Bounce.BouncedRecipients {
			addresses = append(addresses, r.EmailAddress)
		}
		cause = "bounced (" + strings.ToLower(msg.Bounce.BounceSubType) + ")"
	case kind == "Complaint" && msg.Complaint != nil:
		for _, r := range msg.Complaint.ComplainedRecipients {
			addresses = append(addresses, r.EmailAddress)
		}
		cause = "the recipient reported it as spam"
	default:
		n.log.InfoContext(ctx, "mail event needs no action", "type", kind, "ownerTag", owner)
		return nil
	}
	for _, address := range addresses {
		err := n.users.MarkUnreachable(ctx, owner, address, cause, sent)
		if pat.ErrorCode(err) == pat.CodeInvalid {
			// Not an owner of this service's (a foreign tag): retrying cannot help.
			n.log.WarnContext(ctx, "mail event names no owner of ours; skipped", "type", kind, "error", err)
			continue
		}
		if err != nil {
			return err
		}
		n.log.WarnContext(ctx, "owner's address marked unreachable", "type", kind, "ownerTag", owner, "cause", cause)
	}
	return nil
}
