package localgw

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	jose "github.com/go-jose/go-jose/v4"
)

// issuer is a minimal OpenID issuer for the rule-by-rule tests: a
// discovery document and a JWKS of one RSA key, and a signer of tokens of
// any shape, which no real provider would issue (a wrong iss, no exp...).
// The tests against a real provider are in jwt_provider_test.go.
type issuer struct {
	srv         *httptest.Server
	key         *rsa.PrivateKey // signs the tests' tokens
	kid         string
	published   atomic.Pointer[jose.JSONWebKeySet]
	jwksFetches atomic.Int64
}

func newIssuer(t *testing.T) *issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is := &issuer{key: key, kid: "k1"}
	is.publish()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(Discovery{Issuer: is.srv.URL, JWKSURI: is.srv.URL + "/jwks",
			AuthorizationEndpoint: is.srv.URL + "/authorize", TokenEndpoint: is.srv.URL + "/token"})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		is.jwksFetches.Add(1)
		json.NewEncoder(w).Encode(is.published.Load())
	})
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

// publish puts the issuer's current key in its JWKS.
func (is *issuer) publish() {
	is.published.Store(&jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &is.key.PublicKey, KeyID: is.kid, Algorithm: "RS256", Use: "sig"}}})
}

// sign signs claims with key (nil: the issuer's) under alg and kid.
func sign(t *testing.T, key any, alg jose.SignatureAlgorithm, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// claimsOf returns valid claims for the issuer, changed by edit.
func (is *issuer) claimsOf(now time.Time, edit func(map[string]any)) map[string]any {
	c := map[string]any{"iss": is.srv.URL, "aud": "console", "sub": "u1", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
	if edit != nil {
		edit(c)
	}
	return c
}

func TestJWTAuthorizerRules(t *testing.T) {
	is := newIssuer(t)
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	a, err := NewJWTAuthorizer(context.Background(), JWTConfig{Issuer: is.srv.URL, Audience: []string{"console", "cli"}, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	scoped, err := NewJWTAuthorizer(context.Background(), JWTConfig{Issuer: is.srv.URL, Audience: []string{"console"}, Scopes: []string{"pat/admin", "pat/read"}, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	valid := func(edit func(map[string]any)) string {
		return sign(t, is.key, jose.RS256, is.kid, is.claimsOf(now, edit))
	}
	cases := []struct {
		name   string
		auth   *JWTAuthorizer
		header string
		status int    // 0: accepted
		why    string // in the refusal's description
	}{
		{name: "valid, after Bearer", header: "Bearer " + valid(nil)},
		{name: "valid, bare (the identity source may hold the token alone)", header: valid(nil)},
		{name: "aud as a list, one of them configured", header: "Bearer " + valid(func(c map[string]any) { c["aud"] = []string{"other", "cli"} })},
		{name: "no aud: client_id is the audience", header: "Bearer " + valid(func(c map[string]any) { delete(c, "aud"); c["client_id"] = "cli" })},
		{name: "RS384", header: "Bearer " + sign(t, is.key, jose.RS384, is.kid, is.claimsOf(now, nil))},
		{name: "no token", header: "", status: 401},
		{name: "Bearer and nothing", header: "Bearer ", status: 401},
		{name: "not a JWT", header: "Bearer pat_abc", status: 401, why: "not a JWT"},
		{name: "another issuer", header: "Bearer " + valid(func(c map[string]any) { c["iss"] = is.srv.URL + "/" }), status: 401, why: "issuer"},
		{name: "another audience", header: "Bearer " + valid(func(c map[string]any) { c["aud"] = "someone-else" }), status: 401, why: "audience"},
		{name: "aud wrong, client_id right: aud is what counts", header: "Bearer " + valid(func(c map[string]any) { c["aud"] = "x"; c["client_id"] = "console" }), status: 401, why: "audience"},
		{name: "neither aud nor client_id", header: "Bearer " + valid(func(c map[string]any) { delete(c, "aud") }), status: 401, why: "audience"},
		{name: "expired", header: "Bearer " + valid(func(c map[string]any) { c["exp"] = now.Unix() }), status: 401, why: "expired"},
		{name: "no exp", header: "Bearer " + valid(func(c map[string]any) { delete(c, "exp") }), status: 401, why: "exp"},
		{name: "not yet valid (nbf)", header: "Bearer " + valid(func(c map[string]any) { c["nbf"] = now.Unix() + 60 }), status: 401, why: "nbf"},
		{name: "issued in the future (iat)", header: "Bearer " + valid(func(c map[string]any) { c["iat"] = now.Unix() + 60 }), status: 401, why: "iat"},
		{name: "no kid", header: "Bearer " + sign(t, is.key, jose.RS256, "", is.claimsOf(now, nil)), status: 401, why: "kid"},
		{name: "a kid the issuer does not have", header: "Bearer " + sign(t, other, jose.RS256, "k2", is.claimsOf(now, nil)), status: 401, why: "kid"},
		{name: "the issuer's kid, another key", header: "Bearer " + sign(t, other, jose.RS256, is.kid, is.claimsOf(now, nil)), status: 401, why: "signature"},
		{name: "ES256: not an RSA algorithm", header: "Bearer " + sign(t, ec, jose.ES256, is.kid, is.claimsOf(now, nil)), status: 401, why: "ES256"},
		{name: "HS256 keyed with the public modulus", header: "Bearer " + sign(t, is.key.PublicKey.N.Bytes(), jose.HS256, is.kid, is.claimsOf(now, nil)), status: 401, why: "HS256"},
		{name: "alg none", header: "Bearer " + unsigned(t, valid(nil)), status: 401, why: "none"},
		{name: "a payload changed after signing", header: "Bearer " + tamper(t, valid(nil), func(c map[string]any) { c["sub"] = "admin" }), status: 401, why: "signature"},
		{name: "a route scope in scp", auth: scoped, header: "Bearer " + valid(func(c map[string]any) { c["scp"] = []string{"pat/read"} })},
		{name: "a route scope in scope", auth: scoped, header: "Bearer " + valid(func(c map[string]any) { c["scope"] = "openid pat/admin" })},
		{name: "none of the route's scopes", auth: scoped, header: "Bearer " + valid(func(c map[string]any) { c["scope"] = "openid email" }), status: 403, why: "scopes"},
		{name: "no scope at all on a scoped route", auth: scoped, header: "Bearer " + valid(nil), status: 403, why: "scopes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			auth := a
			if c.auth != nil {
				auth = c.auth
			}
			jwt, err := auth.verify(context.Background(), c.header)
			var no *Refusal
			switch {
			case c.status == 0 && err != nil:
				t.Fatalf("refused: %v", err)
			case c.status == 0:
				if jwt.Claims["sub"] != "u1" {
					t.Fatalf("claims = %v", jwt.Claims)
				}
			case !errors.As(err, &no):
				t.Fatalf("err = %v, want a refusal", err)
			case no.Status != c.status || !strings.Contains(no.Description, c.why):
				t.Fatalf("refusal %d %q, want %d naming %q", no.Status, no.Description, c.status, c.why)
			}
		})
	}
}

// unsigned turns a signed token into an unsecured one (alg none, RFC 7519
// §6), same claims.
func unsigned(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	return b64(`{"alg":"none","typ":"JWT"}`) + "." + parts[1] + "."
}

// tamper changes a signed token's claims and keeps its header and
// signature.
func tamper(t *testing.T, tok string, edit func(map[string]any)) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	edit(c)
	changed, _ := json.Marshal(c)
	return parts[0] + "." + b64(string(changed)) + "." + parts[2]
}

// The claims reach the function as API Gateway passes them: strings, with
// numbers as written, booleans as true/false, arrays as "[a b c]", objects
// as "map[k:v]", and null claims left out. An array claim in this shape is
// what internal/httpapi's claimList reads (cognito:groups "[a b]").
func TestFlattenHasAPIGatewayShapes(t *testing.T) {
	claims, err := decodeClaims([]byte(`{"sub":"u1","exp":1800003600,"ratio":1.5,"email_verified":true,` +
		`"cognito:groups":["pat-admins","sales"],"mixed":["a",2,false],"address":{"city":"Bern","zip":3000},"gone":null,"empty":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	got := flatten(claims)
	want := map[string]string{"sub": "u1", "exp": "1800003600", "ratio": "1.5", "email_verified": "true",
		"cognito:groups": "[pat-admins sales]", "mixed": "[a 2 false]", "address": "map[city:Bern zip:3000]", "empty": "[]"}
	if len(got) != len(want) {
		t.Errorf("claims %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

// Keys are cached: a burst of tokens costs one JWKS fetch. An unknown kid
// fetches the keys again, at most once per refetchAfter, so that the
// issuer's new key is found and made-up kids do not each cost a fetch.
func TestJWTAuthorizerCachesKeysAndRefetchesOnUnknownKid(t *testing.T) {
	is := newIssuer(t)
	var offset atomic.Int64
	start := time.Now()
	clock := func() time.Time { return start.Add(time.Duration(offset.Load())) }
	a, err := NewJWTAuthorizer(context.Background(), JWTConfig{Issuer: is.srv.URL, Audience: []string{"console"}, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if _, err := a.verify(context.Background(), sign(t, is.key, jose.RS256, is.kid, is.claimsOf(start, nil))); err != nil {
			t.Fatal(err)
		}
	}
	if n := is.jwksFetches.Load(); n != 1 {
		t.Fatalf("20 tokens fetched the JWKS %d times, want once (at creation)", n)
	}

	// The issuer rotates to a new key, published under a new kid.
	rotated, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is.key, is.kid = rotated, "k2"
	is.publish()
	tok := sign(t, rotated, jose.RS256, "k2", is.claimsOf(start, nil))
	if _, err := a.verify(context.Background(), tok); err == nil {
		t.Fatal("a new kid was accepted without fetching the keys")
	}
	if n := is.jwksFetches.Load(); n != 1 {
		t.Fatalf("an unknown kid right after a fetch fetched again (%d fetches)", n)
	}
	offset.Store(int64(refetchAfter + time.Second))
	if _, err := a.verify(context.Background(), tok); err != nil {
		t.Fatalf("the rotated key's token: %v", err)
	}
	if n := is.jwksFetches.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", n)
	}
	for range 5 {
		if _, err := a.verify(context.Background(), sign(t, rotated, jose.RS256, "made-up", is.claimsOf(start, nil))); err == nil {
			t.Fatal("a made-up kid was accepted")
		}
	}
	if n := is.jwksFetches.Load(); n != 2 {
		t.Fatalf("made-up kids fetched the JWKS: %d fetches, want 2", n)
	}
}

// An issuer whose discovery document names another issuer, or that cannot
// be reached, fails when the authorizer is created, not at the first
// request.
func TestJWTAuthorizerChecksTheIssuerAtStart(t *testing.T) {
	is := newIssuer(t)
	for name, cfg := range map[string]JWTConfig{
		"a trailing slash the document does not have": {Issuer: is.srv.URL + "/", Audience: []string{"console"}},
		"nothing listening":                           {Issuer: "http://127.0.0.1:1", Audience: []string{"console"}},
		"no audience":                                 {Issuer: is.srv.URL},
	} {
		if _, err := NewJWTAuthorizer(context.Background(), cfg); err == nil {
			t.Errorf("%s: created", name)
		}
	}
}

// A refused request is answered as API Gateway answers it, and the
// function is never invoked.
func TestGatewayRefusesBeforeInvoking(t *testing.T) {
	is := newIssuer(t)
	a, err := NewJWTAuthorizer(context.Background(), JWTConfig{Issuer: is.srv.URL, Audience: []string{"console"}})
	if err != nil {
		t.Fatal(err)
	}
	var invoked atomic.Int64
	handler := func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		invoked.Add(1)
		return echo(ctx, ev)
	}
	gw := New([]Route{{Method: "GET", Path: "/me", Handler: handler}}, a)
	for _, c := range []struct {
		name, header, challenge string
		status                  int
	}{
		{name: "no token", status: 401},
		{name: "expired", header: "Bearer " + sign(t, is.key, jose.RS256, is.kid, is.claimsOf(time.Now().Add(-2*time.Hour), nil)), status: 401,
			challenge: `Bearer scope="" error="invalid_token" error_description="the token has expired"`},
		{name: "valid", header: "Bearer " + sign(t, is.key, jose.RS256, is.kid, is.claimsOf(time.Now(), nil)), status: 201},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/me", nil)
		if c.header != "" {
			req.Header.Set("Authorization", c.header)
		}
		before := invoked.Load()
		gw.ServeHTTP(rec, req)
		ran := invoked.Load() - before
		switch {
		case rec.Code != c.status:
			t.Errorf("%s: %d %s, want %d", c.name, rec.Code, rec.Body, c.status)
		case c.status == 401 && (rec.Body.String() != "{\"message\":\"Unauthorized\"}\n" || ran != 0):
			t.Errorf("%s: body %q, function invoked %d times", c.name, rec.Body, ran)
		case rec.Header().Get("WWW-Authenticate") != c.challenge:
			t.Errorf("%s: WWW-Authenticate %q, want %q", c.name, rec.Header().Get("WWW-Authenticate"), c.challenge)
		case c.status == 201 && ran != 1:
			t.Errorf("%s: function invoked %d times", c.name, ran)
		}
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
