package mail

import (
	"context"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"log/slog"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/patservice/pat/internal/pat"
)

// Notifier tells owners what an administrator did to their tokens: it
// composes the notice, which the service stores with the change, and sends
// it at once. What it cannot send stays in the outbox for the job.
type Notifier struct {
	outbox     Outbox
	sender     Sender // nil: notices wait for the job
	consoleURL string
	lease      time.Duration
	log        *slog.Logger
}

// NewNotifier returns a Notifier; with a nil mailer it only composes.
func NewNotifier(outbox Outbox, sender Sender, consoleURL string, log *slog.Logger) *Notifier {
	return &Notifier{outbox: outbox, sender: sender, consoleURL: consoleURL, lease: DefaultLease, log: log}
}

// Deliver sends stored notices now.
func (n *Notifier) Deliver(ctx context.Context, notices []pat.Notice) {
	if n.sender == nil {
		return
	}
	for _, notice := range notices {
		if _, err := Deliver(ctx, n.outbox, n.sender, notice, time.Now(), n.lease, n.log); err != nil {
			if !errors.Is(err, ErrSenderBlocked) { // Deliver said so, with its metric
				n.log.WarnContext(ctx, "notice not sent now; the lifecycle job retries it", "userId", notice.UserID, "error", err)
			}
			return
		}
	}
}

// AdminNotice composes the mail to the owner of tokens about an administrator's action.
func (n *Notifier) AdminNotice(action string, tokens []pat.Token, admin pat.Identity, reason string, at time.Time) (pat.Message, error) {
	verb := strings.TrimPrefix(action, "token.")
	data := struct {
		Verb, Who, When, Reason, ConsoleURL string
		Tokens                              []tokenView
	}{Verb: verb, Who: admin.Email, When: at.UTC().Format("2 January 2006, 15:04 UTC"), Reason: reason,
		ConsoleURL: strings.TrimRight(n.consoleURL, "/") + "/tokens"}
	if data.Who == "" {
		data.Who = admin.UserID
	}
	if data.Reason == "" {
		data.Reason = "none given"
	}
	for _, t := range tokens {
		data.Tokens = append(data.Tokens, describe(t, n.consoleURL))
	}
	subject := fmt.Sprintf("Your token %s was %s by an administrator", subjectName(tokens[0].Name), verb)
	if verb == "created" {
		subject = fmt.Sprintf("An administrator created the token %s for you", subjectName(tokens[0].Name))
	}
	if len(tokens) > 1 {
		subject = fmt.Sprintf("%d of your tokens were %s by an administrator", len(tokens), verb)
	}
	return compose(tokens[0].UserID, tokens[0].OwnerEmail, subject, adminTextT, adminHTMLT, data)
}

const adminText = `Hello,

an administrator, {{.Who}}, {{.Verb}} {{if eq (len .Tokens) 1}}your personal access token{{else}}{{len .Tokens}} of your personal access tokens{{end}} on {{.When}}.
Reason: {{.Reason}}
{{range .Tokens}}
Token "{{.Name}}" ({{.ID}})
  Scopes:    {{.Scopes}}
  Last used: {{.LastUsed}}
{{end}}
{{if eq .Verb "locked"}}A locked token stops working until an administrator unlocks it. It was not revoked.
{{else if eq .Verb "unlocked"}}The token works again.
{{else if eq .Verb "created"}}The administrator holds the token and should hand it to you securely. If you do not need it, revoke it: {{.ConsoleURL}}
{{else}}A revoked token no longer works. If you still need access, create a new token: {{.ConsoleURL}}
{{end}}
If you did not expect this, contact your administrators.
`

const adminHTML = `<!doctype html><html><body style="font-family:sans-serif">
<p>Hello,</p>
<p>an administrator, <strong>{{.Who}}</strong>, {{.Verb}} {{if eq (len .Tokens) 1}}your personal access token{{else}}{{len .Tokens}} of your personal access tokens{{end}} on {{.When}}.</p>
<p>Reason: {{.Reason}}</p>
{{range .Tokens}}<p><strong>{{.Name}}</strong> <code>{{.ID}}</code><br>Scopes: {{.Scopes}}<br>Last used: {{.LastUsed}}</p>
{{end}}
<p>{{if eq .Verb "locked"}}A locked token stops working until an administrator unlocks it. It was not revoked.{{else if eq .Verb "unlocked"}}The token works again.{{else if eq .Verb "created"}}The administrator holds the token and should hand it to you securely. If you do not need it, <a href="{{.ConsoleURL}}">revoke it</a>.{{else}}A revoked token no longer works. If you still need access, <a href="{{.ConsoleURL}}">create a new token</a>.{{end}}</p>
<p>If you did not expect this, contact your administrators.</p>
</body></html>`

var (
	adminTextT = texttemplate.Must(texttemplate.New("admin").Parse(adminText))
	adminHTMLT = htmltemplate.Must(htmltemplate.New("admin").Parse(adminHTML))
)
