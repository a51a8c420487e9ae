package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/patservice/pat/internal/localidp"
	"github.com/patservice/pat/internal/localstack"
)

// With PAT_OIDC_ISSUER and PAT_OIDC_CLIENT_ID the local server signs users
// in with that provider instead of the development identity: the console
// is configured from its discovery document, and the management API takes
// only its id tokens, verified as the JWT authorizer verifies them on AWS,
// whose claims go through the same mapping as on AWS (CLAIM_GROUPS).
func TestSignsInWithAnOpenIDProvider(t *testing.T) {
	localstack.Client(t) // skips without the local stack
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p, err := localidp.Start(ln, "http://127.0.0.1/console/")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	base := startServer(t, map[string]string{"PAT_OIDC_ISSUER": p.Issuer, "PAT_OIDC_CLIENT_ID": localidp.ClientID, "CLAIM_GROUPS": localidp.GroupsClaim})

	var cfg struct {
		Auth string `json:"auth"`
		OIDC struct {
			Issuer, ClientID, AuthorizeURL, TokenURL, LogoutURL string
		} `json:"oidc"`
	}
	getJSON(t, base+"/console/config.json", "", &cfg)
	if cfg.Auth != "oidc" || cfg.OIDC.Issuer != p.Issuer || cfg.OIDC.ClientID != localidp.ClientID ||
		cfg.OIDC.AuthorizeURL != p.Issuer+"/auth" || cfg.OIDC.TokenURL != p.Issuer+"/oauth/token" || cfg.OIDC.LogoutURL != p.Issuer+"/end_session" {
		t.Errorf("console config: %+v", cfg)
	}

	// No development identity: no token, or X-Dev-User, is refused.
	for _, h := range []http.Header{{}, {"X-Dev-User": {"alice"}}, {"Authorization": {"Bearer not-a-jwt"}}} {
		req, _ := http.NewRequest("GET", base+"/tokens", nil)
		req.Header = h
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != 401 || body["message"] != "Unauthorized" {
			t.Errorf("GET /tokens with %v: %d %v", h, resp.StatusCode, body)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	admin := localidp.Users[0]
	tok, err := p.SignIn(ctx, admin.Username, admin.Password, base+"/console/")
	if err != nil {
		t.Fatal(err)
	}
	var me struct {
		ID, Email            string
		IsAdmin              bool
		EffectivePermissions []string
	}
	getJSON(t, base+"/me", tok, &me)
	if me.ID != admin.Username || me.Email != admin.Email || !me.IsAdmin || !strings.Contains(strings.Join(me.EffectivePermissions, " "), "crm:delete") {
		t.Errorf("/me with the provider's id token: %+v", me)
	}
}

// The provider's variables go together, and an issuer that cannot be
// discovered stops the server at start with a message naming the variable.
func TestOpenIDProviderSettings(t *testing.T) {
	for _, c := range []struct{ issuer, client, want string }{
		{want: ""},
		{issuer: "http://127.0.0.1:1", want: "set both"},
		{client: "pat-console", want: "set both"},
		{issuer: "http://127.0.0.1:1", client: "pat-console", want: "PAT_OIDC_ISSUER: discovery"},
	} {
		t.Setenv("PAT_OIDC_ISSUER", c.issuer)
		t.Setenv("PAT_OIDC_CLIENT_ID", c.client)
		p, err := oidcFromEnv(context.Background())
		switch {
		case c.want == "" && (p != nil || err != nil):
			t.Errorf("neither set: %v %v, want the development identity", p, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("issuer %q, client %q: %v, want an error naming %q", c.issuer, c.client, err, c.want)
		}
	}
}

func getJSON(t *testing.T, url, bearer string, v any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
