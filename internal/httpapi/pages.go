package httpapi

import (
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/url"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/i18n"
)

// The keep page and the problem pages are the HTML the API serves. They
// speak the browser's language (Accept-Language), or the one chosen with
// ?lang=, and offer the others as links.

// pageStyle is the one stylesheet of the pages, inlined and allowed by its
// hash: no 'unsafe-inline', and no second request.
const pageStyle = `body{font-family:sans-serif;max-width:40em;margin:3em auto;padding:0 1em;line-height:1.4}` +
	`button{font-size:1.1em;padding:.5em 1em}nav{margin-bottom:2em;font-size:.9em}nav a,nav strong{margin-right:.8em}`

// pageStyleSource is the CSP source that allows pageStyle and nothing else.
var pageStyleSource = func() string {
	sum := sha256.Sum256([]byte(pageStyle))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}()

// pageView is what every page shows besides its content: its language, the
// switch to the others, and the stylesheet.
type pageView struct {
	Lang     i18n.Lang
	Switch   []langLink
	Language string // the switch's label
}

type langLink struct {
	Lang       i18n.Lang
	Name, Href string
	Current    bool
}

// Style is the stylesheet, for the <style> element its hash allows.
func (pageView) Style() template.CSS { return template.CSS(pageStyle) }

// T is a text of the page's language.
func (p pageView) T(key string, args ...string) string { return i18n.T(p.Lang, key, args...) }

// pageFor picks the language of a page requested by req, and links the
// same page (with its other query parameters) in every other language.
func pageFor(req events.APIGatewayV2HTTPRequest) pageView {
	lang, ok := i18n.Parse(req.QueryStringParameters["lang"])
	if !ok {
		lang = i18n.Match(header(req, "accept-language"))
	}
	p := pageView{Lang: lang, Language: i18n.T(lang, "page.language")}
	query := url.Values{}
	for k, v := range req.QueryStringParameters {
		query.Set(k, v)
	}
	for _, l := range i18n.Languages() {
		query.Set("lang", string(l))
		p.Switch = append(p.Switch, langLink{Lang: l, Name: i18n.T(l, "page.lang."+string(l)), Href: "?" + query.Encode(), Current: l == lang})
	}
	return p
}

// pageCSP is the Content-Security-Policy of a page: nothing but its own
// stylesheet, and extra (such as form-action) where it needs more.
func pageCSP(extra string) string {
	csp := "default-src 'none'; style-src " + pageStyleSource + "; frame-ancestors 'none'"
	if extra != "" {
		csp += "; " + extra
	}
	return csp
}

// pageSwitch is the language switch every page starts with: each
// language named in itself.
const pageSwitch = `{{define "switch"}}{{if .Switch}}<nav aria-label="{{.Language}}">{{range .Switch}}` +
	`{{if .Current}}<strong lang="{{.Lang}}" aria-current="true">{{.Name}}</strong>` +
	`{{else}}<a href="{{.Href}}" lang="{{.Lang}}" hreflang="{{.Lang}}">{{.Name}}</a>{{end}}{{end}}</nav>{{end}}{{end}}`
