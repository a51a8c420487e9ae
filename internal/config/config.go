// Package config reads the service's settings from the environment once, at
// cold start, and refuses a bad configuration with a clear message.
package config

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/patservice/pat/internal/pat"
)

// Config is the validated configuration of the management functions.
type Config struct {
	TokensTable string
	AuditTable  string
	TokenPrefix string
	Rules       pat.Config
	Claims      Claims
	// Mail to owners: the lifecycle job's reminders and notices, and the
	// notices of administrators' actions. Without MailFrom the management
	// functions leave notices in the outbox for the job to send.
	MailFrom    string
	MailReplyTo string
	ConsoleURL  string // where owners manage their tokens
}

// Claims names the JWT claims that carry the caller's identity, and the
// group that makes a caller an administrator.
type Claims struct {
	UserID      string
	Email       string
	Permissions string
	Groups      string // claim listing the caller's groups
	AdminGroup  string // the group of administrators
}

// FromEnv reads the configuration from environment variables (see README).
func FromEnv() (Config, error) {
	r := reader{}
	c := Config{
		TokensTable: r.str("TABLE_NAME", ""),
		AuditTable:  r.str("AUDIT_TABLE_NAME", ""),
		TokenPrefix: r.str("TOKEN_PREFIX", "pat"),
		Rules: pat.Config{
			DefaultLifetime:   r.days("DEFAULT_EXPIRY_DAYS", 180),
			MaxLifetime:       r.days("MAX_EXPIRY_DAYS", 365),
			AllowNeverExpires: r.boolean("ALLOW_NEVER_EXPIRES", false),
			MaxActiveTokens:   r.positive("MAX_ACTIVE_TOKENS", 50),
			RevokedRetention:  r.days("REVOKED_RETENTION_DAYS", 30),
			AuditRetention:    r.days("AUDIT_RETENTION_DAYS", 365),
			Lifecycle: pat.Lifecycle{
				Inactivity:      r.days("INACTIVITY_DAYS", 180),
				IdleReminders:   r.dayList("REMINDER_DAYS", "14,3"),
				ExpiryReminders: r.dayList("EXPIRY_REMINDER_DAYS", "7,1"),
			},
		},
		Claims: Claims{
			UserID:      r.str("CLAIM_USER_ID", "sub"),
			Email:       r.str("CLAIM_EMAIL", "email"),
			Permissions: r.str("CLAIM_PERMISSIONS", "permissions"),
			Groups:      r.str("CLAIM_GROUPS", "cognito:groups"),
			AdminGroup:  r.str("ADMIN_GROUP", "pat-admins"),
		},
		MailFrom:    r.str("MAIL_FROM", ""),
		MailReplyTo: r.str("MAIL_REPLY_TO", ""),
		ConsoleURL:  r.str("CONSOLE_BASE_URL", ""),
	}
	if c.TokensTable == "" || c.AuditTable == "" {
		r.errs = append(r.errs, errors.New("TABLE_NAME and AUDIT_TABLE_NAME are required"))
	}
	if c.Rules.DefaultLifetime > c.Rules.MaxLifetime {
		r.errs = append(r.errs, errors.New("DEFAULT_EXPIRY_DAYS exceeds MAX_EXPIRY_DAYS"))
	}
	for _, d := range c.Rules.Lifecycle.IdleReminders {
		if time.Duration(d)*24*time.Hour >= c.Rules.Lifecycle.Inactivity {
			r.errs = append(r.errs, fmt.Errorf("REMINDER_DAYS: %d is not less than INACTIVITY_DAYS", d))
		}
	}
	if err := errors.Join(r.errs...); err != nil {
		return Config{}, fmt.Errorf("configuration: %w", err)
	}
	return c, nil
}

type reader struct{ errs []error }

func (r *reader) str(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func (r *reader) positive(name string, def int) int {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		r.errs = append(r.errs, fmt.Errorf("%s=%q: want a whole number ≥ 1", name, v))
		return def
	}
	return n
}

func (r *reader) days(name string, def int) time.Duration {
	return time.Duration(r.positive(name, def)) * 24 * time.Hour
}

func (r *reader) boolean(name string, def bool) bool {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s=%q: want true or false", name, v))
		return def
	}
	return b
}

// Authorizer is the validated configuration of the request authorizer.
type Authorizer struct {
	TokensTable     string
	TokenPrefix     string
	LastUseInterval time.Duration // least time between two recorded uses of a token
	Timeout         time.Duration // bound on each DynamoDB call
	Realm           string        // named in WWW-Authenticate
}

// AuthorizerFromEnv reads the authorizer's configuration (see README).
func AuthorizerFromEnv() (Authorizer, error) {
	r := reader{}
	c := Authorizer{
		TokensTable:     r.str("TABLE_NAME", ""),
		TokenPrefix:     r.str("TOKEN_PREFIX", "pat"),
		LastUseInterval: time.Duration(r.positive("LAST_USED_INTERVAL_MINUTES", 10)) * time.Minute,
		Timeout:         time.Duration(r.positive("AUTHORIZER_TIMEOUT_MS", 1000)) * time.Millisecond,
		Realm:           r.str("AUTH_REALM", "pat"),
	}
	if c.TokensTable == "" {
		r.errs = append(r.errs, errors.New("TABLE_NAME is required"))
	}
	// The realm goes into a quoted-string of WWW-Authenticate as it is.
	if c.Realm == "" || len(c.Realm) > 64 || strings.ContainsFunc(c.Realm, func(r rune) bool { return r < ' ' || r > '~' || r == '"' || r == '\\' }) {
		r.errs = append(r.errs, errors.New(`AUTH_REALM: want 1 to 64 printable ASCII characters without " or \`))
	}
	if err := errors.Join(r.errs...); err != nil {
		return Authorizer{}, fmt.Errorf("configuration: %w", err)
	}
	return c, nil
}

// Job is the validated configuration of the lifecycle job.
type Job struct {
	Config
	KeepURL string // public URL of the one-click keep page
}

// JobFromEnv reads the lifecycle job's configuration (see README).
func JobFromEnv() (Job, error) {
	base, err := FromEnv()
	r := reader{}
	if err != nil {
		r.errs = append(r.errs, err)
	}
	j := Job{Config: base, KeepURL: r.str("KEEP_URL", "")}
	if j.MailFrom == "" || j.ConsoleURL == "" || j.KeepURL == "" {
		r.errs = append(r.errs, errors.New("MAIL_FROM, CONSOLE_BASE_URL and KEEP_URL are required"))
	}
	if err := errors.Join(r.errs...); err != nil {
		return Job{}, fmt.Errorf("configuration: %w", err)
	}
	return j, nil
}

// dayList reads a comma-separated list of whole days, largest first.
func (r *reader) dayList(name, def string) []int {
	var out []int
	for _, f := range strings.Split(r.str(name, def), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			r.errs = append(r.errs, fmt.Errorf("%s: want whole days ≥ 1 separated by commas, such as 14,3", name))
			return nil
		}
		out = append(out, n)
	}
	slices.Sort(out)
	slices.Reverse(out)
	return slices.Compact(out)
}
