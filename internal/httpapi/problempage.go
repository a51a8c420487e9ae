package httpapi

import (
	"bytes"
	"context"
	"html/template"
	"net/http"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/pat"
)

// problemDoc is one problem type's page: its status here, its text in the
// catalog (pages.json, "problem.<code>").
type problemDoc struct {
	Status int
}

// problemDocs lists every code the management API and the authorizer
// answer with. The authorizer's codes are RFC 6750's, which the
// self-rotation answers too (SelfRotateToken).
var problemDocs = map[string]problemDoc{
	string(pat.CodeInvalid):              {400},
	string(pat.CodeUnknownScope):         {400},
	string(pat.CodeBodyTooLarge):         {413},
	string(pat.CodeUnsupportedMedia):     {415},
	string(pat.CodeUnauthenticated):      {401},
	string(pat.CodeInvalidCursor):        {400},
	string(pat.CodeNoPermissions):        {403},
	string(pat.CodeScopeNotPermitted):    {403},
	string(pat.CodeUserDisabled):         {403},
	string(pat.CodeForbidden):            {403},
	string(pat.CodeConfirmationRequired): {400},
	string(pat.CodeConfirmationMismatch): {409},
	string(pat.CodeNotFound):             {404},
	string(pat.CodeTokenNotActive):       {409},
	string(pat.CodeTokenLocked):          {409},
	string(pat.CodeTokenLimit):           {409},
	string(pat.CodeConflict):             {409},
	string(pat.CodeOwnAccount):           {409},
	string(pat.CodeInternal):             {500},
	"invalid_token":                      {401},
	"insufficient_scope":                 {403},
	"source_not_allowed":                 {403}, // POST /tokens/self/rotate's; the authorizer logs the reason
}

// ProblemPage serves GET /problems/{code}: what a problem type means, in
// the browser's language. It is public and reads nothing but this table
// and the catalog.
func ProblemPage(_ context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	code := req.PathParameters["code"]
	doc, ok := problemDocs[code]
	status := http.StatusOK
	if !ok {
		status, code = http.StatusNotFound, ""
	}
	page := pageFor(req)
	var body bytes.Buffer
	if err := problemTemplate.Execute(&body, problemView{pageView: page, Code: code, Status: strconv.Itoa(doc.Status),
		Title: http.StatusText(doc.Status)}); err != nil {
		return respond(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("internal error\n")), nil
	}
	resp := respond(status, "text/html; charset=utf-8", body.Bytes())
	resp.Headers["Cache-Control"] = "public, max-age=86400"
	resp.Headers["Vary"] = "Accept-Language"
	resp.Headers["Content-Language"] = string(page.Lang)
	resp.Headers["Content-Security-Policy"] = pageCSP("")
	return resp, nil
}

type problemView struct {
	pageView
	Code, Status, Title string
}

var problemTemplate = template.Must(template.Must(template.New("problem").Parse(pageSwitch)).Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{if .Code}}{{.T "problem.title" "code" .Code}}{{else}}{{.T "problem.unknown.title"}}{{end}}</title>
<style>{{.Style}}</style>
</head><body>
{{template "switch" .}}
{{if .Code}}<h1><code>{{.Code}}</code></h1>
<p>{{.T "problem.status" "status" .Status "title" .Title}}</p>
<p>{{.T (print "problem." .Code)}}</p>
<p>{{.T "problem.format"}}</p>
{{else}}<h1>{{.T "problem.unknown.title"}}</h1><p>{{.T "problem.unknown.text"}}</p>{{end}}
</body></html>
`))
