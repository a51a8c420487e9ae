package config

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// testSecret is a valid CURSOR_KEY_SECRET_ARN.
const testSecret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:pat-cursor-key-AbCdEf"

func TestFromEnvDefaults(t *testing.T) {
	t.Setenv("TABLE_NAME", "tokens")
	t.Setenv("AUDIT_TABLE_NAME", "audit")
	t.Setenv("CURSOR_KEY_SECRET_ARN", testSecret)
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
			t.Setenv("CURSOR_KEY_SECRET_ARN", testSecret)
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

// CURSOR_KEY_SECRET_ARN is required and a secret's ARN (IAM grants the
// read on it); the key itself is never read from the environment, and the
// handler of mail events, which lists nothing, does not read the ARN.
func TestCursorKeySecretARN(t *testing.T) {
	t.Setenv("TABLE_NAME", "tokens")
	t.Setenv("AUDIT_TABLE_NAME", "audit")
	t.Setenv("CURSOR_KEY", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=") // the old variable: ignored
	for _, c := range []struct{ name, value, want string }{
		{"missing", "", "CURSOR_KEY_SECRET_ARN is required"},
		{"a name, not an ARN", "pat-cursor-key", "want a Secrets Manager secret's ARN"},
		{"another service's ARN", "arn:aws:ssm:eu-west-1:123456789012:parameter/pat-cursor-key", "want a Secrets Manager secret's ARN"},
		{"no secret name", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:", "want a Secrets Manager secret's ARN"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("CURSOR_KEY_SECRET_ARN", c.value)
			_, err := FromEnv()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if _, err := MailEventsFromEnv(); err != nil {
				t.Fatalf("MailEventsFromEnv: %v, want the cursor key's secret not read", err)
			}
		})
	}
	t.Setenv("CURSOR_KEY_SECRET_ARN", testSecret)
	c, err := FromEnv()
	if err != nil || c.CursorKeySecretARN != testSecret || c.CursorKey != nil {
		t.Fatalf("FromEnv: ARN %q, key %v, %v: want the ARN and no key", c.CursorKeySecretARN, c.CursorKey != nil, err)
	}
	if m, err := MailEventsFromEnv(); err != nil || m.CursorKeySecretARN != "" {
		t.Fatalf("MailEventsFromEnv: ARN %q, %v: want none", m.CursorKeySecretARN, err)
	}
}

func TestAuthorizerFromEnv(t *testing.T) {
	t.Setenv("TABLE_NAME", "tokens")
	t.Setenv("AUDIT_TABLE_NAME", "audit")
	c, err := AuthorizerFromEnv()
	if err != nil || c.LastUseInterval != 10*time.Minute || c.Timeout != time.Second || c.TokenPrefix != "pat" || c.AllowLogSample != 0.01 {
		t.Fatalf("defaults = %+v, %v", c, err)
	}
	t.Setenv("AUTHORIZER_TIMEOUT_MS", "-1")
	t.Setenv("LOG_ALLOW_SAMPLE_RATE", "2")
	_, err = AuthorizerFromEnv()
	for _, name := range []string{"AUTHORIZER_TIMEOUT_MS", "LOG_ALLOW_SAMPLE_RATE"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Fatalf("err = %v, want it to name %s", err, name)
		}
	}
}

func TestGroupPermissions(t *testing.T) {
	cases := []struct {
		name, value string
		want        string // the map as fmt prints it, when accepted
		err         string // part of the error, when refused
	}{
		{"unset: administrators hold every scope", "", "map[pat-admins:[*]]", ""},
		{"blank counts as unset", "  ", "map[pat-admins:[*]]", ""},
		{"no group mapped", "{}", "map[]", ""},
		{"scopes and wildcards", `{"sales":["crm:*"],"finance":["accounting:read","orders:read"],"auditors":["*:read"],"pat-admins":["*"]}`,
			"map[auditors:[*:read] finance:[accounting:read orders:read] pat-admins:[*] sales:[crm:*]]", ""},
		{"a group that grants nothing", `{"viewers":[]}`, "map[viewers:[]]", ""},
		{"not JSON", `sales=crm:*`, "", "GROUP_PERMISSIONS: want a JSON object"},
		{"an array", `["crm:*"]`, "", "GROUP_PERMISSIONS: want a JSON object"},
		{"null", `null`, "", "GROUP_PERMISSIONS: want a JSON object"},
		{"a string instead of a list", `{"sales":"crm:*"}`, "", "GROUP_PERMISSIONS: want a JSON object"},
		{"trailing data", `{"sales":["crm:*"]} {}`, "", "GROUP_PERMISSIONS: want a JSON object"},
		{"unknown resource", `{"sales":["crn:read"]}`, "", `group "sales": grant "crn:read": the catalog has no resource "crn"`},
		{"unknown action", `{"sales":["crm:write"]}`, "", `grant "crm:write": action must be one of read, create, update, delete or *`},
		{"no action", `{"sales":["crm"]}`, "", `grant "crm": want <resource>:<action>`},
		{"two colons", `{"sales":["crm:read:all"]}`, "", `grant "crm:read:all": want <resource>:<action>`},
		{"star star", `{"sales":["*:*"]}`, "", `grant "*:*": write * for every scope`},
		{"a group name the claim cannot carry", `{"sales team":["crm:read"]}`, "", `group name "sales team"`},
		{"empty group name", `{"":["crm:read"]}`, "", `group name ""`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("TABLE_NAME", "tokens")
			t.Setenv("AUDIT_TABLE_NAME", "audit")
			t.Setenv("CURSOR_KEY_SECRET_ARN", testSecret)
			t.Setenv("GROUP_PERMISSIONS", c.value)
			cfg, err := FromEnv()
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want it to contain %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(cfg.Claims.GroupPermissions); got != c.want {
				t.Fatalf("GroupPermissions = %s, want %s", got, c.want)
			}
		})
	}
}

// The default follows ADMIN_GROUP, and every bad grant is reported at once.
func TestGroupPermissionsDefaultAndAllErrors(t *testing.T) {
	t.Setenv("TABLE_NAME", "tokens")
	t.Setenv("AUDIT_TABLE_NAME", "audit")
	t.Setenv("CURSOR_KEY_SECRET_ARN", testSecret)
	t.Setenv("ADMIN_GROUP", "token-admins")
	c, err := FromEnv()
	if err != nil || fmt.Sprint(c.Claims.GroupPermissions) != "map[token-admins:[*]]" {
		t.Fatalf("GroupPermissions = %v, %v", c.Claims.GroupPermissions, err)
	}
	t.Setenv("GROUP_PERMISSIONS", `{"a":["crm:write"],"b":["nope:read"]}`)
	_, err = FromEnv()
	if err == nil || !strings.Contains(err.Error(), `"crm:write"`) || !strings.Contains(err.Error(), `"nope:read"`) {
		t.Fatalf("err = %v, want both bad grants named", err)
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
		t.Setenv("PROTECTED_API_URL", "https://demo.execute-api.eu-central-1.amazonaws.com/demo/")
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
		"PROTECTED_API_URL":  {"PROTECTED_API_URL", "javascript:alert(1)"},
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

// Variables names what the loaders read, whether set or not: a variable
// left to its default is read all the same.
func TestVariablesNamesWhatWasRead(t *testing.T) {
	t.Setenv("TABLE_NAME", "tokens")
	t.Setenv("AUDIT_TABLE_NAME", "audit")
	if _, err := AuthorizerFromEnv(); err != nil {
		t.Fatal(err)
	}
	names := strings.Join(Variables(), " ")
	for _, want := range []string{"TABLE_NAME", "DECISION_CACHE_SECONDS", "AUTHORIZER_TIMEOUT_MS", "AUTH_REALM"} {
		if !strings.Contains(names, want) {
			t.Errorf("Variables() = %s, want %s among them", names, want)
		}
	}
}
