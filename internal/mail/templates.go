package mail

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/patservice/pat/internal/pat"
)

// tokenView is what a mail says about one token: never its secret.
type tokenView struct {
	Name, ID, Scopes, LastUsed, When, Verb, Link, ConsoleURL string
	Expiry                                                   bool
}

func describe(t pat.Token, consoleURL string) tokenView {
	last := "never"
	if t.LastUsedAt != nil {
		last = t.LastUsedAt.UTC().Format(dateLayout)
	}
	return tokenView{Name: t.Name, ID: t.ID, Scopes: strings.Join(t.Scopes, ", "), LastUsed: last,
		ConsoleURL: strings.TrimRight(consoleURL, "/") + "/tokens/" + t.ID}
}

const dateLayout = "2 January 2006"

// Reminder is one token's reminder in its owner's mail.
type Reminder struct {
	Token  pat.Token
	Expiry bool      // an expiry reminder; else the token is deleted for inactivity
	When   time.Time // when it expires or is deleted
	Link   string    // the one-click keep link
}

const reminderText = `Hello,

{{if eq (len .) 1}}One of your personal access tokens needs attention.{{else}}{{len .}} of your personal access tokens need attention.{{end}}
{{range .}}
Token "{{.Name}}" ({{.ID}})
  Scopes:    {{.Scopes}}
  Last used: {{.LastUsed}}
  {{if .Expiry}}Expires on {{.When}}.{{else}}Will be deleted on {{.When}}, because it has not been used for a long time.{{end}}
  To keep it:
  {{- if .Expiry}}
  - extend it with one click: {{.Link}}
  {{- else}}
  - use it before {{.When}}, or
  - keep it with one click: {{.Link}}
  {{- end}}
  - or rotate it in the console: {{.ConsoleURL}}
{{end}}
The one-click links work once, and each can only keep its own token.
If you no longer need a token, do nothing.
`

const reminderHTML = `<!doctype html><html><body style="font-family:sans-serif">
<p>Hello,</p>
<p>{{if eq (len .) 1}}One of your personal access tokens needs attention.{{else}}{{len .}} of your personal access tokens need attention.{{end}}</p>
{{range .}}<div style="border:1px solid #ccc;padding:12px;margin:12px 0">
<p><strong>{{.Name}}</strong> <code>{{.ID}}</code><br>Scopes: {{.Scopes}}<br>Last used: {{.LastUsed}}</p>
<p>{{if .Expiry}}Expires on <strong>{{.When}}</strong>.{{else}}Will be deleted on <strong>{{.When}}</strong>, because it has not been used for a long time.{{end}}</p>
<p><a href="{{.Link}}">{{if .Expiry}}Extend this token{{else}}Keep this token{{end}}</a> · <a href="{{.ConsoleURL}}">Rotate it in the console</a></p>
</div>{{end}}
<p>The one-click links work once, and each can only keep its own token. If you no longer need a token, do nothing.</p>
</body></html>`

var (
	reminderTextT = texttemplate.Must(texttemplate.New("reminder").Parse(reminderText))
	reminderHTMLT = htmltemplate.Must(htmltemplate.New("reminder").Parse(reminderHTML))
)

// ReminderMail is one owner's reminders, in one message.
func ReminderMail(rs []Reminder, consoleURL string) (pat.Message, error) {
	var tokens []tokenView
	for _, r := range rs {
		v := describe(r.Token, consoleURL)
		v.Link, v.Expiry, v.When = r.Link, r.Expiry, r.When.UTC().Format(dateLayout)
		tokens = append(tokens, v)
	}
	subject := fmt.Sprintf("%d of your personal access tokens need attention", len(tokens))
	if len(tokens) == 1 {
		t := tokens[0]
		subject = fmt.Sprintf("Your token %s will be deleted on %s", subjectName(t.Name), t.When)
		if t.Expiry {
			subject = fmt.Sprintf("Your token %s expires on %s", subjectName(t.Name), t.When)
		}
	}
	return compose(rs[0].Token.UserID, rs[0].Token.OwnerEmail, subject, reminderTextT, reminderHTMLT, tokens)
}

const deletedText = `Hello,

your personal access token "{{.Name}}" ({{.ID}}) was deleted on {{.When}}: it had not been used for {{.Verb}}.

  Scopes:    {{.Scopes}}
  Last used: {{.LastUsed}}

Anything still using it now gets 401 Unauthorized. If you need it, create a new token in the console:
{{.ConsoleURL}}
`

const deletedHTML = `<!doctype html><html><body style="font-family:sans-serif">
<p>Hello,</p>
<p>your personal access token <strong>{{.Name}}</strong> <code>{{.ID}}</code> was deleted on {{.When}}: it had not been used for {{.Verb}}.</p>
<p>Scopes: {{.Scopes}}<br>Last used: {{.LastUsed}}</p>
<p>Anything still using it now gets 401 Unauthorized. If you need it, <a href="{{.ConsoleURL}}">create a new token in the console</a>.</p>
</body></html>`

var (
	deletedTextT = texttemplate.Must(texttemplate.New("deleted").Parse(deletedText))
	deletedHTMLT = htmltemplate.Must(htmltemplate.New("deleted").Parse(deletedHTML))
)

// DeletedMail tells the owner a token was deleted for inactivity.
func DeletedMail(t pat.Token, inactivity time.Duration, at time.Time, consoleURL string) (pat.Message, error) {
	v := describe(t, consoleURL)
	v.ConsoleURL = strings.TrimRight(consoleURL, "/") + "/tokens"
	v.When = at.UTC().Format(dateLayout)
	v.Verb = fmt.Sprintf("%d days", int(inactivity.Hours()/24))
	return compose(t.UserID, t.OwnerEmail, fmt.Sprintf("Your token %s was deleted after %s without use", subjectName(t.Name), v.Verb), deletedTextT, deletedHTMLT, v)
}

const heldText = `Hello,

the personal access token "{{.Name}}" ({{.ID}}) of {{.Owner}} has not been used for {{.Verb}} and was due for deletion, but its owner could not be reminded: {{.Cause}}.

The deletion waits until {{.When}}. Until then, please reach the owner some other way, or decide yourself:
  - lock or revoke the token, or look at the owner's account: {{.ConsoleURL}}
  - or do nothing, and it is deleted on {{.When}}.

  Scopes:    {{.Scopes}}
  Last used: {{.LastUsed}}
`

const heldHTML = `<!doctype html><html><body style="font-family:sans-serif">
<p>Hello,</p>
<p>the personal access token <strong>{{.Name}}</strong> <code>{{.ID}}</code> of {{.Owner}} has not been used for {{.Verb}} and was due for deletion, but its owner could not be reminded: {{.Cause}}.</p>
<p>The deletion waits until <strong>{{.When}}</strong>. Until then, please reach the owner some other way, or <a href="{{.ConsoleURL}}">lock or revoke the token in the console</a>. If nobody acts, it is deleted on {{.When}}.</p>
<p>Scopes: {{.Scopes}}<br>Last used: {{.LastUsed}}</p>
</body></html>`

var (
	heldTextT = texttemplate.Must(texttemplate.New("held").Parse(heldText))
	heldHTMLT = htmltemplate.Must(htmltemplate.New("held").Parse(heldHTML))
)

// HeldDeletionMail tells the administrators (to) that the deletion of t
// for inactivity waits until "until", because its owner could not be
// reminded.
func HeldDeletionMail(to string, t pat.Token, owner pat.User, inactivity time.Duration, until time.Time, consoleURL string) (pat.Message, error) {
	v := describe(t, consoleURL)
	v.ConsoleURL = strings.TrimRight(consoleURL, "/") + "/admin/tokens/" + t.ID
	v.When = until.UTC().Format(dateLayout)
	v.Verb = fmt.Sprintf("%d days", int(inactivity.Hours()/24))
	data := struct {
		tokenView
		Owner, Cause string
	}{tokenView: v, Owner: t.UserID, Cause: "the owner has no email address"}
	if t.OwnerEmail != "" {
		data.Owner = fmt.Sprintf("%s (%s)", t.UserID, t.OwnerEmail)
	}
	switch {
	case owner.Unreachable != nil:
		data.Cause = fmt.Sprintf("mail to %s was refused or bounced on %s (%s)", owner.Email, owner.Unreachable.UTC().Format(dateLayout), owner.UnreachableCause)
	case t.OwnerEmail != "":
		data.Cause = "the mail service refused the reminder"
	}
	return compose("", to, fmt.Sprintf("Deletion held: token %s of %s could not be reminded", subjectName(t.Name), subjectName(t.UserID)), heldTextT, heldHTMLT, data)
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

// AdminMail tells the owner of tokens (all one owner's) that admin took
// action on them (the audit action, "token.revoked"...) at at, and why.
func AdminMail(action string, tokens []pat.Token, admin pat.Identity, reason string, at time.Time, consoleURL string) (pat.Message, error) {
	verb := strings.TrimPrefix(action, "token.")
	data := struct {
		Verb, Who, When, Reason, ConsoleURL string
		Tokens                              []tokenView
	}{Verb: verb, Who: admin.Email, When: at.UTC().Format("2 January 2006, 15:04 UTC"), Reason: reason,
		ConsoleURL: strings.TrimRight(consoleURL, "/") + "/tokens"}
	if data.Who == "" {
		data.Who = admin.UserID
	}
	if data.Reason == "" {
		data.Reason = "none given"
	}
	for _, t := range tokens {
		data.Tokens = append(data.Tokens, describe(t, consoleURL))
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

const emailChangedText = `Hello,

on {{.When}}, a sign-in to the account {{.UserID}} brought a new email address: {{.To}}.
From now on, mail about the account's personal access tokens goes there, not to this address: reminders before a token expires or is deleted (with the one-click links that keep it), and notices of administrators' actions.

If you changed your address, there is nothing to do.
If you did not, tell your administrators at once, and revoke tokens you do not trust: {{.ConsoleURL}}
`

const emailChangedHTML = `<!doctype html><html><body style="font-family:sans-serif">
<p>Hello,</p>
<p>on {{.When}}, a sign-in to the account <strong>{{.UserID}}</strong> brought a new email address: <strong>{{.To}}</strong>.</p>
<p>From now on, mail about the account's personal access tokens goes there, not to this address: reminders before a token expires or is deleted (with the one-click links that keep it), and notices of administrators' actions.</p>
<p>If you changed your address, there is nothing to do. If you did not, tell your administrators at once, and <a href="{{.ConsoleURL}}">revoke tokens you do not trust</a>.</p>
</body></html>`

var (
	emailChangedTextT = texttemplate.Must(texttemplate.New("email-changed").Parse(emailChangedText))
	emailChangedHTMLT = htmltemplate.Must(htmltemplate.New("email-changed").Parse(emailChangedHTML))
)

// EmailChangedMail tells a user's old address (user.Email) that mail
// about their tokens goes to the address to from now on: a change the
// identity provider brought, which the user may not have made.
func EmailChangedMail(user pat.User, to string, at time.Time, consoleURL string) (pat.Message, error) {
	data := struct{ UserID, To, When, ConsoleURL string }{UserID: user.ID, To: to,
		When: at.UTC().Format("2 January 2006, 15:04 UTC"), ConsoleURL: strings.TrimRight(consoleURL, "/") + "/tokens"}
	return compose(user.ID, user.Email, "The email address for your personal access tokens changed", emailChangedTextT, emailChangedHTMLT, data)
}

// compose renders a mail's text and HTML parts from the same data.
func compose(userID, to, subject string, text *texttemplate.Template, html *htmltemplate.Template, data any) (pat.Message, error) {
	var t, h bytes.Buffer
	if err := text.Execute(&t, data); err != nil {
		return pat.Message{}, fmt.Errorf("render %s: %w", text.Name(), err)
	}
	if err := html.Execute(&h, data); err != nil {
		return pat.Message{}, fmt.Errorf("render %s: %w", html.Name(), err)
	}
	return pat.Message{UserID: userID, To: to, Subject: subject, Text: t.String(), HTML: h.String()}, nil
}

// maxSubjectName bounds how much of a token's name a subject repeats.
const maxSubjectName = 60

// subjectName quotes a token name for a subject line. Names are checked
// when they are set, but a subject is a header: whatever a stored name may
// hold, line breaks, other control and format characters (bidirectional
// overrides, zero-width marks) are dropped and the length is bounded, so a
// name can neither add a header nor disguise the rest of the subject.
func subjectName(name string) string {
	clean := strings.Map(func(r rune) rune {
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	if r := []rune(clean); len(r) > maxSubjectName {
		clean = string(r[:maxSubjectName-1]) + "…"
	}
	return strconv.Quote(clean)
}
