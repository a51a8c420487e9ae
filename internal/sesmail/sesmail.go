// Package sesmail is mail.Sender on Amazon SES, and the handler of the
// bounce and complaint events SES publishes for the mail it sent.
package sesmail

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/aws/smithy-go"

	"github.com/patservice/pat/internal/awsclient"
	"github.com/patservice/pat/internal/mail"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/token"
)

// API is the SES call the mailer uses.
type API interface {
	SendEmail(context.Context, *ses.SendEmailInput, ...func(*ses.Options)) (*ses.SendEmailOutput, error)
}

// Mailer sends from one address, with an optional reply-to.
type Mailer struct {
	api     API
	from    string
	replyTo string
	// Timeout bounds one send (default 5 s).
	Timeout time.Duration
	// ConfigurationSet, when set, names the SES configuration set whose
	// event destination reports bounces and complaints (see Notifications).
	ConfigurationSet string
}

// OwnerTagName is the message tag naming the owner a mail is about.
const OwnerTagName = "owner"

// retryer retries a send only when SES answered that it throttles: the
// message was refused, so sending again cannot deliver it twice. A timeout
// or a broken connection is not retried: the message may have been
// accepted (see mail.ErrMaybeSent). Its waits are short enough for three
// tries to end within the Mailer's Timeout: with the SDK's default (up to
// 2 s, then 4 s), a throttled send ran out of time between tries and was
// taken for one that may have been sent.
var retryer = retry.NewStandard(func(o *retry.StandardOptions) {
	o.MaxAttempts = 3
	o.MaxBackoff = time.Second
	o.Retryables = []retry.IsErrorRetryable{retry.RetryableErrorCode{Codes: map[string]struct{}{
		"Throttling": {}, "ThrottlingException": {},
	}}}
})

// NewClient returns an SES client configured as awsclient configures every
// client; AWS_ENDPOINT_URL_SES points it at the local emulator.
func NewClient() (*ses.Client, error) {
	cfg, err := awsclient.Config()
	if err != nil {
		return nil, err
	}
	endpoint := os.Getenv("AWS_ENDPOINT_URL_SES")
	return ses.NewFromConfig(cfg, func(o *ses.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

// New returns a Mailer.
func New(api API, from, replyTo string) *Mailer {
	return &Mailer{api: api, from: from, replyTo: replyTo, Timeout: 5 * time.Second}
}

// Send sends one message as text and HTML. Throttling, after the SDK's own
// backed-off retries, is mail.ErrThrottled; a refusal of the recipient
// that will not change is mail.ErrRejected; a refusal of the sender
// (whoever the recipient) is a *mail.Blocked; no answer at all (a
// timeout, a broken connection) is mail.ErrMaybeSent.
func (m *Mailer) Send(ctx context.Context, msg pat.Message) error {
	in := &ses.SendEmailInput{
		Source:      aws.String(m.from),
		Destination: &types.Destination{ToAddresses: []string{msg.To}},
		Message: &types.Message{
			Subject: &types.Content{Data: aws.String(msg.Subject), Charset: aws.String("UTF-8")},
			Body: &types.Body{
				Text: &types.Content{Data: aws.String(msg.Text), Charset: aws.String("UTF-8")},
				Html: &types.Content{Data: aws.String(msg.HTML), Charset: aws.String("UTF-8")},
			},
		},
	}
	if m.replyTo != "" {
		in.ReplyToAddresses = []string{m.replyTo}
	}
	if m.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(m.ConfigurationSet)
	}
	if msg.UserID != "" {
		// A bounce or complaint names its message's tags: the owner tag
		// (the user record's key, not the user id, which may hold
		// characters a tag may not) says whose address failed.
		in.Tags = []types.MessageTag{{Name: aws.String(OwnerTagName), Value: aws.String(token.OwnerTag(msg.UserID))}}
	}
	ctx, cancel := context.WithTimeout(ctx, m.Timeout)
	defer cancel()
	_, err := m.api.SendEmail(ctx, in, func(o *ses.Options) { o.Retryer = retryer })
	if err == nil {
		return nil
	}
	if apiErr, ok := errors.AsType[smithy.APIError](err); ok {
		return m.refusal(apiErr.ErrorCode(), apiErr.ErrorMessage(), msg.To)
	}
	return fmt.Errorf("%w: %v", mail.ErrMaybeSent, err) // a transport error: no address in it
}
