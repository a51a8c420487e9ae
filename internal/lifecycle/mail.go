package lifecycle

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/patservice/pat/internal/pat"
)

// mailToken is what a mail says about one token: never its secret.
type mailToken struct {
	Name, ID, Scopes, LastUsed, When, Verb, Link, ConsoleURL string
	Expiry                                                   bool
}

func describe(t pat.Token, consoleURL string) mailToken {
	last := "never"
	if t.LastUsedAt != nil {
		last = t.LastUsedAt.UTC().Format("2 January 2006")
	}
	return mailToken{Name: t.Name, ID: t.ID, Scopes: strings.Join(t.Scopes, ", "), LastUsed: last,
		ConsoleURL: strings.TrimRight(consoleURL, "/") + "/tokens/" + t.ID}
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

// reminderMail is one owner's reminders, in one message.
func reminderMail(rs []reminder, consoleURL string) (pat.Mail, error) {
	var tokens []mailToken
	for _, r := range rs {
		mt := describe(r.token, consoleURL)
		mt.Link, mt.Expiry = r.link, r.step.Kind == pat.StepExpiryReminder
		when := r.step.At.Add(time.Duration(r.step.Days) * 24 * time.Hour)
		mt.When = when.UTC().Format("2 January 2006")
		tokens = append(tokens, mt)
	}
	subject := fmt.Sprintf("%d of your personal access tokens need attention", len(tokens))
	if len(tokens) == 1 {
		t := tokens[0]
		subject = fmt.Sprintf("Your token %q will be deleted on %s", t.Name, t.When)
		if t.Expiry {
			subject = fmt.Sprintf("Your token %q expires on %s", t.Name, t.When)
		}
	}
	return compose(rs[0].token.OwnerEmail, subject, reminderTextT, reminderHTMLT, tokens)
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

// deletedMail tells the owner a token was deleted for inactivity.
func deletedMail(t pat.Token, inactivity time.Duration, now time.Time, consoleURL string) (pat.Mail, error) {
	mt := describe(t, consoleURL)
	mt.ConsoleURL = strings.TrimRight(consoleURL, "/") + "/tokens"
	mt.When = now.UTC().Format("2 January 2006")
	mt.Verb = fmt.Sprintf("%d days", int(inactivity.Hours()/24))
	return compose(t.OwnerEmail, fmt.Sprintf("Your token %q was deleted after %s without use", t.Name, mt.Verb), deletedTextT, deletedHTMLT, mt)
}

// compose renders a mail's text and HTML parts from the same data.
func compose(to, subject string, text *texttemplate.Template, html *htmltemplate.Template, data any) (pat.Mail, error) {
	var t, h bytes.Buffer
	if err := text.Execute(&t, data); err != nil {
		return pat.Mail{}, fmt.Errorf("render %s: %w", text.Name(), err)
	}
	if err := html.Execute(&h, data); err != nil {
		return pat.Mail{}, fmt.Errorf("render %s: %w", html.Name(), err)
	}
	return pat.Mail{To: to, Subject: subject, Text: t.String(), HTML: h.String()}, nil
}
