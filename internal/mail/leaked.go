package mail

import (
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/patservice/pat/internal/pat"
)

// LeakNotifier composes the mails of a leaked token (pat.LeakNotifier):
// one to its owner, one to the administrators' address. Either is left
// out without an address.
type LeakNotifier struct {
	ConsoleURL string
	AdminEmail string // ADMIN_NOTIFY_EMAIL; "": administrators are not mailed
}

// LeakNotices composes the owner's and the administrators' mails.
func (n LeakNotifier) LeakNotices(t pat.Token, leak pat.Leak, reportedBy string, at time.Time) ([]pat.Message, error) {
	var out []pat.Message
	if t.OwnerEmail != "" {
		m, err := LeakedMail(t, leak, reportedBy, at, n.ConsoleURL)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if n.AdminEmail != "" {
		m, err := LeakedAdminMail(n.AdminEmail, t, leak, reportedBy, at, n.ConsoleURL)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// leakView is what a leak mail says: the token (never its secret), where
// it was found and who reported it.
type leakView struct {
	tokenView
	Owner, Where, Source, Note, ReportedBy, When string
}

func describeLeak(t pat.Token, leak pat.Leak, reportedBy string, at time.Time, consoleURL string) leakView {
	v := leakView{tokenView: describe(t, consoleURL), Owner: t.UserID, Where: leak.URL, Source: leak.Source, Note: leak.Note,
		ReportedBy: reportedBy, When: at.UTC().Format("2 January 2006, 15:04 UTC")}
	if v.Where == "" {
		v.Where = "not given"
	}
	if reportedBy == pat.ScannerGitHub {
		v.ReportedBy = "GitHub secret scanning"
	}
	if t.OwnerEmail != "" {
		v.Owner = fmt.Sprintf("%s (%s)", t.UserID, t.OwnerEmail)
	}
	return v
}

const leakedText = `Hello,

your personal access token "{{.Name}}" ({{.ID}}) was found where others can read it, and was revoked on {{.When}}.

  Found at:    {{.Where}}{{if .Source}} ({{.Source}}){{end}}
  Reported by: {{.ReportedBy}}{{if .Note}}
  Note:        {{.Note}}{{end}}
  Scopes:      {{.Scopes}}
  Last used:   {{.LastUsed}}

Anything still using it now gets 401 Unauthorized. What to do:
  - remove the token from where it was found, and from its history (a commit stays readable after a later commit deletes it);
  - check the token's recent activity and your systems for use you do not recognise: {{.ConsoleURL}}
  - create a new token and keep it in a secret store, not in code or files.
`

const leakedHTML = `<!doctype html><html><body style="font-family:sans-serif">
<p>Hello,</p>
<p>your personal access token <strong>{{.Name}}</strong> <code>{{.ID}}</code> was found where others can read it, and was revoked on {{.When}}.</p>
<p>Found at: <code>{{.Where}}</code>{{if .Source}} ({{.Source}}){{end}}<br>Reported by: {{.ReportedBy}}{{if .Note}}<br>Note: {{.Note}}{{end}}<br>Scopes: {{.Scopes}}<br>Last used: {{.LastUsed}}</p>
<p>Anything still using it now gets 401 Unauthorized. Remove the token from where it was found, and from its history; <a href="{{.ConsoleURL}}">check its recent activity</a>; create a new token and keep it in a secret store, not in code or files.</p>
</body></html>`

var (
	leakedTextT = texttemplate.Must(texttemplate.New("leaked").Parse(leakedText))
	leakedHTMLT = htmltemplate.Must(htmltemplate.New("leaked").Parse(leakedHTML))
)

// LeakedMail tells the owner that t was revoked as leaked, and where it
// was found.
func LeakedMail(t pat.Token, leak pat.Leak, reportedBy string, at time.Time, consoleURL string) (pat.Message, error) {
	v := describeLeak(t, leak, reportedBy, at, consoleURL)
	return compose(t.UserID, t.OwnerEmail, fmt.Sprintf("Your token %s was found in public and revoked", subjectName(t.Name)), leakedTextT, leakedHTMLT, v)
}

const leakedAdminText = `Hello,

the personal access token "{{.Name}}" ({{.ID}}) of {{.Owner}} was found where others can read it, and was revoked on {{.When}}.

  Found at:    {{.Where}}{{if .Source}} ({{.Source}}){{end}}
  Reported by: {{.ReportedBy}}{{if .Note}}
  Note:        {{.Note}}{{end}}
  Scopes:      {{.Scopes}}
  Last used:   {{.LastUsed}}

Its owner was told. Look at what the token did before it was revoked (the audit log), and at the owner's other tokens:
{{.ConsoleURL}}
`

const leakedAdminHTML = `<!doctype html><html><body style="font-family:sans-serif">
<p>Hello,</p>
<p>the personal access token <strong>{{.Name}}</strong> <code>{{.ID}}</code> of {{.Owner}} was found where others can read it, and was revoked on {{.When}}.</p>
<p>Found at: <code>{{.Where}}</code>{{if .Source}} ({{.Source}}){{end}}<br>Reported by: {{.ReportedBy}}{{if .Note}}<br>Note: {{.Note}}{{end}}<br>Scopes: {{.Scopes}}<br>Last used: {{.LastUsed}}</p>
<p>Its owner was told. <a href="{{.ConsoleURL}}">Look at what the token did before it was revoked, and at the owner's other tokens</a>.</p>
</body></html>`

var (
	leakedAdminTextT = texttemplate.Must(texttemplate.New("leaked-admin").Parse(leakedAdminText))
	leakedAdminHTMLT = htmltemplate.Must(htmltemplate.New("leaked-admin").Parse(leakedAdminHTML))
)

// LeakedAdminMail tells the administrators (to) that t was revoked as
// leaked, and where it was found.
func LeakedAdminMail(to string, t pat.Token, leak pat.Leak, reportedBy string, at time.Time, consoleURL string) (pat.Message, error) {
	v := describeLeak(t, leak, reportedBy, at, consoleURL)
	v.ConsoleURL = strings.TrimRight(consoleURL, "/") + "/admin/tokens/" + t.ID
	return compose("", to, fmt.Sprintf("Leaked token revoked: %s of %s", subjectName(t.Name), subjectName(t.UserID)), leakedAdminTextT, leakedAdminHTMLT, v)
}
