package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/pat"
)

// KeepToken serves the one-click link of a reminder mail. GET only shows
// what the link would do, with a button: mail scanners open links, and
// opening must change nothing. POST (the button) keeps the token, once.
func (a *API) KeepToken(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	page := keepView{}
	status := http.StatusOK
	switch req.RequestContext.HTTP.Method {
	case http.MethodGet:
		link, t, err := a.svc.PeekKeepToken(ctx, req.QueryStringParameters["code"])
		page, status = a.keepResult(ctx, req, t, err)
		page.Code, page.Confirm = req.QueryStringParameters["code"], err == nil
		page.Expiry = link.Purpose == pat.KeepExpiry
	case http.MethodPost:
		t, err := a.svc.KeepToken(ctx, formValue(req, "code"), req.RequestContext.HTTP.SourceIP)
		page, status = a.keepResult(ctx, req, t, err)
		page.Done = err == nil
	default:
		status, page.Message = http.StatusMethodNotAllowed, "Use the link from your mail."
	}
	var body bytes.Buffer
	if err := keepTemplate.Execute(&body, page); err != nil {
		return a.problemFor(ctx, req, err), nil
	}
	resp := respond(status, "text/html; charset=utf-8", body.Bytes())
	// The code is in the URL: keep it out of other sites' logs, and the page out of frames.
	resp.Headers["Referrer-Policy"] = "no-referrer"
	resp.Headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
	return resp, nil
}

type keepView struct {
	Name, ID, Until, Message, Code string
	Confirm, Done, Expiry          bool
}

func (a *API) keepResult(ctx context.Context, req events.APIGatewayV2HTTPRequest, t pat.Token, err error) (keepView, int) {
	if err != nil {
		switch pat.ErrorCode(err) {
		case pat.CodeInternal:
			a.log.ErrorContext(ctx, "keep link failed", "error", err)
			return keepView{Message: "Something went wrong on our side. Please try again later."}, http.StatusInternalServerError
		case pat.CodeTokenLocked:
			return keepView{Message: "An administrator locked this token: it cannot be kept until they unlock it. Ask them, or create a new token."}, http.StatusConflict
		case pat.CodeScopeNotPermitted:
			return keepView{Message: "You no longer hold all the permissions this token has, so it cannot be kept. Sign in and create a new token if you still need one."}, http.StatusConflict
		}
		return keepView{Message: "This link is not valid: it was used already, it expired, or its token is gone."}, http.StatusNotFound
	}
	until := a.svc.Lifecycle().KeptUntil(t)
	return keepView{Name: t.Name, ID: t.ID, Until: until.UTC().Format("2 January 2006")}, http.StatusOK
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

var keepTemplate = template.Must(template.New("keep").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Keep a personal access token</title>
<style>body{font-family:sans-serif;max-width:36em;margin:3em auto;padding:0 1em}button{font-size:1.1em;padding:.5em 1em}</style>
</head><body>
{{if .Message}}<p>{{.Message}}</p>
{{else if .Done}}<h1>Kept</h1><p>Your token <strong>{{.Name}}</strong> (<code>{{.ID}}</code>) is kept{{if .Until}} until at least {{.Until}}{{end}}.</p>
{{else if .Confirm}}<h1>Keep this token?</h1>
<p>Your token <strong>{{.Name}}</strong> (<code>{{.ID}}</code>) {{if .Expiry}}will have its expiry postponed{{else}}will count as used today, so it is not deleted for inactivity{{end}}.</p>
<form method="post" action="keep"><input type="hidden" name="code" value="{{.Code}}"><button type="submit">Keep this token</button></form>
<p>This link works once and can do nothing else.</p>{{end}}
</body></html>`))
