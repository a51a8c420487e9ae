package sesmail_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/mail"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/sesmail"
)

// Each of SES's answers to SendEmail, as SES sends it (status, XML error
// body), tells a refusal of the recipient (mail.ErrRejected: that owner
// alone is marked) from a refusal of the sender (*mail.Blocked, with its
// cause: nobody is marked, mailing stops) from a temporary failure. No
// error names an address, though SES's messages do.
func TestSendTellsTheSenderFromTheRecipient(t *testing.T) {
	const from, to = "PAT <tokens@example.com>", "alice@example.com"
	notVerified := "Email address is not verified. The following identities failed the check in region EU-WEST-1: "
	for _, c := range []struct {
		name    string
		to      string // "" : alice@example.com
		refusal localstack.SESRefusal
		want    error      // mail.ErrRejected, mail.ErrSenderBlocked, mail.ErrThrottled, or nil: temporary
		cause   mail.Cause // for mail.ErrSenderBlocked
	}{
		{"sender not verified", "", localstack.SESRefusal{Code: "MessageRejected", Message: notVerified + "tokens@example.com"}, mail.ErrSenderBlocked, mail.CauseUnverifiedSender},
		{"sender and recipient not verified", "", localstack.SESRefusal{Code: "MessageRejected", Message: notVerified + "alice@example.com, TOKENS@example.com"}, mail.ErrSenderBlocked, mail.CauseUnverifiedSender},
		{"sender's domain not verified", "", localstack.SESRefusal{Code: "MessageRejected", Message: notVerified + "example.com"}, mail.ErrSenderBlocked, mail.CauseUnverifiedSender},
		{"sandbox: recipient not verified", "", localstack.SESRefusal{Code: "MessageRejected", Message: notVerified + "alice@example.com"}, mail.ErrSenderBlocked, mail.CauseSandbox},
		{"account suspended", "", localstack.SESRefusal{Code: "MessageRejected", Message: "Sending suspended for this account. For more information, please check the inbox of the email address associated with your AWS account."}, mail.ErrSenderBlocked, mail.CauseSendingPaused},
		{"another rejection", "", localstack.SESRefusal{Code: "MessageRejected", Message: "Rejected: alice@example.com."}, mail.ErrSenderBlocked, mail.CauseRefused},
		{"account sending paused", "", localstack.SESRefusal{Code: "AccountSendingPausedException", Message: "Email sending is disabled for your entire Amazon SES account."}, mail.ErrSenderBlocked, mail.CauseSendingPaused},
		{"configuration set paused", "", localstack.SESRefusal{Code: "ConfigurationSetSendingPausedException", Message: "Email sending is disabled for this configuration set."}, mail.ErrSenderBlocked, mail.CauseSendingPaused},
		{"configuration set missing", "", localstack.SESRefusal{Code: "ConfigurationSetDoesNotExist", Message: "Configuration set <pat-mail> does not exist."}, mail.ErrSenderBlocked, mail.CauseNoConfigurationSet},
		{"MAIL FROM domain", "", localstack.SESRefusal{Code: "MailFromDomainNotVerifiedException", Message: "MAIL FROM domain bounce.example.com is not verified."}, mail.ErrSenderBlocked, mail.CauseMailFromDomain},
		{"invalid, recipient well formed", "", localstack.SESRefusal{Code: "InvalidParameterValue", Message: "Illegal address"}, mail.ErrSenderBlocked, mail.CauseInvalidRequest},
		{"recipient on SES's block list", "", localstack.SESRefusal{Code: "MessageRejected", Message: "Address blacklisted."}, mail.ErrRejected, ""},
		{"recipient malformed", "alice@", localstack.SESRefusal{Code: "InvalidParameterValue", Message: "Missing final '@domain'"}, mail.ErrRejected, ""},
		{"recipient not ASCII", "jürgen@example.com", localstack.SESRefusal{Code: "InvalidParameterValue", Message: "Local address contains control or whitespace"}, mail.ErrRejected, ""},
		{"throttled", "", localstack.SESRefusal{Code: "Throttling", Message: "Maximum sending rate exceeded."}, mail.ErrThrottled, ""},
		{"SES failing", "", localstack.SESRefusal{Status: 500, Code: "InternalFailure", Message: "We encountered an internal error. Please try again."}, nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			ses := localstack.NewSESProxy(t)
			ses.Refuse(c.refusal, -1)
			m := sesmail.New(ses.Client(t), from, "")
			m.ConfigurationSet = "pat-mail"
			recipient := to
			if c.to != "" {
				recipient = c.to
			}
			err := m.Send(context.Background(), pat.Message{UserID: "alice", To: recipient, Subject: "s", Text: "t", HTML: "<p>t</p>"})
			if err == nil {
				t.Fatal("a refused send succeeded")
			}
			for _, kind := range []error{mail.ErrRejected, mail.ErrSenderBlocked, mail.ErrThrottled, mail.ErrMaybeSent} {
				if errors.Is(err, kind) != (kind == c.want) {
					t.Fatalf("%v: is %v = %v", err, kind, !(kind == c.want))
				}
			}
			if c.want == mail.ErrSenderBlocked {
				b, _ := errors.AsType[*mail.Blocked](err)
				if b.Cause != c.cause || b.Action == "" {
					t.Fatalf("cause %q, action %q; want %q", b.Cause, b.Action, c.cause)
				}
				if strings.Contains(b.Action, recipient) {
					t.Errorf("the action names the recipient: %s", b.Action)
				}
			}
			if strings.Contains(err.Error(), "@example.com") || strings.Contains(err.Error(), recipient) {
				t.Errorf("the error names an address: %v", err)
			}
		})
	}
}
