package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/i18n"
	"github.com/patservice/pat/internal/pat"
)

// KeepToken serves the one-click links of mails: a reminder's, which keeps
// its token, and a creation notice's "this was not me", which revokes it.
// GET only shows what the link would do, with a button: mail scanners open
// links, and opening must change nothing. POST (the button) does it, once.
// The page speaks the browser's language; GET offers the others as links
// that keep the code, so switching changes nothing either.
func (a *API) KeepToken(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	page := keepView{}
	status := http.StatusOK
	switch req.RequestContext.HTTP.Method {
	case http.MethodGet:
		link, t, err := a.svc.PeekKeepToken(ctx, req.QueryStringParameters["code"])
		page, status = a.keepResult(ctx, link, t, err)
		page.Code, page.Confirm = req.QueryStringParameters["code"], err == nil
		page.Expiry = link.Purpose == pat.KeepExpiry
	case http.MethodPost:
		link, t, err := a.svc.KeepToken(ctx, formValue(req, "code"), req.RequestContext.HTTP.SourceIP)
		page, status = a.keepResult(ctx, link, t, err)
		page.Done = err == nil
	default:
		status, page.Message = http.StatusMethodNotAllowed, "keep.error.method"
	}
	page.pageView = pageFor(req)
	if req.RequestContext.HTTP.Method != http.MethodGet {
		// The answer to the click cannot be asked for again: the
		// language stays as chosen, and no link pretends otherwise.
		page.Switch = nil
	}
	if page.Until != nil {
		page.UntilText = i18n.Date(page.Lang, *page.Until)
	}
	var body bytes.Buffer
	if err := keepTemplate.Execute(&body, page); err != nil {
		return a.problemFor(ctx, req, err), nil
	}
	resp := respond(status, "text/html; charset=utf-8", body.Bytes())
	// The code is in the URL: keep it out of other sites' logs, and the page out of frames.
	resp.Headers["Referrer-Policy"] = "no-referrer"
	resp.Headers["Content-Security-Policy"] = pageCSP("form-action 'self'")
	resp.Headers["Content-Language"] = string(page.Lang)
	resp.Headers["Vary"] = "Accept-Language"
	return resp, nil
}

type keepView struct {
	pageView
	Name, ID, Code        string
	Message               string // the key of what the page says instead
	Until                 *time.Time
	UntilText             string
	Confirm, Done, Expiry bool
	NotMe                 bool // a "this was not me" link: it revokes
}

func (a *API) keepResult(ctx context.Context, link pat.KeepLink, t pat.Token, err error) (keepView, int) {
	if err != nil {
		switch pat.ErrorCode(err) {
		case pat.CodeInternal:
			a.log.ErrorContext(ctx, "keep link failed", "error", err)
			return keepView{Message: "keep.error.internal"}, http.StatusInternalServerError
		case pat.CodeTokenLocked:
			return keepView{Message: "keep.error.locked"}, http.StatusConflict
		case pat.CodeScopeNotPermitted:
			return keepView{Message: "keep.error.permissions"}, http.StatusConflict
		}
		return keepView{Message: "keep.error.invalid"}, http.StatusNotFound
	}
	if link.Purpose == pat.LinkNotMe {
		return keepView{Name: t.Name, ID: t.ID, NotMe: true}, http.StatusOK
	}
	until := a.svc.Lifecycle().KeptUntil(t)
	return keepView{Name: t.Name, ID: t.ID, Until: &until}, http.StatusOK
}

// formValue reads a field of a form-encoded body.
func formValue(req events.APIGatewayV2HTTPRequest, name string) string {
	body := req.Body
	if req.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return ""
		}
		body = string(b)
	}
	if len(body) > MaxBodyBytes {
		return ""
	}
	values, err := url.ParseQuery(strings.TrimSpace(body))
	if err != nil {
		return ""
	}
	return values.Get(name)
}

var keepTemplate = template.Must(template.Must(template.New("keep").Parse(pageSwitch)).Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{if .NotMe}}{{.T "notme.title"}}{{else}}{{.T "keep.title"}}{{end}}</title>
<style>{{.Style}}</style>
</head><body>
{{template "switch" .}}
{{if .Message}}<p>{{.T .Message}}</p>
{{else if and .NotMe .Done}}<h1>{{.T "notme.done.heading"}}</h1><p>{{.T "notme.done" "name" .Name "id" .ID}}</p>
{{else if .NotMe}}<h1>{{.T "notme.confirm.heading"}}</h1>
<p>{{.T "notme.confirm" "name" .Name "id" .ID}}</p>
<form method="post" action="keep?lang={{.Lang}}"><input type="hidden" name="code" value="{{.Code}}"><button type="submit">{{.T "notme.button"}}</button></form>
<p>{{.T "notme.once"}}</p>
{{else if .Done}}<h1>{{.T "keep.kept.heading"}}</h1><p>{{if .UntilText}}{{.T "keep.kept.until" "name" .Name "id" .ID "until" .UntilText}}{{else}}{{.T "keep.kept" "name" .Name "id" .ID}}{{end}}</p>
{{else if .Confirm}}<h1>{{.T "keep.confirm.heading"}}</h1>
<p>{{if .Expiry}}{{.T "keep.confirm.expiry" "name" .Name "id" .ID}}{{else}}{{.T "keep.confirm.activity" "name" .Name "id" .ID}}{{end}}</p>
<form method="post" action="keep?lang={{.Lang}}"><input type="hidden" name="code" value="{{.Code}}"><button type="submit">{{.T "keep.button"}}</button></form>
<p>{{.T "keep.once"}}</p>{{end}}
</body></html>`))
