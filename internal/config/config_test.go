package config

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestFromEnvDefaults(t *testing.T) {
	t.Setenv("TABLE_NAME", "tokens")
	t.Setenv("AUDIT_TABLE_NAME", "audit")
	c, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if c.TokenPrefix != "pat" || c.Rules.DefaultLifetime != 180*24*time.Hour || c.Rules.MaxLifetime != 365*24*time.Hour ||
		c.Rules.MaxActiveTokens != 50 || c.Rules.AllowNeverExpires || c.Claims.UserID != "sub" {
		t.Fatalf("defaults = %+v", c)
	}
	if l := c.Rules.Lifecycle; l.Inactivity != 180*24*time.Hour || fmt.Sprint(l.IdleReminders) != "[14 3]" || fmt.Sprint(l.ExpiryReminders) != "[7 1]" {
		t.Fatalf("lifecycle defaults = %+v", l)
	}
}

func TestFromEnvRejects(t *testing.T) {
	cases := map[string][2]string{
		"MAX_ACTIVE_TOKENS":   {"MAX_ACTIVE_TOKENS", "0"},
		"MAX_EXPIRY_DAYS":     {"MAX_EXPIRY_DAYS", "a year"},
		"ALLOW_NEVER_EXPIRES": {"ALLOW_NEVER_EXPIRES", "sometimes"},
		"DEFAULT_EXPIRY_DAYS": {"DEFAULT_EXPIRY_DAYS", "400"},
		"REMINDER_DAYS":       {"REMINDER_DAYS", "14,three"},
		"INACTIVITY_DAYS":     {"REMINDER_DAYS", "200,3"},
	}
	for want, kv := range cases {
		t.Run(want, func(t *testing.T) {
			t.Setenv("TABLE_NAME", "tokens")
			t.Setenv("AUDIT_TABLE_NAME", "audit")
			t.Setenv(kv[0], kv[1])
			if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v, want it to name %s", err, want)
			}
		})
	}
	t.Run("tables required", func(t *testing.T) {
		t.Setenv("TABLE_NAME", "")
		if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), "TABLE_NAME") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestAuthorizerFromEnv(t *testing.T) {
	t.Setenv("TABLE_NAME", "tokens")
	c, err := AuthorizerFromEnv()
	if err != nil || c.LastUseInterval != 10*time.Minute || c.Timeout != time.Second || c.TokenPrefix != "pat" {
		t.Fatalf("defaults = %+v, %v", c, err)
	}
	t.Setenv("AUTHORIZER_TIMEOUT_MS", "-1")
	if _, err := AuthorizerFromEnv(); err == nil || !strings.Contains(err.Error(), "AUTHORIZER_TIMEOUT_MS") {
		t.Fatalf("err = %v", err)
	}
}

func TestConsoleFromEnv(t *testing.T) {
	set := func(t *testing.T) {
		t.Setenv("OIDC_ISSUER", "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_abc")
		t.Setenv("OIDC_CLIENT_ID", "4f1client")
		t.Setenv("OIDC_AUTHORIZE_URL", "https://pat.auth.eu-central-1.amazoncognito.com/oauth2/authorize")
		t.Setenv("OIDC_TOKEN_URL", "https://pat.auth.eu-central-1.amazoncognito.com/oauth2/token")
		t.Setenv("OIDC_LOGOUT_URL", "")
		t.Setenv("OIDC_SCOPES", "")
		t.Setenv("DEMO_API_URL", "https://demo.execute-api.eu-central-1.amazonaws.com/demo/")
	}
	t.Run("defaults", func(t *testing.T) {
		set(t)
		c, err := ConsoleFromEnv()
		if err != nil || c.OIDC.Scopes != "openid email profile" || c.OIDC.LogoutURL != "" || c.OIDC.ClientID != "4f1client" ||
			c.DemoAPIURL != "https://demo.execute-api.eu-central-1.amazonaws.com/demo" {
			t.Fatalf("%+v, %v", c, err)
		}
	})
	cases := map[string][2]string{
		"OIDC_ISSUER":        {"OIDC_ISSUER", ""},
		"OIDC_CLIENT_ID":     {"OIDC_CLIENT_ID", ""},
		"OIDC_AUTHORIZE_URL": {"OIDC_AUTHORIZE_URL", "http://login.example.com/authorize"},
		"OIDC_TOKEN_URL":     {"OIDC_TOKEN_URL", "/oauth2/token"},
		"OIDC_LOGOUT_URL":    {"OIDC_LOGOUT_URL", "https://user:pw@login.example.com/logout"},
		"OIDC_SCOPES":        {"OIDC_SCOPES", "email profile"},
		"DEMO_API_URL":       {"DEMO_API_URL", "javascript:alert(1)"},
	}
	for want, kv := range cases {
		t.Run(want, func(t *testing.T) {
			set(t)
			t.Setenv(kv[0], kv[1])
			if _, err := ConsoleFromEnv(); err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v, want it to name %s", err, want)
			}
		})
	}
	t.Run("every error at once", func(t *testing.T) {
		for _, k := range []string{"OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_AUTHORIZE_URL", "OIDC_TOKEN_URL"} {
			t.Setenv(k, "")
		}
		_, err := ConsoleFromEnv()
		for _, k := range []string{"OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_AUTHORIZE_URL", "OIDC_TOKEN_URL"} {
			if err == nil || !strings.Contains(err.Error(), k) {
				t.Errorf("err = %v, want it to name %s", err, k)
			}
		}
	})
}
