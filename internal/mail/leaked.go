package mail

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/patservice/pat/internal/i18n"
	"github.com/patservice/pat/internal/pat"
)

// LeakNotices composes the mails of a leaked token (pat.LeakNotifier): one
// to its owner, in their language, and one to the administrators' address
// (AdminEmail), in the deployment's. Either is left out without an address.
func (n *Notifier) LeakNotices(ctx context.Context, t pat.Token, leak pat.Leak, reporter pat.Identity, at time.Time) ([]pat.Message, error) {
	var out []pat.Message
	console := n.console(reporter)
	if t.OwnerEmail != "" {
		owner, err := n.users.GetUser(ctx, t.UserID)
		if err != nil && !errors.Is(err, pat.ErrUserNotFound) {
			return nil, fmt.Errorf("read the owner of token %s for their language: %w", t.ID, err)
		}
		m, err := LeakedMail(Language(owner, n.lang), t, leak, reporter.UserID, at, console)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if n.AdminEmail != "" {
		m, err := LeakedAdminMail(n.lang, n.AdminEmail, t, leak, reporter.UserID, at, console)
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
	Owner, Where, Source, Note, ReportedBy string
}

func describeLeak(lang i18n.Lang, t pat.Token, leak pat.Leak, reportedBy string, at time.Time, consoleURL string) leakView {
	v := leakView{tokenView: describe(lang, t, consoleURL), Owner: t.UserID, Where: leak.URL, Source: leak.Source, Note: leak.Note,
		ReportedBy: reportedBy}
	v.When = i18n.DateTime(lang, at)
	if v.Where == "" {
		v.Where = i18n.T(lang, "mail.leaked.not_given")
	}
	if reportedBy == pat.ScannerGitHub {
		v.ReportedBy = "GitHub secret scanning"
	}
	if t.OwnerEmail != "" {
		v.Owner = fmt.Sprintf("%s (%s)", t.UserID, t.OwnerEmail)
	}
	return v
}

const leakedFacts = `
  {{t "mail.leaked.found" "where" .Where}}{{if .Source}} ({{.Source}}){{end}}
  {{t "mail.leaked.reported_by" "who" .ReportedBy}}{{if .Note}}
  {{t "mail.leaked.note" "note" .Note}}{{end}}
  {{t "mail.scopes" "scopes" .Scopes}}
  {{t "mail.last_used" "date" .LastUsed}}
`

const leakedHTMLFacts = `<p>{{t "mail.leaked.found" "where" .Where}}{{if .Source}} ({{.Source}}){{end}}<br>{{t "mail.leaked.reported_by" "who" .ReportedBy}}{{if .Note}}<br>{{t "mail.leaked.note" "note" .Note}}{{end}}<br>{{t "mail.scopes" "scopes" .Scopes}}<br>{{t "mail.last_used" "date" .LastUsed}}</p>`

const leakedText = `{{t "mail.hello"}}

{{t "mail.leaked.body" "name" .Name "id" .ID "date" .When}}
` + leakedFacts + `
{{t "mail.deleted.refused"}} {{t "mail.leaked.todo"}}
  - {{t "mail.leaked.remove"}}
  - {{t "mail.leaked.check"}} {{.ConsoleURL}}
  - {{t "mail.leaked.new"}}
`

const leakedHTML = `<!doctype html><html><body style="font-family:sans-serif">
<p>{{t "mail.hello"}}</p>
<p>{{t "mail.leaked.body" "name" .Name "id" .ID "date" .When}}</p>
` + leakedHTMLFacts + `
<p>{{t "mail.deleted.refused"}} {{t "mail.leaked.remove"}} <a href="{{.ConsoleURL}}">{{t "mail.leaked.check"}}</a> {{t "mail.leaked.new"}}</p>
</body></html>`

var leakedMail = newTemplate("leaked", leakedText, leakedHTML)

// LeakedMail tells the owner, in lang, that t was revoked as leaked, and
// where it was found.
func LeakedMail(lang i18n.Lang, t pat.Token, leak pat.Leak, reportedBy string, at time.Time, consoleURL string) (pat.Message, error) {
	v := describeLeak(lang, t, leak, reportedBy, at, consoleURL)
	return compose(lang, t.UserID, t.OwnerEmail, i18n.T(lang, "mail.leaked.subject", "name", subjectName(t.Name)), leakedMail, v)
}

const leakedAdminText = `{{t "mail.hello"}}

{{t "mail.leaked.admin.body" "name" .Name "id" .ID "owner" .Owner "date" .When}}
` + leakedFacts + `
{{t "mail.leaked.admin.todo"}}
{{.ConsoleURL}}
`

const leakedAdminHTML = `<!doctype html><html><body style="font-family:sans-serif">
<p>{{t "mail.hello"}}</p>
<p>{{t "mail.leaked.admin.body" "name" .Name "id" .ID "owner" .Owner "date" .When}}</p>
` + leakedHTMLFacts + `
<p><a href="{{.ConsoleURL}}">{{t "mail.leaked.admin.todo"}}</a></p>
</body></html>`

var leakedAdminMail = newTemplate("leaked-admin", leakedAdminText, leakedAdminHTML)

// LeakedAdminMail tells the administrators (to), in lang, that t was
// revoked as leaked, and where it was found.
func LeakedAdminMail(lang i18n.Lang, to string, t pat.Token, leak pat.Leak, reportedBy string, at time.Time, consoleURL string) (pat.Message, error) {
	v := describeLeak(lang, t, leak, reportedBy, at, consoleURL)
	v.ConsoleURL = strings.TrimRight(consoleURL, "/") + "/admin/tokens/" + t.ID
	return compose(lang, "", to, i18n.T(lang, "mail.leaked.admin.subject", "name", subjectName(t.Name), "owner", subjectName(t.UserID)), leakedAdminMail, v)
}
