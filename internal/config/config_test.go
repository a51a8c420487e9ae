package config

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// testKey is a valid CURSOR_KEY (32 bytes).
const testKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

func TestFromEnvDefaults(t *testing.T) {
	t.Setenv("TABLE_NAME", "tokens")
	t.Setenv("AUDIT_TABLE_NAME", "audit")
	t.Setenv("CURSOR_KEY", testKey)
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
			t.Setenv("CURSOR_KEY", testKey)
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

// CURSOR_KEY is required, base64, and at least 32 bytes; a bad one is
// refused at cold start without being echoed.
func TestCursorKey(t *testing.T) {
	t.Setenv("TABLE_NAME", "tokens")
	t.Setenv("AUDIT_TABLE_NAME", "audit")
	for _, c := range []struct{ name, value, want string }{
		{"missing", "", "CURSOR_KEY is required"},
		{"not base64", "this is not base64 at all!!", "CURSOR_KEY: not base64"},
		{"short", "c2hvcnQga2V5", "CURSOR_KEY: 9 bytes, want at least 32"},
		{"31 bytes", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZQ==", "CURSOR_KEY: 31 bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("CURSOR_KEY", c.value)
			_, err := FromEnv()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if c.value != "" && strings.Contains(err.Error(), c.value) {
				t.Fatalf("the error echoes the key: %v", err)
			}
		})
	}
	for _, v := range []string{testKey, strings.TrimRight(testKey, "="), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-"} {
		t.Setenv("CURSOR_KEY", v)
		c, err := FromEnv()
		if err != nil || len(c.CursorKey) < 32 {
			t.Fatalf("CURSOR_KEY=%s: %d bytes, %v", v, len(c.CursorKey), err)
		}
	}
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
