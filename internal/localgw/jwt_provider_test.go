package localgw

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/patservice/pat/internal/localidp"
)

// The console's redirect URI at the provider: a loopback URI of a native
// client, so any port matches.
const redirectURI = "http://127.0.0.1/console/"

// startProvider runs zitadel's example OpenID provider on a free port.
func startProvider(t *testing.T) *localidp.Provider {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p, err := localidp.Start(ln, redirectURI)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// idToken signs a user in at p and returns the id token it issues.
func idToken(t *testing.T, p *localidp.Provider, user localidp.User) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tok, err := p.SignIn(ctx, user.Username, user.Password, "http://127.0.0.1:9/console/")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Tokens a real, independently written OpenID provider issues, verified
// as API Gateway's JWT authorizer does: the valid one reaches the function
// with its claims in API Gateway's shapes; every other is refused with 401
// {"message":"Unauthorized"} before the function runs.
func TestJWTAuthorizerWithARealProvider(t *testing.T) {
	p := startProvider(t)
	foreign := startProvider(t) // another issuer, same software, same client id
	admin := localidp.Users[0]
	valid := idToken(t, p, admin)

	authorizer := func(t *testing.T, cfg JWTConfig) *JWTAuthorizer {
		t.Helper()
		cfg.Issuer = p.Issuer
		if cfg.Audience == nil {
			cfg.Audience = []string{localidp.ClientID}
		}
		a, err := NewJWTAuthorizer(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	var invoked atomic.Int64
	var last atomic.Pointer[events.APIGatewayV2HTTPRequest]
	handler := func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		invoked.Add(1)
		last.Store(&ev)
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: "{}"}, nil
	}
	call := func(t *testing.T, a Authorizer, token string) *httptest.ResponseRecorder {
		t.Helper()
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/tokens", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		New([]Route{{Method: "GET", Path: "/tokens", Handler: handler}}, a).ServeHTTP(rec, req)
		return rec
	}

	t.Run("valid: claims in API Gateway's shapes", func(t *testing.T) {
		before := invoked.Load()
		if rec := call(t, authorizer(t, JWTConfig{}), valid); rec.Code != 200 || invoked.Load() != before+1 {
			t.Fatalf("valid token: %d %s", rec.Code, rec.Body)
		}
		claims := last.Load().RequestContext.Authorizer.JWT.Claims
		payload := payloadOf(t, valid)
		for name, want := range map[string]string{
			"iss":            p.Issuer,
			"sub":            admin.Username,
			"email":          admin.Email,
			"email_verified": "true",                                      // a boolean, as its text
			"groups":         "[" + strings.Join(admin.Groups, " ") + "]", // an array claim, flattened as API Gateway does
			"amr":            "[pwd]",                                     // the provider's own array claim
			"aud":            "[" + localidp.ClientID + "]",
			"exp":            string(payload["exp"]), // a number, as written
			"iat":            string(payload["iat"]),
		} {
			if claims[name] != want {
				t.Errorf("claim %s = %q, want %q", name, claims[name], want)
			}
		}
		if !regexp.MustCompile(`^\d{10}$`).MatchString(claims["exp"]) {
			t.Errorf("exp = %q, want whole seconds", claims["exp"])
		}
		for name, raw := range payload {
			if _, ok := claims[name]; !ok && string(raw) != "null" {
				t.Errorf("claim %s (%s) was not passed on", name, raw)
			}
		}
	})

	// Every refusal: 401 {"message":"Unauthorized"}, a challenge naming the
	// reason, and the function not invoked.
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	kid := headerOf(t, valid)["kid"].(string)
	for _, c := range []struct {
		name  string
		cfg   JWTConfig
		token string
		why   string
	}{
		{name: "expired", cfg: JWTConfig{Now: func() time.Time { return time.Now().Add(2 * time.Hour) }}, token: valid, why: "expired"},
		{name: "from a foreign issuer", token: idToken(t, foreign, admin), why: "kid"},
		{name: "for another audience", cfg: JWTConfig{Audience: []string{"another-client"}}, token: valid, why: "audience"},
		{name: "unsigned (alg none)", token: unsigned(t, valid), why: "none"},
		{name: "signed by a key not in the JWKS, under its kid", token: resign(t, valid, other, kid), why: "signature"},
		{name: "signed by a key not in the JWKS, under a kid of its own", token: resign(t, valid, other, "not-published"), why: "kid"},
		{name: "a tampered payload", token: tamper(t, valid, func(c map[string]any) { c["groups"] = []string{"pat-admins"}; c["sub"] = "alice" }), why: "signature"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := invoked.Load()
			rec := call(t, authorizer(t, c.cfg), c.token)
			if rec.Code != 401 || rec.Body.String() != "{\"message\":\"Unauthorized\"}\n" {
				t.Fatalf("answered %d %s, want 401 Unauthorized", rec.Code, rec.Body)
			}
			if invoked.Load() != before {
				t.Fatal("the function was invoked")
			}
			if ch := rec.Header().Get("WWW-Authenticate"); !strings.Contains(ch, `error="invalid_token"`) || !strings.Contains(ch, c.why) {
				t.Fatalf("WWW-Authenticate %q, want invalid_token naming %q", ch, c.why)
			}
		})
	}

	// The provider rotates its key: the first token under the new kid makes
	// the authorizer fetch the JWKS again, and it passes.
	t.Run("key rotation", func(t *testing.T) {
		var offset atomic.Int64
		a := authorizer(t, JWTConfig{Now: func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }})
		if err := p.RotateKey(); err != nil {
			t.Fatal(err)
		}
		offset.Store(int64(refetchAfter + time.Second))
		rotated := idToken(t, p, localidp.Users[1])
		if headerOf(t, rotated)["kid"] == kid {
			t.Fatal("the provider still signs with its old key")
		}
		if rec := call(t, a, rotated); rec.Code != 200 {
			t.Fatalf("the rotated key's token: %d %s %s", rec.Code, rec.Header(), rec.Body)
		}
		if rec := call(t, a, valid); rec.Code != 200 {
			t.Fatalf("the old key's token, still published: %d %s", rec.Code, rec.Body)
		}
	})
}

// payloadOf returns a token's claims as written.
func payloadOf(t *testing.T, tok string) map[string]json.RawMessage {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func headerOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// resign signs a token's claims again with key under kid.
func resign(t *testing.T, tok string, key *rsa.PrivateKey, kid string) string {
	t.Helper()
	var claims map[string]any
	raw, _ := json.Marshal(payloadOf(t, tok))
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	return sign(t, key, jose.RS256, kid, claims)
}
