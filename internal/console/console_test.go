package console_test

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/console"
	"github.com/patservice/pat/internal/localgw"
	"github.com/patservice/pat/internal/localstack"
)

var oidc = config.Console{
	OIDC: config.OIDC{Issuer: "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_abc", ClientID: "client123",
		AuthorizeURL: "https://pat.auth.eu-central-1.amazoncognito.com/oauth2/authorize",
		TokenURL:     "https://pat.auth.eu-central-1.amazoncognito.com/oauth2/token",
		LogoutURL:    "https://pat.auth.eu-central-1.amazoncognito.com/logout", Scopes: "openid email profile"},
	DemoAPIURL: "https://demo.execute-api.eu-central-1.amazonaws.com/demo",
}

func get(t *testing.T, c *console.Console, path string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	ev := events.APIGatewayV2HTTPRequest{RawPath: path, RequestContext: events.APIGatewayV2HTTPRequestContext{
		HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: path}}}
	// Through the Lambda runtime's JSON path, as on AWS.
	resp, err := localgw.Invoke[events.APIGatewayV2HTTPResponse](context.Background(), c.Handle, ev)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestConsoleServesPagesAssetsAndConfig(t *testing.T) {
	c, err := console.New(console.Options{Config: oidc})
	if err != nil {
		t.Fatal(err)
	}
	index := get(t, c, "/console/")
	// One hash for the whole set: the modules import each other by
	// relative URL.
	assets := regexp.MustCompile(`"/console/assets/([0-9a-f]{12})/([a-z]+\.(mjs|css|svg))"`).FindAllStringSubmatch(index.Body, -1)
	if index.StatusCode != 200 || len(assets) < 5 { // icon twice, style, the entry module and its preloads
		t.Fatalf("index: %d, assets %v\n%s", index.StatusCode, assets, index.Body)
	}
	version := assets[0][1]
	for _, a := range assets {
		if a[1] != version {
			t.Errorf("assets of two versions: %s and %s", version, a[1])
		}
	}
	if !strings.Contains(index.Body, `<script type="module" src="/console/assets/`+version+`/main.mjs"></script>`) {
		t.Errorf("index.html does not load main.mjs:\n%s", index.Body)
	}
	if strings.Contains(index.Body, "<script>") || strings.Contains(index.Body, "style=") {
		t.Error("index.html has inline script or style")
	}

	cases := []struct {
		path        string
		status      int
		contentType string
		cache       string
	}{
		{"/console/", 200, "text/html; charset=utf-8", "no-cache"},
		{"/console/tokens/patAbc123", 200, "text/html; charset=utf-8", "no-cache"}, // the page's router shows it
		{"/console/admin/users/alice", 200, "text/html; charset=utf-8", "no-cache"},
		{"/console/assets/" + version + "/main.mjs", 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"},
		{"/console/assets/main.mjs", 404, "text/plain; charset=utf-8", "no-cache"}, // only versioned names
		{"/console/assets/000000000000/main.mjs", 404, "text/plain; charset=utf-8", "no-cache"},
		{"/console/assets/" + version + "/format.test.mjs", 404, "text/plain; charset=utf-8", "no-cache"}, // tests are not served
		{"/console/assets/" + version + "/index.html", 404, "text/plain; charset=utf-8", "no-cache"},
		{"/console/assets/" + version + "/", 404, "text/plain; charset=utf-8", "no-cache"},
		{"/console/favicon.ico", 404, "text/plain; charset=utf-8", "no-cache"},
		{"/console/config.json", 200, "application/json", "no-store"},
		// The texts, with the modules' set: cached as long, moved with it.
		{"/console/assets/" + version + "/i18n/de.json", 200, "application/json; charset=utf-8", "public, max-age=31536000, immutable"},
		{"/console/assets/" + version + "/i18n/nl.json", 200, "application/json; charset=utf-8", "public, max-age=31536000, immutable"},
		{"/console/assets/" + version + "/i18n/en.json", 200, "application/json; charset=utf-8", "public, max-age=31536000, immutable"},
		{"/console/assets/" + version + "/i18n/fr.json", 404, "text/plain; charset=utf-8", "no-cache"},
		{"/", 302, "", "no-cache"},
		{"/console", 302, "", "no-cache"},
		{"/tokens", 404, "text/plain; charset=utf-8", "no-cache"},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			r := get(t, c, tc.path)
			h := r.Headers
			if r.StatusCode != tc.status {
				t.Errorf("status %d, want %d", r.StatusCode, tc.status)
			}
			if tc.contentType != "" && h["Content-Type"] != tc.contentType {
				t.Errorf("Content-Type %q, want %q", h["Content-Type"], tc.contentType)
			}
			if h["Cache-Control"] != tc.cache {
				t.Errorf("Cache-Control %q, want %q", h["Cache-Control"], tc.cache)
			}
			csp := h["Content-Security-Policy"]
			for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
				"connect-src 'self' https://pat.auth.eu-central-1.amazoncognito.com;"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe") || h["X-Content-Type-Options"] != "nosniff" || h["Referrer-Policy"] != "no-referrer" || h["X-Frame-Options"] != "DENY" {
				t.Errorf("security headers: %v", h)
			}
			if r.StatusCode == 302 && h["Location"] != "/console/" {
				t.Errorf("Location %q", h["Location"])
			}
		})
	}
	for _, a := range assets {
		r := get(t, c, "/console/assets/"+a[1]+"/"+a[2])
		want := map[string]string{"mjs": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8", "svg": "image/svg+xml"}[a[3]]
		if r.StatusCode != 200 || r.Headers["Content-Type"] != want || r.Body == "" {
			t.Errorf("%s: %d %q", a[2], r.StatusCode, r.Headers["Content-Type"])
		}
	}
}

// Every module the page loads is preloaded, and every module another
// imports is served at the same version, so the page never meets a
// missing one.
func TestConsoleModulesResolve(t *testing.T) {
	c, err := console.New(console.Options{Config: oidc})
	if err != nil {
		t.Fatal(err)
	}
	index := get(t, c, "/console/").Body
	prefix := regexp.MustCompile(`"(/console/assets/[0-9a-f]{12}/)main\.mjs"`).FindStringSubmatch(index)
	if prefix == nil {
		t.Fatalf("no entry module:\n%s", index)
	}
	preloaded := map[string]bool{}
	for _, m := range regexp.MustCompile(`<link rel="modulepreload" href="/console/assets/[0-9a-f]{12}/([a-z]+\.mjs)">`).FindAllStringSubmatch(index, -1) {
		preloaded[m[1]] = true
	}
	imports := regexp.MustCompile(`(?m)^import .* from '\./([a-z]+\.mjs)';$`)
	seen := map[string]bool{}
	queue := []string{"main.mjs"}
	for len(queue) > 0 {
		m := queue[0]
		queue = queue[1:]
		if seen[m] {
			continue
		}
		seen[m] = true
		r := get(t, c, prefix[1]+m)
		if r.StatusCode != 200 {
			t.Errorf("%s: %d", m, r.StatusCode)
			continue
		}
		if !preloaded[m] {
			t.Errorf("%s is not preloaded", m)
		}
		for _, i := range imports.FindAllStringSubmatch(r.Body, -1) {
			queue = append(queue, i[1])
		}
	}
	if len(seen) < 10 {
		t.Errorf("main.mjs reaches only %d modules: %v", len(seen), seen)
	}
}

// The sample event of the function (a reminder mail's link to a token's
// page, as API Gateway delivers it) answers the page.
func TestConsoleSampleEvent(t *testing.T) {
	c, err := console.New(console.Options{Config: oidc})
	if err != nil {
		t.Fatal(err)
	}
	ev := localstack.Event[events.APIGatewayV2HTTPRequest](t, "console")
	resp, err := localgw.Invoke[events.APIGatewayV2HTTPResponse](context.Background(), c.Handle, ev)
	if err != nil || resp.StatusCode != 200 || !strings.Contains(resp.Body, `<main id="main"`) || resp.Headers["Content-Security-Policy"] == "" {
		t.Fatalf("%d %v %v", resp.StatusCode, resp.Headers, err)
	}
}

// config.json tells the page how to sign in; it never holds a secret.
func TestConsoleConfig(t *testing.T) {
	c, err := console.New(console.Options{Config: oidc})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(get(t, c, "/console/config.json").Body), &got); err != nil {
		t.Fatal(err)
	}
	o, _ := got["oidc"].(map[string]any)
	if got["auth"] != "oidc" || o["clientId"] != "client123" || o["tokenUrl"] != oidc.OIDC.TokenURL || o["authorizeUrl"] != oidc.OIDC.AuthorizeURL ||
		o["logoutUrl"] != oidc.OIDC.LogoutURL || o["scopes"] != "openid email profile" || o["issuer"] != oidc.OIDC.Issuer ||
		got["demoApiUrl"] != oidc.DemoAPIURL || got["devUsers"] != nil {
		t.Errorf("config.json = %v", got)
	}

	dev, err := console.New(console.Options{Config: config.Console{DemoAPIURL: "http://127.0.0.1:8080"},
		DevUsers: []console.DevUser{{ID: "dev-user", Label: "dev-user (administrator)"}, {ID: "alice", Label: "alice", Header: "alice"}}})
	if err != nil {
		t.Fatal(err)
	}
	body := get(t, dev, "/console/config.json").Body
	if !strings.Contains(body, `"auth":"dev"`) || strings.Contains(body, `"oidc"`) || !strings.Contains(body, `"header":"alice"`) {
		t.Errorf("dev config.json = %s", body)
	}
	// Local pages talk to the same origin only.
	if csp := get(t, dev, "/console/").Headers["Content-Security-Policy"]; !strings.Contains(csp, "connect-src 'self';") {
		t.Errorf("dev CSP = %q", csp)
	}

	if _, err := console.New(console.Options{}); err == nil || !strings.Contains(err.Error(), "OIDC") {
		t.Errorf("no sign-in configured: err = %v", err)
	}
}

// Routes are what the template deploys to the console function.
func TestConsoleRoutes(t *testing.T) {
	c, err := console.New(console.Options{Config: oidc})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range c.Routes() {
		if r.Function != "console" || !r.Public || r.Handler == nil {
			t.Errorf("route %+v", r)
		}
		keys = append(keys, r.Method+" "+r.Path)
	}
	if strings.Join(keys, ", ") != "GET /, GET /console, GET /console/{proxy+}" {
		t.Errorf("routes: %v", keys)
	}
}

func sorted(s []string) []string { slices.Sort(s); return s }
