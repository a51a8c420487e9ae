// Package sesmail is mail.Sender on Amazon SES.
package sesmail

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/aws/smithy-go"

	"github.com/patservice/pat/internal/awsclient"
	"github.com/patservice/pat/internal/mail"
	"github.com/patservice/pat/internal/pat"
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
}

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
	return &Mailer{api: api, from: from, replyTo: replyTo}
}

// SES error codes that will not change on retry.
var permanent = map[string]bool{
	"MessageRejected":                    true,
	"MailFromDomainNotVerifiedException": true,
	"ConfigurationSetDoesNotExist":       true,
	"InvalidParameterValue":              true,
}

// Send sends one message as text and HTML. Throttling, after the SDK's own
// backed-off retries, is mail.ErrThrottled; a refusal that will not
// change is mail.ErrRejected.
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
	_, err := m.api.SendEmail(ctx, in)
	if err == nil {
		return nil
	}
	if apiErr, ok := errors.AsType[smithy.APIError](err); ok {
		switch {
		case apiErr.ErrorCode() == "Throttling" || apiErr.ErrorCode() == "ThrottlingException":
			return fmt.Errorf("%w: %v", mail.ErrThrottled, err)
		case permanent[apiErr.ErrorCode()]:
			return fmt.Errorf("%w: %v", mail.ErrRejected, err)
		}
	}
	return fmt.Errorf("send mail: %w", err)
}
