package localgw

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	jose "github.com/go-jose/go-jose/v4"
)

// JWTConfig is what an HTTP API's JWT authorizer is configured with
// (JwtConfiguration in the template) and the routes' authorization scopes.
type JWTConfig struct {
	Issuer   string   // must equal the token's iss exactly
	Audience []string // the token's aud, or client_id when it has no aud, must be one of these
	// Scopes are the routes' authorization scopes: a token must carry at
	// least one of them in scp or scope. None: no scope is required.
	Scopes []string
	HTTP   *http.Client     // nil: a client with a 5 s timeout
	Now    func() time.Time // nil: time.Now
}

// The algorithms API Gateway verifies: "currently, only RSA-based
// algorithms are supported" (HTTP API JWT authorizer, step 3).
var jwtAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512}

const (
	// keyTTL is how long API Gateway may cache an issuer's public keys.
	keyTTL = 2 * time.Hour
	// refetchAfter spaces out the fetches an unknown kid triggers, so that
	// tokens with made-up kids do not each cost a request to the issuer.
	refetchAfter = 10 * time.Second
)

// JWTAuthorizer verifies bearer JWTs as API Gateway's HTTP API JWT
// authorizer does, before any function runs: the token from the
// Authorization header (bare or after "Bearer "), an RSA signature by a key
// of the issuer's JWKS (found through its discovery document) named by the
// token's kid, iss, aud or client_id, exp, nbf, iat, and the routes' scopes.
// The claims it passes on have API Gateway's shapes (see flatten).
type JWTAuthorizer struct {
	cfg       JWTConfig
	discovery Discovery

	mu      sync.Mutex
	keys    map[string]jose.JSONWebKey // by kid
	fetched time.Time
}

var _ Authorizer = (*JWTAuthorizer)(nil)

// NewJWTAuthorizer reads the issuer's discovery document and keys, as API
// Gateway does when the authorizer is created: an issuer that cannot be
// reached or does not name itself as cfg.Issuer fails here.
func NewJWTAuthorizer(ctx context.Context, cfg JWTConfig) (*JWTAuthorizer, error) {
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 5 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Issuer == "" || len(cfg.Audience) == 0 {
		return nil, errors.New("JWT authorizer: an issuer and at least one audience are required")
	}
	d, err := Discover(ctx, cfg.HTTP, cfg.Issuer)
	if err != nil {
		return nil, err
	}
	a := &JWTAuthorizer{cfg: cfg, discovery: d}
	if err := a.fetchKeys(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// Discovery is the issuer's discovery document, read when the authorizer
// was created.
func (a *JWTAuthorizer) Discovery() Discovery { return a.discovery }

// Discovery is what an OpenID provider's discovery document says of its
// endpoints.
type Discovery struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	EndSessionEndpoint    string `json:"end_session_endpoint"`
	JWKSURI               string `json:"jwks_uri"`
}

// Discover reads <issuer>/.well-known/openid-configuration. Its issuer
// must be the one asked for, exactly (OpenID Connect Discovery §4.3).
func Discover(ctx context.Context, client *http.Client, issuer string) (Discovery, error) {
	var d Discovery
	u := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	if err := getJSON(ctx, client, u, &d); err != nil {
		return Discovery{}, fmt.Errorf("discovery of issuer %s: %w", issuer, err)
	}
	switch {
	case d.Issuer != issuer:
		return Discovery{}, fmt.Errorf("discovery of issuer %s: the document names issuer %q", issuer, d.Issuer)
	case d.JWKSURI == "" || d.AuthorizationEndpoint == "" || d.TokenEndpoint == "":
		return Discovery{}, fmt.Errorf("discovery of issuer %s: no jwks_uri, authorization_endpoint or token_endpoint", issuer)
	}
	return d, nil
}

func getJSON(ctx context.Context, client *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return nil
}

// fetchKeys replaces the cached keys with the issuer's JWKS.
func (a *JWTAuthorizer) fetchKeys(ctx context.Context) error {
	var set jose.JSONWebKeySet
	if err := getJSON(ctx, a.cfg.HTTP, a.discovery.JWKSURI, &set); err != nil {
		return fmt.Errorf("keys of issuer %s: %w", a.cfg.Issuer, err)
	}
	keys := map[string]jose.JSONWebKey{}
	for _, k := range set.Keys {
		if k.KeyID != "" && k.Valid() && k.IsPublic() && (k.Use == "" || k.Use == "sig") {
			keys[k.KeyID] = k
		}
	}
	a.keys, a.fetched = keys, a.cfg.Now()
	return nil
}

// key returns the issuer's key named kid: from the cache while it is
// fresh, else (or when kid is unknown) from the JWKS fetched again.
func (a *JWTAuthorizer) key(ctx context.Context, kid string) (jose.JSONWebKey, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	age := a.cfg.Now().Sub(a.fetched)
	k, ok := a.keys[kid]
	if ok && age < keyTTL || !ok && age < refetchAfter {
		return k, nil
	}
	if err := a.fetchKeys(ctx); err != nil {
		return jose.JSONWebKey{}, err
	}
	return a.keys[kid], nil
}

// Refusal is an authorizer's no. API Gateway answers it without invoking
// the route's function: 401 {"message":"Unauthorized"}, or 403
// {"message":"Forbidden"} when a valid token lacks the route's scopes,
// with a WWW-Authenticate challenge naming the reason.
type Refusal struct {
	Status      int    // 401 or 403
	Code        string // invalid_token, insufficient_scope; empty: no token came, and no challenge is sent
	Description string
}

func (r *Refusal) Error() string {
	if r.Description == "" {
		return http.StatusText(r.Status)
	}
	return http.StatusText(r.Status) + ": " + r.Description
}

func invalid(format string, args ...any) *Refusal {
	return &Refusal{Status: http.StatusUnauthorized, Code: "invalid_token", Description: fmt.Sprintf(format, args...)}
}

// Authorize verifies the request's bearer JWT and returns what API Gateway
// puts in requestContext.authorizer.jwt, or a *Refusal.
func (a *JWTAuthorizer) Authorize(r *http.Request) (*events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription, error) {
	return a.verify(r.Context(), r.Header.Get("Authorization"))
}

// verify checks the value of an Authorization header: a JWT, bare or after
// "Bearer ".
func (a *JWTAuthorizer) verify(ctx context.Context, authorization string) (*events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription, error) {
	raw := strings.TrimSpace(authorization)
	if len(raw) > 7 && strings.EqualFold(raw[:7], "Bearer ") {
		raw = strings.TrimSpace(raw[7:])
	}
	if raw == "" {
		return nil, &Refusal{Status: http.StatusUnauthorized}
	}
	alg, err := headerAlg(raw)
	if err != nil {
		return nil, invalid("the token is not a JWT: %v", err)
	}
	if !slices.Contains(jwtAlgorithms, jose.SignatureAlgorithm(alg)) {
		return nil, invalid("signing method %s is not supported: RS256, RS384 or RS512", alg)
	}
	jws, err := jose.ParseSignedCompact(raw, jwtAlgorithms)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, invalid("the token is not a signed JWT")
	}
	kid := jws.Signatures[0].Header.KeyID
	if kid == "" {
		return nil, invalid("the token has no kid")
	}
	key, err := a.key(ctx, kid)
	if err != nil {
		return nil, invalid("%v", err)
	}
	if key.Key == nil {
		return nil, invalid("no key of the issuer has the token's kid %q", kid)
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return nil, invalid("the token's signature does not verify")
	}
	claims, err := decodeClaims(payload)
	if err != nil {
		return nil, invalid("the token's claims are not a JSON object")
	}
	if err := a.check(claims); err != nil {
		return nil, err
	}
	var scopes []string
	if len(a.cfg.Scopes) > 0 {
		scopes = tokenScopes(claims)
		if !slices.ContainsFunc(scopes, func(s string) bool { return slices.Contains(a.cfg.Scopes, s) }) {
			return nil, &Refusal{Status: http.StatusForbidden, Code: "insufficient_scope",
				Description: "the token has none of the scopes " + strings.Join(a.cfg.Scopes, " ")}
		}
	}
	return &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: flatten(claims), Scopes: scopes}, nil
}

// headerAlg reads the alg of a compact JWS's header, to name an algorithm
// that is refused.
func headerAlg(raw string) (string, error) {
	head, _, ok := strings.Cut(raw, ".")
	if !ok {
		return "", errors.New("no header")
	}
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return "", errors.New("the header is not base64url")
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return "", errors.New("the header is not JSON")
	}
	return h.Alg, nil
}

// decodeClaims keeps numbers as they were written, so that they are passed
// on as their text (1700000000, not 1.7e+09).
func decodeClaims(payload []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil || claims == nil {
		return nil, errors.New("not a JSON object")
	}
	return claims, nil
}

// check evaluates iss, aud (or client_id), exp, nbf and iat, in API
// Gateway's order and with its rules.
func (a *JWTAuthorizer) check(claims map[string]any) error {
	if iss, _ := claims["iss"].(string); iss != a.cfg.Issuer {
		return invalid("the token does not have a valid issuer")
	}
	// aud is evaluated when present; client_id only when it is not.
	var audiences []string
	switch aud := claims["aud"].(type) {
	case string:
		audiences = []string{aud}
	case []any:
		for _, v := range aud {
			if s, ok := v.(string); ok {
				audiences = append(audiences, s)
			}
		}
	case nil:
		if id, ok := claims["client_id"].(string); ok {
			audiences = []string{id}
		}
	}
	if !slices.ContainsFunc(audiences, func(s string) bool { return slices.Contains(a.cfg.Audience, s) }) {
		return invalid("the token does not have a valid audience")
	}
	now := a.cfg.Now()
	exp, ok := numericDate(claims["exp"])
	if !ok {
		return invalid("the token has no exp")
	}
	if !now.Before(exp) {
		return invalid("the token has expired")
	}
	for _, name := range []string{"nbf", "iat"} {
		v, present := claims[name]
		if !present {
			continue
		}
		t, ok := numericDate(v)
		if !ok {
			return invalid("the token's %s is not a number", name)
		}
		if t.After(now) {
			return invalid("the token's %s is in the future", name)
		}
	}
	return nil
}

// numericDate reads a JWT NumericDate: seconds since the epoch.
func numericDate(v any) (time.Time, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) {
		return time.Time{}, false
	}
	sec := math.Floor(f)
	return time.Unix(int64(sec), int64((f-sec)*1e9)), true
}

// tokenScopes are the token's scopes: scp (a list, or a space-separated
// string) or else scope (space-separated).
func tokenScopes(claims map[string]any) []string {
	v, ok := claims["scp"]
	if !ok {
		v = claims["scope"]
	}
	switch v := v.(type) {
	case string:
		return strings.Fields(v)
	case []any:
		var out []string
		for _, s := range v {
			if s, ok := s.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// flatten renders verified claims as API Gateway passes them to a payload
// 2.0 integration (requestContext.authorizer.jwt.claims): every value a
// string; strings as they are; numbers as written and booleans as
// true/false; arrays as "[a b c]" (cognito:groups arrives as "[admins
// sales]"); objects as "map[key:value]"; null claims left out.
func flatten(claims map[string]any) map[string]string {
	out := make(map[string]string, len(claims))
	for k, v := range claims {
		switch v := v.(type) {
		case nil:
		case string:
			out[k] = v
		default: // json.Number, bool, []any, map[string]any
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}
