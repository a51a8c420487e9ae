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
