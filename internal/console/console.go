// Package console serves the web console: a single page, embedded in the
// binary, through the management API's HTTP API (same origin, so no CORS),
// and the configuration the page signs in with.
package console

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"path"
	"regexp"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/httpapi"
	"github.com/patservice/pat/internal/i18n"
)

//go:embed assets
var files embed.FS

// Languages are the languages the console speaks, each with a catalogue.
var Languages = []string{"de", "en", "nl"}

// Base is the path the console is served under; the page's router owns
// everything below it.
const Base = "/console/"

// DevUser is a user the local console can act as (X-Dev-User): there is no
// identity provider locally.
type DevUser struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	// Header is the X-Dev-User value that selects this user; empty for the
	// development user the local server signs every request in as.
	Header string `json:"header"`
}

// Options selects how the page signs in: with OIDC from cfg, or, when
// DevUsers is set, as one of the local server's development users.
type Options struct {
	Config   config.Console
	DevUsers []DevUser
}

// Console answers the console's routes.
type Console struct {
	version string           // the asset set's content hash, e.g. 3f2a1b4c5d6e
	assets  map[string]asset // by name, e.g. main.mjs
	index   []byte
	config  []byte
	headers map[string]string // security headers of every response
}

type asset struct {
	body        []byte
	contentType string
}

// contentTypes are the kinds of asset the console serves: ES modules
// (.mjs, so that node --test loads them as modules too), its stylesheet
// and its icon. A table rather than the mime package, whose answer depends
// on the host's MIME files.
var contentTypes = map[string]string{
	".mjs":  "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".json": "application/json; charset=utf-8",
}

// New builds the console from the embedded assets. They are served as one
// set under a hash of all their contents, /console/assets/<hash>/<name>:
// the modules import each other by relative URL, so every file of a set
// must come from the same version, and a change to any file moves them
// all. So each can be cached for a year, and index.html (never cached)
// names the current set. The unit tests of the modules (*.test.mjs) are
// not served.
func New(opts Options) (*Console, error) {
	c := &Console{assets: map[string]asset{}}
	entries, err := files.ReadDir("assets")
	if err != nil {
		return nil, err
	}
	sum := sha256.New()
	var modules []string
	for _, e := range entries { // sorted by name, so the hash is stable
		name := e.Name()
		if name == "index.html" || strings.HasSuffix(name, ".test.mjs") {
			continue
		}
		ct, ok := contentTypes[path.Ext(name)]
		if !ok {
			return nil, fmt.Errorf("console: asset %s is of no kind the console serves", name)
		}
		body, err := files.ReadFile("assets/" + name)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(sum, "%s %d\n", name, len(body))
		sum.Write(body)
		c.assets[name] = asset{body: body, contentType: ct}
		if path.Ext(name) == ".mjs" {
			modules = append(modules, name)
		}
	}
	// The catalogues are part of the set (i18n/<lang>.json, fetched by
	// i18n.mjs relative to itself), so a changed text moves it too.
	for _, lang := range Languages {
		body, err := i18n.ConsoleJSON(i18n.Lang(lang))
		if err != nil {
			return nil, fmt.Errorf("console: the %s texts: %w", lang, err)
		}
		var texts map[string]string
		if err := json.Unmarshal(body, &texts); err != nil {
			return nil, fmt.Errorf("console: the %s texts are not a flat JSON object of strings: %w", lang, err)
		}
		name := "i18n/" + lang + ".json"
		fmt.Fprintf(sum, "%s %d\n", name, len(body))
		sum.Write(body)
		c.assets[name] = asset{body: body, contentType: contentTypes[".json"]}
	}
	c.version = hex.EncodeToString(sum.Sum(nil)[:6])
	index, err := files.ReadFile("assets/index.html")
	if err != nil {
		return nil, err
	}
	if c.index, err = c.page(string(index), modules); err != nil {
		return nil, err
	}
	if c.config, err = pageConfig(opts); err != nil {
		return nil, err
	}
	// Without a configured logout URL the page asks the issuer's discovery
	// document for its end_session_endpoint when signing out.
	discovery := ""
	if opts.Config.OIDC.LogoutURL == "" {
		discovery = opts.Config.OIDC.Issuer
	}
	c.headers = securityHeaders(opts.Config.OIDC.TokenURL, discovery)
	return c, nil
}

// assetRef is how index.html names an asset: "assets/<name>".
var assetRef = regexp.MustCompile(`"assets/([^"]*)"`)

// page is index.html naming the current asset set. Every module is
// preloaded, so the browser fetches them at once rather than one level of
// imports after another.
func (c *Console) page(index string, modules []string) ([]byte, error) {
	const entry = `<script type="module"`
	if strings.Count(index, entry) != 1 {
		return nil, fmt.Errorf("console: index.html must load exactly one module script")
	}
	var preload strings.Builder
	for _, m := range modules {
		fmt.Fprintf(&preload, "<link rel=\"modulepreload\" href=\"assets/%s\">\n", m)
	}
	index = strings.Replace(index, entry, preload.String()+entry, 1)
	var missing []string
	index = assetRef.ReplaceAllStringFunc(index, func(ref string) string {
		name := assetRef.FindStringSubmatch(ref)[1]
		if _, ok := c.assets[name]; !ok {
			missing = append(missing, name)
		}
		return `"` + Base + "assets/" + c.version + "/" + name + `"`
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("console: index.html names assets that are not embedded: %s", strings.Join(missing, ", "))
	}
	return []byte(index), nil
}

// pageConfig is /console/config.json: what the page needs to sign in. It
// holds no secret: the client is public and uses PKCE.
func pageConfig(opts Options) ([]byte, error) {
	type oidc struct {
		Issuer       string `json:"issuer"`
		ClientID     string `json:"clientId"`
		AuthorizeURL string `json:"authorizeUrl"`
		TokenURL     string `json:"tokenUrl"`
		LogoutURL    string `json:"logoutUrl,omitempty"`
		Scopes       string `json:"scopes"`
	}
	v := struct {
		Auth       string    `json:"auth"` // "oidc" or "dev"
		OIDC       *oidc     `json:"oidc,omitempty"`
		DevUsers   []DevUser `json:"devUsers,omitempty"`
		DemoAPIURL string    `json:"demoApiUrl"`
	}{Auth: "oidc", DevUsers: opts.DevUsers, DemoAPIURL: opts.Config.DemoAPIURL}
	if len(opts.DevUsers) > 0 {
		v.Auth = "dev"
	} else {
		o := opts.Config.OIDC
		if o.ClientID == "" || o.AuthorizeURL == "" || o.TokenURL == "" {
			return nil, fmt.Errorf("console: no OIDC client configured and no development users")
		}
		v.OIDC = &oidc{Issuer: o.Issuer, ClientID: o.ClientID, AuthorizeURL: o.AuthorizeURL, TokenURL: o.TokenURL, LogoutURL: o.LogoutURL, Scopes: o.Scopes}
	}
	return json.Marshal(v)
}

// securityHeaders: no inline script or style, nothing from other origins
// except the token endpoint the page exchanges its code at and, when
// set, the issuer (whose discovery document names a standard provider's
// logout endpoint), never framed, and no Referer (the sign-in redirect carries a
// code in the URL).
func securityHeaders(tokenURL, issuer string) map[string]string {
	connect := "'self'"
	for _, raw := range []string{tokenURL, issuer} {
		if u, err := url.Parse(raw); err == nil && u.Host != "" && !strings.Contains(connect, " "+u.Scheme+"://"+u.Host) {
			connect += " " + u.Scheme + "://" + u.Host
		}
	}
	return map[string]string{
		"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
			"connect-src " + connect + "; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'",
		"X-Content-Type-Options":       "nosniff",
		"X-Frame-Options":              "DENY",
		"Referrer-Policy":              "no-referrer",
		"Cross-Origin-Opener-Policy":   "same-origin",
		"Cross-Origin-Resource-Policy": "same-origin",
		"Permissions-Policy":           "camera=(), microphone=(), geolocation=()",
	}
}

// Routes are the HTTP API routes of the console function: no JWT (the page
// itself is public; the data comes from the management API).
func (c *Console) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Method: "GET", Path: "/", Function: "console", Handler: c.Handle, Public: true},
		{Method: "GET", Path: "/console", Function: "console", Handler: c.Handle, Public: true},
		{Method: "GET", Path: "/console/{proxy+}", Function: "console", Handler: c.Handle, Public: true},
	}
}

// Handle answers one request of the console's routes.
func (c *Console) Handle(_ context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	p := req.RawPath
	if p == "" {
		p = req.RequestContext.HTTP.Path
	}
	switch {
	case p == "/" || p == "/console":
		return c.respond(302, "", "no-cache", nil, map[string]string{"Location": Base}), nil
	case p == Base+"config.json":
		return c.respond(200, "application/json", "no-store", c.config, nil), nil
	case strings.HasPrefix(p, Base+"assets/"):
		version, name, _ := strings.Cut(strings.TrimPrefix(p, Base+"assets/"), "/")
		if a, ok := c.assets[name]; ok && version == c.version {
			return c.respond(200, a.contentType, "public, max-age=31536000, immutable", a.body, nil), nil
		}
		return c.respond(404, "text/plain; charset=utf-8", "no-cache", []byte("not found\n"), nil), nil
	case strings.HasPrefix(p, Base) && !strings.Contains(path.Base(p), "."):
		// A page of the console (/console/tokens/<id>, /console/admin/...):
		// the page's router shows it.
		return c.respond(200, "text/html; charset=utf-8", "no-cache", c.index, nil), nil
	}
	return c.respond(404, "text/plain; charset=utf-8", "no-cache", []byte("not found\n"), nil), nil
}

func (c *Console) respond(status int, contentType, cache string, body []byte, extra map[string]string) events.APIGatewayV2HTTPResponse {
	h := map[string]string{"Cache-Control": cache}
	for k, v := range c.headers {
		h[k] = v
	}
	if contentType != "" {
		h["Content-Type"] = contentType
	}
	for k, v := range extra {
		h[k] = v
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: h, Body: string(body)}
}

// FromEnv builds the console from the environment, for its function's
// main: the console is wired on its own and its binary carries nothing of
// the management API's store or mail.
func FromEnv(*slog.Logger) (*Console, error) {
	cfg, err := config.ConsoleFromEnv()
	if err != nil {
		return nil, err
	}
	return New(Options{Config: cfg})
}
