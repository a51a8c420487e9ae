package httpapi

import (
	"net"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/scope"
)

// identity reads the caller from the JWT authorizer's claims, with the
// request's source IP and user agent for the audit trail and the console
// of the API it reached for links in notices.
func (a *API) identity(req events.APIGatewayV2HTTPRequest) (pat.Identity, error) {
	var claims map[string]string
	if auth := req.RequestContext.Authorizer; auth != nil && auth.JWT != nil {
		claims = auth.JWT.Claims
	}
	id, err := identityFrom(claims, a.claims, a.catalog)
	if err != nil {
		return pat.Identity{}, err
	}
	id.SourceIP, id.UserAgent = req.RequestContext.HTTP.SourceIP, req.RequestContext.HTTP.UserAgent
	id.ConsoleURL, id.KeepURL = links(req.RequestContext)
	return id, nil
}

// links are the console and the one-click link page served by the API a
// request reached ("": none), where the notices it causes link.
func links(rc events.APIGatewayV2HTTPRequestContext) (console, keep string) {
	if base := apiBase(rc); base != "" {
		return base + "/console", base + "/keep"
	}
	return "", ""
}

// consoleURL is the console served by the API a request reached ("": none).
func consoleURL(rc events.APIGatewayV2HTTPRequestContext) string {
	console, _ := links(rc)
	return console
}

// apiBase is the address of the API a request reached, for the links of
// the notices it causes (the console, the one-click link page): a function
// behind the API cannot be configured with the API's own URL (a circular
// dependency). It is https://<domainName>[/<stage>], the stage left out
// for the $default stage, as API Gateway serves it; plain HTTP only on the
// local machine, where the development server speaks it. API Gateway names
// the domain and stage in every event, never a header the caller set;
// anything else (an empty or odd domain, a stage that is not a plain name)
// gives "", and the notice links to the configured console URL alone.
func apiBase(rc events.APIGatewayV2HTTPRequestContext) string {
	host, stage := rc.DomainName, rc.Stage
	if host == "" || len(host) > 253 || strings.ContainsFunc(host, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == ':' || r == '[' || r == ']')
	}) {
		return ""
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	scheme := "https"
	if ip := net.ParseIP(name); name == "localhost" || ip != nil && ip.IsLoopback() {
		scheme = "http"
	}
	base := scheme + "://" + strings.ToLower(host)
	switch {
	case stage == "" || stage == "$default":
	case len(stage) <= 128 && !strings.ContainsFunc(stage, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}):
		base += "/" + stage
	default:
		return ""
	}
	return base
}

// identityFrom maps verified claims to the caller. This one function reads
// the claims of a Cognito id token, of any other issuer, and of the local
// development identity. The caller's permissions are the union of the
// permissions claim and the grants names.GroupPermissions maps to each of
// the caller's groups, expanded to the catalog's scopes; a plain Cognito
// pool issues only groups (cognito:groups), no permissions claim.
func identityFrom(claims map[string]string, names config.Claims, catalog *scope.Catalog) (pat.Identity, error) {
	if claims[names.UserID] == "" {
		return pat.Identity{}, pat.Errorf(pat.CodeUnauthenticated, "no authenticated user: sign in")
	}
	if err := checkClaims(claims, names); err != nil {
		return pat.Identity{}, err
	}
	groups := claimList(claims[names.Groups])
	grants := claimList(claims[names.Permissions])
	for _, g := range groups {
		grants = append(grants, names.GroupPermissions[g]...)
	}
	return pat.Identity{
		UserID:          claims[names.UserID],
		Name:            claims["name"], // OpenID Connect's standard claim; the directory shows it
		Email:           claims[names.Email],
		EmailUnverified: !emailVerified(claims[names.EmailVerified]),
		Locale:          localeTag(claims[names.Locale]),
		Permissions:     catalog.Expand(grants),
		Admin:           names.AdminGroup != "" && slices.Contains(groups, names.AdminGroup),
	}, nil
}

// emailVerified reads the email_verified claim as API Gateway passes a
// boolean claim on: "true" or "false". Absent, the address counts as
// verified (many identity providers never send the claim); any other
// value does not.
func emailVerified(claim string) bool {
	return claim == "" || strings.EqualFold(claim, "true")
}

// maxLocaleBytes bounds a locale claim: BCP 47 tags in use are far
// shorter (de-CH, nl-BE, zh-Hant-TW).
const maxLocaleBytes = 35

// localeTag reads the locale claim as a language tag: letters, digits,
// hyphens (or underscores, as some providers write de_CH). Anything else
// reads as no locale: it only picks the language of mail, and a provider's
// odd value must not lock its users out.
func localeTag(claim string) string {
	if len(claim) > maxLocaleBytes || strings.ContainsFunc(claim, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_')
	}) {
		return ""
	}
	return claim
}

// claimList splits a list claim as API Gateway passes it on: an array claim
// arrives as "[a b c]"; a space- or comma-separated string (an OAuth
// "scope" claim) works too.
func claimList(v string) []string {
	return strings.FieldsFunc(strings.Trim(v, "[]"), func(r rune) bool {
		return r == ' ' || r == ',' || r == '\t'
	})
}
