package httpapi

import (
	"bytes"
	"context"
	"html/template"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/pat"
)

// problemDoc describes one problem type on its page.
type problemDoc struct {
	Status int
	Text   string
}

// problemDocs describes every code the management API and the authorizer
// answer with. The authorizer's codes are RFC 6750's.
var problemDocs = map[string]problemDoc{
	string(pat.CodeInvalid):              {400, "The request is malformed: bad JSON, an unknown field, text that is not valid UTF-8 or holds control, bidirectional-override or only invisible characters, a bad date, limit or cursor, or an identity claim (user id, email, groups, permissions) over its limit or malformed. The detail names the field or claim. Nothing was changed. From the request authorizer: more than one Authorization header, or a token in the query string (access_token); send exactly one Authorization: Bearer header."},
	string(pat.CodeUnknownScope):         {400, "A scope the catalog does not define. Scopes are <resource>:<action> with action read, create, update or delete; the problem's scopes member lists the unknown ones."},
	string(pat.CodeBodyTooLarge):         {413, "The request body is over 16 KiB."},
	string(pat.CodeUnsupportedMedia):     {415, "A request with a body must send it as JSON with Content-Type: application/json (charset=utf-8 allowed)."},
	string(pat.CodeUnauthenticated):      {401, "No credentials: sign in again (management API), or send Authorization: Bearer <token> (an API behind the request authorizer)."},
	string(pat.CodeInvalidCursor):        {400, "The cursor is not one this list handed out: it was edited, forged, expired with a key rotation, or belongs to another route, user or filter. Start again from the first page."},
	string(pat.CodeNoPermissions):        {403, "You hold no permissions at all (no permissions claim, no group with grants), so you cannot create tokens: an administrator must grant you access, usually by adding you to a group that has permissions."},
	string(pat.CodeScopeNotPermitted):    {403, "A token cannot do more than its owner: these scopes are beyond the owner's permissions, or an administrator's limit of them."},
	string(pat.CodeUserDisabled):         {403, "An administrator disabled the account. Its tokens fail at the authorizer and the management API refuses everything but revoking its own tokens."},
	string(pat.CodeForbidden):            {403, "An administrator's route, and the caller is not an administrator."},
	string(pat.CodeConfirmationRequired): {400, "A revoke-all needs confirm: the number of tokens it will revoke, which the problem's count member (or a preview) gives."},
	string(pat.CodeConfirmationMismatch): {409, "The number of tokens a revoke-all would revoke changed since the preview: check count, then confirm again."},
	string(pat.CodeNotFound):             {404, "No such token or user, or it belongs to someone else."},
	string(pat.CodeTokenNotActive):       {409, "The token is revoked or expired (or, for lock and unlock, not in the state the action needs) and cannot be changed this way."},
	string(pat.CodeTokenLocked):          {409, "An administrator locked the token: it cannot be renamed, rotated, extended or kept until an administrator unlocks it. Its owner may still revoke it."},
	string(pat.CodeTokenLimit):           {409, "The owner has the most active tokens allowed (MAX_ACTIVE_TOKENS): revoke one first."},
	string(pat.CodeConflict):             {409, "A concurrent change won, such as another rotation of the same token. Read the token again and retry."},
	string(pat.CodeOwnAccount):           {409, "An administrator cannot disable or limit their own account (nor lift their own limit): another administrator must, so that the last administrator cannot lock everyone out. The README's administration section says how to recover an account disabled by mistake."},
	string(pat.CodeInternal):             {500, "Something failed on the service's side; the cause is logged, not shown. Retry later."},
	"invalid_token":                      {401, "From the request authorizer: the bearer token is malformed, unknown, revoked, locked or expired, or its owner is disabled."},
	"insufficient_scope":                 {403, "From the request authorizer: the token lacks the scope the route needs (named in WWW-Authenticate's scope attribute), no scope covers the route, or the path has a form a backend could read as another route (path parameters such as ;x, dot segments, encoded separators, controls or percent signs), which no token grants."},
}

// ProblemPage serves GET /problems/{code}: what a problem type means. It
// is public and reads nothing but this table.
func ProblemPage(_ context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	code := req.PathParameters["code"]
	doc, ok := problemDocs[code]
	status := http.StatusOK
	if !ok {
		status, code = http.StatusNotFound, ""
	}
	var body bytes.Buffer
	if err := problemTemplate.Execute(&body, map[string]any{"Code": code, "Status": doc.Status,
		"Title": http.StatusText(doc.Status), "Text": doc.Text}); err != nil {
		return respond(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("internal error\n")), nil
	}
	resp := respond(status, "text/html; charset=utf-8", body.Bytes())
	resp.Headers["Cache-Control"] = "public, max-age=86400"
	resp.Headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
	return resp, nil
}

var problemTemplate = template.Must(template.New("problem").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{if .Code}}Problem {{.Code}}{{else}}Unknown problem type{{end}}</title>
<style>body{font-family:sans-serif;max-width:40em;margin:3em auto;padding:0 1em}</style>
</head><body>
{{if .Code}}<h1><code>{{.Code}}</code></h1>
<p>HTTP {{.Status}} {{.Title}}</p>
<p>{{.Text}}</p>
<p>Errors are <code>application/problem+json</code> (RFC 9457): <code>code</code> is this page's name, <code>detail</code> says what to change.</p>
{{else}}<h1>Unknown problem type</h1><p>This service has no problem type of that name.</p>{{end}}
</body></html>
`))
