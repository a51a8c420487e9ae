package config

import (
	"strings"
	"testing"
)

// The report endpoint fetches signing keys over https only (http to a
// loopback address, for a local key server); the people's routes read no
// keys URL at all.
func TestLeaksFromEnv(t *testing.T) {
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"https://api.github.com/meta/public_keys/secret_scanning", true},
		{"http://127.0.0.1:8080/keys", true},
		{"http://[::1]:8080/keys", true},
		{"http://api.github.com/meta/public_keys/secret_scanning", false},
		{"http://10.0.0.1/keys", false},
		{"ftp://example.com/keys", false},
		{"", false},
		{"not a url", false},
	} {
		t.Run(c.url, func(t *testing.T) {
			t.Setenv("TABLE_NAME", "tokens")
			t.Setenv("AUDIT_TABLE_NAME", "audit")
			t.Setenv("CURSOR_KEY_SECRET_ARN", testSecret)
			t.Setenv("ADMIN_NOTIFY_EMAIL", "security@example.com")
			t.Setenv("LEAK_REPORT_KEYS_URL", c.url)
			cfg, err := LeaksFromEnv(true)
			if (err == nil) != c.ok {
				t.Fatalf("LeaksFromEnv: %v, want ok %v", err, c.ok)
			}
			if !c.ok {
				if !strings.Contains(err.Error(), "LEAK_REPORT_KEYS_URL") {
					t.Errorf("the error does not name the setting: %v", err)
				}
				return
			}
			if cfg.LeakKeysURL != c.url || cfg.AdminEmail != "security@example.com" {
				t.Errorf("config %q %q", cfg.LeakKeysURL, cfg.AdminEmail)
			}
			people, err := LeaksFromEnv(false)
			if err != nil || people.LeakKeysURL != "" || people.AdminEmail != "security@example.com" {
				t.Errorf("the people's routes: %+v %v, want the address and no keys URL", people.LeakKeysURL, err)
			}
		})
	}
}
