package config

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Console is the validated configuration of the console function: the
// OpenID Connect client it signs users in with, and the demo API its usage
// snippets call.
type Console struct {
	OIDC       OIDC
	DemoAPIURL string // base URL of a protected API for the usage examples (its paths start /api/); optional
}

// OIDC is a public client (authorization code with PKCE, no secret).
type OIDC struct {
	Issuer       string
	ClientID     string
	AuthorizeURL string
	TokenURL     string
	LogoutURL    string // optional: without it, signing out only forgets the session in the page
	Scopes       string // space-separated; includes openid
}

// ConsoleFromEnv reads the console's configuration (see docs/configuration.md).
func ConsoleFromEnv() (Console, error) {
	r := reader{}
	c := Console{
		OIDC: OIDC{
			Issuer:       r.url("OIDC_ISSUER", true),
			ClientID:     r.str("OIDC_CLIENT_ID", ""),
			AuthorizeURL: r.url("OIDC_AUTHORIZE_URL", true),
			TokenURL:     r.url("OIDC_TOKEN_URL", true),
			LogoutURL:    r.url("OIDC_LOGOUT_URL", false),
			Scopes:       strings.Join(strings.Fields(r.str("OIDC_SCOPES", "openid email profile")), " "),
		},
		DemoAPIURL: strings.TrimRight(r.url("PROTECTED_API_URL", false), "/"),
	}
	if c.OIDC.ClientID == "" || strings.ContainsAny(c.OIDC.ClientID, " \t\n\"'<>&") {
		r.errs = append(r.errs, errors.New("OIDC_CLIENT_ID: required, the app client id of the console (no spaces or quotes)"))
	}
	if !slices.Contains(strings.Fields(c.OIDC.Scopes), "openid") {
		r.errs = append(r.errs, fmt.Errorf("OIDC_SCOPES=%q: must include openid (the console sends the id token)", c.OIDC.Scopes))
	}
	if err := errors.Join(r.errs...); err != nil {
		return Console{}, fmt.Errorf("configuration: %w", err)
	}
	return c, nil
}

// url reads an absolute https URL (http only for a loopback host, for
// local identity providers) without user info or fragment.
func (r *reader) url(name string, required bool) string {
	v := r.str(name, "")
	if v == "" {
		if required {
			r.errs = append(r.errs, fmt.Errorf("%s: required", name))
		}
		return ""
	}
	u, err := url.Parse(v)
	loopback := u != nil && (u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1" || u.Hostname() == "::1")
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || !(u.Scheme == "https" || u.Scheme == "http" && loopback) {
		r.errs = append(r.errs, fmt.Errorf("%s=%q: want an absolute https URL", name, v))
		return ""
	}
	return v
}
