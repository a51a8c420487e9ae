package mail

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/patservice/pat/internal/i18n"
	"github.com/patservice/pat/internal/pat"
)

// The mail of a replaced token used after its end. The authorizer stores
// the notice as data (pat.ReuseNotice), since it carries no mail code; it
// is composed here, in its owner's language, when it is sent.

const reuseText = `{{t "mail.hello"}}

{{t "mail.reuse.body" "name" .Name "id" .ID "date" .When "address" .Address}}

{{t "mail.reuse.copy"}}
{{if .Revoked}}{{t "mail.reuse.revoked" "replacement" .Replacement}}{{else}}{{t "mail.reuse.todo" "replacement" .Replacement}}{{end}}{{if .ConsoleURL}}
{{.ConsoleURL}}{{end}}

{{t "mail.reuse.once"}}
`

const reuseHTML = `<!doctype html><html><body style="font-family:sans-serif">
<p>{{t "mail.hello"}}</p>
<p>{{t "mail.reuse.body" "name" .Name "id" .ID "date" .When "address" .Address}}</p>
<p>{{t "mail.reuse.copy"}}</p>
<p><strong>{{if .Revoked}}{{t "mail.reuse.revoked" "replacement" .Replacement}}{{else}}{{t "mail.reuse.todo" "replacement" .Replacement}}{{end}}</strong>{{if .ConsoleURL}} <a href="{{.ConsoleURL}}">{{t "mail.console"}}</a>{{end}}</p>
<p>{{t "mail.reuse.once"}}</p>
</body></html>`

var reuseMail = newTemplate("reuse", reuseText, reuseHTML)

// ReuseMail tells the owner (to), in lang, that a replaced token was used
// after its end, from where, and whether its replacement was revoked.
func ReuseMail(lang i18n.Lang, userID, to string, r pat.ReuseNotice, consoleURL string) (pat.Message, error) {
	data := struct {
		Name, ID, When, Address, Replacement, ConsoleURL string
		Revoked                                          bool
	}{Name: r.TokenName, ID: r.TokenID, When: i18n.DateTime(lang, r.At), Address: r.SourceIP, Replacement: r.ReplacedBy, Revoked: r.ReplacementRevoked}
	if data.Address == "" {
		data.Address = "?"
	}
	if consoleURL != "" {
		data.ConsoleURL = strings.TrimRight(consoleURL, "/") + "/tokens"
	}
	return compose(lang, userID, to, i18n.T(lang, "mail.reuse.subject", "name", subjectName(r.TokenName)), reuseMail, data)
}

// Composer composes the notices stored as data (pat.Notice.Reuse) when
// they are sent: in their owner's language, to the owner's address.
type Composer struct {
	Users Users
	// Lang is the deployment's default language.
	Lang i18n.Lang
	// ConsoleURL is where the mail links ("": no link).
	ConsoleURL string
}

// errNoComposer: a notice stored as data reached a sender that cannot
// compose it; it stays in the outbox for the lifecycle job.
var errNoComposer = errors.New("no composer for a notice stored as data")

// Compose returns n's message: the stored one, or the one composed from
// its data.
func (c *Composer) Compose(ctx context.Context, n pat.Notice) (pat.Message, error) {
	if n.Reuse == nil {
		return n.Message, nil
	}
	if c == nil {
		return pat.Message{}, errNoComposer
	}
	owner, err := c.Users.GetUser(ctx, n.UserID)
	if err != nil && !errors.Is(err, pat.ErrUserNotFound) {
		return pat.Message{}, fmt.Errorf("read the owner of token %s for their language: %w", n.Reuse.TokenID, err)
	}
	to := owner.Email
	if to == "" {
		to = n.Reuse.OwnerEmail
	}
	return ReuseMail(Language(owner, c.Lang), n.UserID, to, *n.Reuse, c.ConsoleURL)
}
