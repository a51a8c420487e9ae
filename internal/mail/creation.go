package mail

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/patservice/pat/internal/i18n"
	"github.com/patservice/pat/internal/pat"
)

// CreationNotice composes the mail to the owner of a new token
// (CreationMail), in the owner's language.
func (n *Notifier) CreationNotice(ctx context.Context, c pat.Creation) (pat.Message, error) {
	owner, err := n.users.GetUser(ctx, c.Token.UserID)
	if err != nil && !errors.Is(err, pat.ErrUserNotFound) {
		return pat.Message{}, fmt.Errorf("read the owner of token %s for their language: %w", c.Token.ID, err)
	}
	return CreationMail(Language(owner, n.lang), c, n.consoleURL)
}

const creationText = `{{t "mail.hello"}}

{{t .Body "who" .Who "date" .When "old" .RotatedFrom}}

{{t "mail.token" "name" .Name "id" .ID}}
  {{t "mail.scopes" "scopes" .Scopes}}
  {{t "mail.created.expires" "date" .Expires}}
  {{t "mail.created.sources" "sources" .Sources}}
  {{t "mail.created.from" "address" .Address "client" .Client}}

{{t "mail.created.ok"}}
{{if .Link}}{{t "mail.created.not_me" "link" .Link}}
{{t "mail.created.link_note" "date" .LinkUntil}}
{{else}}{{t "mail.created.not_me_console"}} {{.ConsoleURL}}
{{end}}{{t "mail.created.no_secret"}}
`

const creationHTML = `<!doctype html><html><body style="font-family:sans-serif">
<p>{{t "mail.hello"}}</p>
<p>{{t .Body "who" .Who "date" .When "old" .RotatedFrom}}</p>
<p><strong>{{.Name}}</strong> <code>{{.ID}}</code><br>{{t "mail.scopes" "scopes" .Scopes}}<br>{{t "mail.created.expires" "date" .Expires}}<br>{{t "mail.created.sources" "sources" .Sources}}<br>{{t "mail.created.from" "address" .Address "client" .Client}}</p>
<p>{{t "mail.created.ok"}}</p>
{{if .Link}}<p><a href="{{.Link}}"><strong>{{t "mail.created.not_me_link"}}</strong></a></p>
<p>{{t "mail.created.link_note" "date" .LinkUntil}}</p>
{{else}}<p>{{t "mail.created.not_me_console"}} <a href="{{.ConsoleURL}}">{{t "mail.console"}}</a></p>
{{end}}<p>{{t "mail.created.no_secret"}}</p>
</body></html>`

var creationMail = newTemplate("creation", creationText, creationHTML)

// maxClient bounds how much of the creating request's User-Agent a
// notice repeats.
const maxClient = 120

// CreationMail tells a token's owner, in lang, that the token was created,
// rotated (by them, or by the token itself) or issued by an administrator
// on their account: what it may do,
// until when and from where, from which address and client the request
// came, and the "this was not me" link that revokes it. Never its secret.
func CreationMail(lang i18n.Lang, c pat.Creation, consoleURL string) (pat.Message, error) {
	t := c.Token
	v := describe(lang, t, consoleURL)
	data := struct {
		tokenView
		Body, Who, When, RotatedFrom, Expires, Sources, Address, Client, Link, LinkUntil string
	}{tokenView: v, Body: "mail.created.body.self", When: i18n.DateTime(lang, c.At), RotatedFrom: c.RotatedFrom,
		Expires: i18n.T(lang, "mail.created.never"), Sources: i18n.T(lang, "mail.created.anywhere"),
		Address: c.Actor.SourceIP, Client: clientText(c.Actor.UserAgent), Link: c.Link}
	subject := "mail.created.subject"
	switch {
	case c.Role == pat.RoleAdmin:
		data.Body, subject = "mail.created.body.admin", "mail.created.subject.admin"
		data.Who = c.Actor.Email
		if data.Who == "" {
			data.Who = c.Actor.UserID
		}
	case c.SelfRotated:
		data.Body, subject = "mail.created.body.self_rotated", "mail.created.subject.self_rotated"
	case c.RotatedFrom != "":
		data.Body, subject = "mail.created.body.rotated", "mail.created.subject.rotated"
	}
	if t.ExpiresAt != nil {
		data.Expires = i18n.Date(lang, *t.ExpiresAt)
	}
	if len(t.AllowedSources) > 0 {
		data.Sources = strings.Join(t.AllowedSources, ", ")
	}
	if data.Address == "" {
		data.Address = i18n.T(lang, "mail.created.unknown")
	}
	if data.Client == "" {
		data.Client = i18n.T(lang, "mail.created.unknown")
	}
	if c.Link != "" {
		data.LinkUntil = i18n.DateTime(lang, c.LinkUntil)
	}
	return compose(lang, t.UserID, t.OwnerEmail, i18n.T(lang, subject, "name", subjectName(t.Name)), creationMail, data)
}

// clientText is a request's User-Agent as a notice shows it: plain text
// (the templates escape it), without control or format characters, and
// bounded, since the caller chose it.
func clientText(ua string) string {
	return strings.TrimSpace(plainText(strings.TrimSpace(ua), maxClient))
}
