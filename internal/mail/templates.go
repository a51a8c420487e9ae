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

	"github.com/patservice/pat/internal/i18n"
	"github.com/patservice/pat/internal/pat"
)

// Every mail is written in its reader's language (Language), with its
// texts from the i18n catalog (mail.json) and its dates as that language
// writes them.

// Language is the language of mail to u: their choice, else their
// identity provider's locale, else the deployment's default (fallback).
func Language(u pat.User, fallback i18n.Lang) i18n.Lang {
	return i18n.MatchOr(u.MailLanguage(), fallback)
}

// tokenView is what a mail says about one token: never its secret.
type tokenView struct {
	Name, ID, Scopes, LastUsed, When, Link, ConsoleURL string
	Days                                               int
	Expiry                                             bool
}

func describe(lang i18n.Lang, t pat.Token, consoleURL string) tokenView {
	last := i18n.T(lang, "mail.never")
	if t.LastUsedAt != nil {
		last = i18n.Date(lang, *t.LastUsedAt)
	}
	return tokenView{Name: t.Name, ID: t.ID, Scopes: strings.Join(t.Scopes, ", "), LastUsed: last,
		ConsoleURL: strings.TrimRight(consoleURL, "/") + "/tokens/" + t.ID}
}

// template is one mail's text and HTML parts, parsed once per language
// with that language's texts: {{t "key" "name" value ...}}.
type template struct {
	name string
	text map[i18n.Lang]*texttemplate.Template
	html map[i18n.Lang]*htmltemplate.Template
}

func newTemplate(name, text, html string) template {
	m := template{name: name, text: map[i18n.Lang]*texttemplate.Template{}, html: map[i18n.Lang]*htmltemplate.Template{}}
	for _, lang := range i18n.Languages() {
		t := func(key string, args ...any) string {
			s := make([]string, len(args))
			for i, a := range args {
				s[i] = fmt.Sprint(a)
			}
			return i18n.T(lang, key, s...)
		}
		m.text[lang] = texttemplate.Must(texttemplate.New(name).Funcs(texttemplate.FuncMap{"t": t}).Parse(text))
		m.html[lang] = htmltemplate.Must(htmltemplate.New(name).Funcs(htmltemplate.FuncMap{"t": t}).Parse(html))
	}
	return m
}

// Reminder is one token's reminder in its owner's mail.
type Reminder struct {
	Token  pat.Token
	Expiry bool      // an expiry reminder; else the token is deleted for inactivity
	When   time.Time // when it expires or is deleted
	Link   string    // the one-click keep link
}

const reminderText = `{{t "mail.hello"}}

{{if eq (len .) 1}}{{t "mail.reminder.intro.one"}}{{else}}{{t "mail.reminder.intro.many" "count" (len .)}}{{end}}
{{range .}}
{{t "mail.token" "name" .Name "id" .ID}}
  {{t "mail.scopes" "scopes" .Scopes}}
  {{t "mail.last_used" "date" .LastUsed}}
  {{if .Expiry}}{{t "mail.reminder.expires" "date" .When}}{{else}}{{t "mail.reminder.deleted" "date" .When}}{{end}}
  {{t "mail.reminder.to_keep"}}
  {{- if .Expiry}}
  - {{t "mail.reminder.extend" "link" .Link}}
  {{- else}}
  - {{t "mail.reminder.use_before" "date" .When}}
  - {{t "mail.reminder.keep" "link" .Link}}
  {{- end}}
  - {{t "mail.reminder.rotate" "link" .ConsoleURL}}
{{end}}
{{t "mail.reminder.once"}}
{{t "mail.reminder.nothing"}}
`

const reminderHTML = `<!doctype html><html><body style="font-family:sans-serif">
<p>{{t "mail.hello"}}</p>
<p>{{if eq (len .) 1}}{{t "mail.reminder.intro.one"}}{{else}}{{t "mail.reminder.intro.many" "count" (len .)}}{{end}}</p>
{{range .}}<div style="border:1px solid #ccc;padding:12px;margin:12px 0">
<p><strong>{{.Name}}</strong> <code>{{.ID}}</code><br>{{t "mail.scopes" "scopes" .Scopes}}<br>{{t "mail.last_used" "date" .LastUsed}}</p>
<p><strong>{{if .Expiry}}{{t "mail.reminder.expires" "date" .When}}{{else}}{{t "mail.reminder.deleted" "date" .When}}{{end}}</strong></p>
<p><a href="{{.Link}}">{{if .Expiry}}{{t "mail.reminder.extend_link"}}{{else}}{{t "mail.reminder.keep_link"}}{{end}}</a> · <a href="{{.ConsoleURL}}">{{t "mail.reminder.rotate_link"}}</a></p>
</div>{{end}}
<p>{{t "mail.reminder.once"}} {{t "mail.reminder.nothing"}}</p>
</body></html>`

var reminderMail = newTemplate("reminder", reminderText, reminderHTML)

// ReminderMail is one owner's reminders, in one message in lang.
func ReminderMail(lang i18n.Lang, rs []Reminder, consoleURL string) (pat.Message, error) {
	var tokens []tokenView
	for _, r := range rs {
		v := describe(lang, r.Token, consoleURL)
		v.Link, v.Expiry, v.When = r.Link, r.Expiry, i18n.Date(lang, r.When)
		tokens = append(tokens, v)
	}
	subject := i18n.T(lang, "mail.reminder.subject.many", "count", strconv.Itoa(len(tokens)))
	if len(tokens) == 1 {
		t := tokens[0]
		key := "mail.reminder.subject.delete"
		if t.Expiry {
			key = "mail.reminder.subject.expiry"
		}
		subject = i18n.T(lang, key, "name", subjectName(t.Name), "date", t.When)
	}
	return compose(lang, rs[0].Token.UserID, rs[0].Token.OwnerEmail, subject, reminderMail, tokens)
}

const deletedText = `{{t "mail.hello"}}

{{t "mail.deleted.body" "name" .Name "id" .ID "date" .When "days" .Days}}

  {{t "mail.scopes" "scopes" .Scopes}}
  {{t "mail.last_used" "date" .LastUsed}}

{{t "mail.deleted.refused"}} {{t "mail.deleted.create"}}
{{.ConsoleURL}}
`

const deletedHTML = `<!doctype html><html><body style="font-family:sans-serif">
<p>{{t "mail.hello"}}</p>
<p>{{t "mail.deleted.body" "name" .Name "id" .ID "date" .When "days" .Days}}</p>
<p>{{t "mail.scopes" "scopes" .Scopes}}<br>{{t "mail.last_used" "date" .LastUsed}}</p>
<p>{{t "mail.deleted.refused"}} {{t "mail.deleted.create"}} <a href="{{.ConsoleURL}}">{{t "mail.console"}}</a></p>
</body></html>`

var deletedMail = newTemplate("deleted", deletedText, deletedHTML)

// DeletedMail tells the owner, in lang, that a token was deleted for
// inactivity.
func DeletedMail(lang i18n.Lang, t pat.Token, inactivity time.Duration, at time.Time, consoleURL string) (pat.Message, error) {
	v := describe(lang, t, consoleURL)
	v.ConsoleURL = strings.TrimRight(consoleURL, "/") + "/tokens"
	v.When = i18n.Date(lang, at)
	v.Days = int(inactivity.Hours() / 24)
	subject := i18n.T(lang, "mail.deleted.subject", "name", subjectName(t.Name), "days", strconv.Itoa(v.Days))
	return compose(lang, t.UserID, t.OwnerEmail, subject, deletedMail, v)
}

const heldText = `{{t "mail.hello"}}

{{t "mail.held.body" "name" .Name "id" .ID "owner" .Owner "days" .Days "cause" .Cause}}

{{t "mail.held.waits" "date" .When}}
{{.ConsoleURL}}
{{t "mail.held.nothing" "date" .When}}

  {{t "mail.scopes" "scopes" .Scopes}}
  {{t "mail.last_used" "date" .LastUsed}}
`

const heldHTML = `<!doctype html><html><body style="font-family:sans-serif">
<p>{{t "mail.hello"}}</p>
<p>{{t "mail.held.body" "name" .Name "id" .ID "owner" .Owner "days" .Days "cause" .Cause}}</p>
<p>{{t "mail.held.waits" "date" .When}} <a href="{{.ConsoleURL}}">{{t "mail.console"}}</a></p>
<p><strong>{{t "mail.held.nothing" "date" .When}}</strong></p>
<p>{{t "mail.scopes" "scopes" .Scopes}}<br>{{t "mail.last_used" "date" .LastUsed}}</p>
</body></html>`

var heldMail = newTemplate("held", heldText, heldHTML)

// HeldDeletionMail tells the administrators (to), in lang, that the
// deletion of t for inactivity waits until "until", because its owner
// could not be reminded.
func HeldDeletionMail(lang i18n.Lang, to string, t pat.Token, owner pat.User, inactivity time.Duration, until time.Time, consoleURL string) (pat.Message, error) {
	v := describe(lang, t, consoleURL)
	v.ConsoleURL = strings.TrimRight(consoleURL, "/") + "/admin/tokens/" + t.ID
	v.When = i18n.Date(lang, until)
	v.Days = int(inactivity.Hours() / 24)
	data := struct {
		tokenView
		Owner, Cause string
	}{tokenView: v, Owner: t.UserID, Cause: i18n.T(lang, "mail.held.cause.no_address")}
	if t.OwnerEmail != "" {
		data.Owner = fmt.Sprintf("%s (%s)", t.UserID, t.OwnerEmail)
	}
	switch {
	case owner.Unreachable != nil:
		data.Cause = i18n.T(lang, "mail.held.cause.bounced", "email", owner.Email, "date", i18n.Date(lang, *owner.Unreachable), "cause", owner.UnreachableCause)
	case t.OwnerEmail != "":
		data.Cause = i18n.T(lang, "mail.held.cause.refused")
	}
	subject := i18n.T(lang, "mail.held.subject", "name", subjectName(t.Name), "owner", subjectName(t.UserID))
	return compose(lang, "", to, subject, heldMail, data)
}

const adminText = `{{t "mail.hello"}}

{{t .Body "who" .Who "count" (len .Tokens) "date" .When}}
{{t "mail.admin.reason" "reason" .Reason}}
{{range .Tokens}}
{{t "mail.token" "name" .Name "id" .ID}}
  {{t "mail.scopes" "scopes" .Scopes}}
  {{t "mail.last_used" "date" .LastUsed}}
{{end}}
{{t .After}}{{if .Link}} {{.ConsoleURL}}{{end}}

{{t "mail.admin.unexpected"}}
`

const adminHTML = `<!doctype html><html><body style="font-family:sans-serif">
<p>{{t "mail.hello"}}</p>
<p>{{t .Body "who" .Who "count" (len .Tokens) "date" .When}}</p>
<p>{{t "mail.admin.reason" "reason" .Reason}}</p>
{{range .Tokens}}<p><strong>{{.Name}}</strong> <code>{{.ID}}</code><br>{{t "mail.scopes" "scopes" .Scopes}}<br>{{t "mail.last_used" "date" .LastUsed}}</p>
{{end}}
<p>{{t .After}}{{if .Link}} <a href="{{.ConsoleURL}}">{{t "mail.console"}}</a>{{end}}</p>
<p>{{t "mail.admin.unexpected"}}</p>
</body></html>`

var adminMail = newTemplate("admin", adminText, adminHTML)

// adminVerbs are the administrators' actions an owner is told of, by the
// verb of their texts; any other action reads as a revocation.
var adminVerbs = map[string]string{pat.ActionLocked: "locked", pat.ActionUnlocked: "unlocked", pat.ActionCreated: "created", pat.ActionRevoked: "revoked"}

// AdminMail tells the owner of tokens (all one owner's), in lang, that
// admin took action on them (the audit action, "token.revoked"...) at at,
// and why.
func AdminMail(lang i18n.Lang, action string, tokens []pat.Token, admin pat.Identity, reason string, at time.Time, consoleURL string) (pat.Message, error) {
	verb, ok := adminVerbs[action]
	if !ok {
		verb = "revoked"
	}
	many := ""
	if len(tokens) > 1 {
		many = "many."
	}
	data := struct {
		Body, After, Who, When, Reason, ConsoleURL string
		Link                                       bool
		Tokens                                     []tokenView
	}{Body: "mail.admin.body." + many + verb, After: "mail.admin.after." + verb, Who: admin.Email,
		When: i18n.DateTime(lang, at), Reason: reason, ConsoleURL: strings.TrimRight(consoleURL, "/") + "/tokens",
		Link: verb == "created" || verb == "revoked"}
	if data.Who == "" {
		data.Who = admin.UserID
	}
	if data.Reason == "" {
		data.Reason = i18n.T(lang, "mail.admin.no_reason")
	}
	for _, t := range tokens {
		data.Tokens = append(data.Tokens, describe(lang, t, consoleURL))
	}
	subject := i18n.T(lang, "mail.admin.subject."+many+verb, "name", subjectName(tokens[0].Name), "count", strconv.Itoa(len(tokens)))
	return compose(lang, tokens[0].UserID, tokens[0].OwnerEmail, subject, adminMail, data)
}

const emailChangedText = `{{t "mail.hello"}}

{{t "mail.email_changed.body" "date" .When "user" .UserID "to" .To}}
{{t "mail.email_changed.where"}}

{{t "mail.email_changed.ok"}}
{{t "mail.email_changed.act"}} {{.ConsoleURL}}
`

const emailChangedHTML = `<!doctype html><html><body style="font-family:sans-serif">
<p>{{t "mail.hello"}}</p>
<p>{{t "mail.email_changed.body" "date" .When "user" .UserID "to" .To}}</p>
<p>{{t "mail.email_changed.where"}}</p>
<p>{{t "mail.email_changed.ok"}} {{t "mail.email_changed.act"}} <a href="{{.ConsoleURL}}">{{t "mail.console"}}</a></p>
</body></html>`

var emailChangedMail = newTemplate("email-changed", emailChangedText, emailChangedHTML)

// EmailChangedMail tells a user's old address (user.Email), in lang, that
// mail about their tokens goes to the address to from now on: a change
// the identity provider brought, which the user may not have made.
func EmailChangedMail(lang i18n.Lang, user pat.User, to string, at time.Time, consoleURL string) (pat.Message, error) {
	data := struct{ UserID, To, When, ConsoleURL string }{UserID: user.ID, To: to,
		When: i18n.DateTime(lang, at), ConsoleURL: strings.TrimRight(consoleURL, "/") + "/tokens"}
	return compose(lang, user.ID, user.Email, i18n.T(lang, "mail.email_changed.subject"), emailChangedMail, data)
}

// compose renders a mail's text and HTML parts in lang from the same data.
func compose(lang i18n.Lang, userID, to, subject string, m template, data any) (pat.Message, error) {
	if _, ok := m.text[lang]; !ok {
		lang = i18n.Fallback
	}
	var t, h bytes.Buffer
	if err := m.text[lang].Execute(&t, data); err != nil {
		return pat.Message{}, fmt.Errorf("render %s text in %s: %w", m.name, lang, err)
	}
	if err := m.html[lang].Execute(&h, data); err != nil {
		return pat.Message{}, fmt.Errorf("render %s HTML in %s: %w", m.name, lang, err)
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
	return strconv.Quote(plainText(name, maxSubjectName))
}

// plainText drops line breaks, other control and format characters from
// s and bounds its length to max runes.
func plainText(s string, max int) string {
	clean := strings.Map(func(r rune) rune {
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
	if r := []rune(clean); len(r) > max {
		clean = string(r[:max-1]) + "…"
	}
	return clean
}
