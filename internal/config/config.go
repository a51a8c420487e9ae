// Package config reads the service's settings from the environment once, at
// cold start, and refuses a bad configuration with a clear message.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/patservice/pat/internal/i18n"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/scope"
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
	// MailConfigurationSet is the SES configuration set whose events
	// (bounces, complaints) reach the mail-events function.
	MailConfigurationSet string
	// DefaultLanguage is the language of mail to a user who chose none
	// and whose identity provider sends no locale, and of mail to the
	// administrators.
	DefaultLanguage i18n.Lang
	// Realm is named in WWW-Authenticate by the self-rotation's refusals,
	// as by the request authorizer's (AUTH_REALM).
	Realm string
	// CursorKeySecretARN names the Secrets Manager secret whose current
	// and previous values seal the list cursors handed to callers
	// (HMAC-SHA256), so that a forged or foreign cursor is refused and
	// every instance accepts the cursors of any; the wiring reads it at
	// cold start (internal/cursorkey). A function is given the ARN, never
	// the key.
	CursorKeySecretARN string
	// CursorKey is an in-process key, in place of the secret: set by code
	// (the tests), never read from the environment.
	CursorKey []byte
	// Leaked tokens (LeaksFromEnv; FromEnv leaves both empty): the
	// administrators' address their mails go to ("": none), and where the
	// keys that sign secret scanners' reports are published ("": the
	// report route is not served).
	AdminEmail  string
	LeakKeysURL string
}

// Claims names the JWT claims that carry the caller's identity, and the
// group that makes a caller an administrator.
type Claims struct {
	UserID string
	Email  string
	// EmailVerified names the claim that says the identity provider
	// verified Email ("true" or "false"); absent, Email counts as verified,
	// since many providers do not send it.
	EmailVerified string
	// Locale names the claim with the user's preferred language (OpenID
	// Connect's locale, a BCP 47 tag); recorded at sign-in, it chooses the
	// language of their mail unless they chose one themselves.
	Locale      string
	Permissions string
	Groups      string // claim listing the caller's groups
	AdminGroup  string // the group of administrators
	// GroupPermissions maps a group to the grants its members hold, on top
	// of the Permissions claim: a plain Cognito pool issues groups, not
	// permissions. Grants are checked against the catalog at cold start.
	GroupPermissions map[string][]string
}

// FromEnv reads the configuration of the management functions from
// environment variables (see docs/configuration.md).
func FromEnv() (Config, error) { return fromEnv(true) }

// MailEventsFromEnv reads FromEnv's configuration but the cursor key's
// secret: the handler of SES mail events lists nothing.
func MailEventsFromEnv() (Config, error) { return fromEnv(false) }

func fromEnv(cursors bool) (Config, error) {
	r := reader{}
	c := Config{
		TokensTable: r.str("TABLE_NAME", ""),
		AuditTable:  r.str("AUDIT_TABLE_NAME", ""),
		TokenPrefix: r.str("TOKEN_PREFIX", "pat"),
		Rules: pat.Config{
			DefaultLifetime:   r.days("DEFAULT_EXPIRY_DAYS", 180),
			MaxLifetime:       r.days("MAX_EXPIRY_DAYS", 365),
			AllowNeverExpires: r.boolean("ALLOW_NEVER_EXPIRES", false),
			// The store bounds it further (dynamo.MaxTokensPerOwner), which
			// the wiring checks (internal/app): config knows no store.
			MaxActiveTokens:  r.atLeast("MAX_ACTIVE_TOKENS", 50, 1),
			RevokedRetention: r.days("REVOKED_RETENTION_DAYS", 30),
			AuditRetention:   r.days("AUDIT_RETENTION_DAYS", 365),
			LastUseInterval:  r.lastUseInterval(),
			Lifecycle: pat.Lifecycle{
				Inactivity:      r.days("INACTIVITY_DAYS", 180),
				IdleReminders:   r.dayList("REMINDER_DAYS", "14,3"),
				ExpiryReminders: r.dayList("EXPIRY_REMINDER_DAYS", "7,1"),
				HoldUnreachable: r.days("UNREACHABLE_HOLD_DAYS", 30),
			},
		},
		Claims: Claims{
			UserID:        r.str("CLAIM_USER_ID", "sub"),
			Email:         r.str("CLAIM_EMAIL", "email"),
			EmailVerified: r.str("CLAIM_EMAIL_VERIFIED", "email_verified"),
			Locale:        r.str("CLAIM_LOCALE", "locale"),
			Permissions:   r.str("CLAIM_PERMISSIONS", "permissions"),
			Groups:        r.str("CLAIM_GROUPS", "cognito:groups"),
			AdminGroup:    r.str("ADMIN_GROUP", "pat-admins"),
		},
		MailFrom:             r.str("MAIL_FROM", ""),
		MailReplyTo:          r.str("MAIL_REPLY_TO", ""),
		MailConfigurationSet: r.str("MAIL_CONFIGURATION_SET", ""),
		ConsoleURL:           r.str("CONSOLE_BASE_URL", ""),
		DefaultLanguage:      r.language("DEFAULT_LANGUAGE", i18n.Fallback),
		Realm:                r.realm(),
	}
	if cursors {
		c.CursorKeySecretARN = r.secretARN("CURSOR_KEY_SECRET_ARN")
	}
	c.Claims.GroupPermissions = r.groupPermissions("GROUP_PERMISSIONS", c.Claims.AdminGroup)
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

// language reads one of the languages the service speaks, exactly as
// written (de, nl, en).
func (r *reader) language(name string, def i18n.Lang) i18n.Lang {
	v := r.str(name, string(def))
	for _, l := range i18n.Languages() {
		if v == string(l) {
			return l
		}
	}
	r.errs = append(r.errs, fmt.Errorf("%s: %q is not one of %v", name, v, i18n.Languages()))
	return def
}

// read holds the names of the variables this process's configuration
// read, for Variables.
var read struct {
	sync.Mutex
	names map[string]bool
}

// Variables returns the names of the environment variables the
// configuration has read in this process, sorted. A function logs them at
// cold start (package coldstart), so that the tests that run each function
// as Lambda does can check its environment in the template against what
// its code reads.
func Variables() []string {
	read.Lock()
	defer read.Unlock()
	names := make([]string, 0, len(read.names))
	for n := range read.names {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// lastUseInterval is LAST_USED_INTERVAL_MINUTES, the least time between
// two recorded uses of a token: the authorizer's, and what the management
// API tells the console and records on a self-rotation.
func (r *reader) lastUseInterval() time.Duration {
	return time.Duration(r.positive("LAST_USED_INTERVAL_MINUTES", 10)) * time.Minute
}

// realm is AUTH_REALM, named in WWW-Authenticate by the authorizer and the
// self-rotation. It goes into a quoted-string as it is.
func (r *reader) realm() string {
	realm := r.str("AUTH_REALM", "pat")
	if realm == "" || len(realm) > 64 || strings.ContainsFunc(realm, func(c rune) bool { return c < ' ' || c > '~' || c == '"' || c == '\\' }) {
		r.errs = append(r.errs, errors.New(`AUTH_REALM: want 1 to 64 printable ASCII characters without " or \`))
	}
	return realm
}

func (r *reader) str(name, def string) string {
	read.Lock()
	if read.names == nil {
		read.names = map[string]bool{}
	}
	read.names[name] = true
	read.Unlock()
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// secretARN reads the required ARN of a Secrets Manager secret
// (arn:<partition>:secretsmanager:<region>:<account>:secret:<name>): IAM
// grants GetSecretValue on the ARN, which a bare name does not give.
func (r *reader) secretARN(name string) string {
	v := r.str(name, "")
	parts := strings.SplitN(v, ":", 7)
	switch {
	case v == "":
		r.errs = append(r.errs, fmt.Errorf("%s is required: the ARN of the secret that holds the cursor key (the stack's CursorKeySecret)", name))
	case len(parts) != 7 || parts[0] != "arn" || parts[2] != "secretsmanager" || parts[5] != "secret" || parts[6] == "":
		r.errs = append(r.errs, fmt.Errorf("%s=%q: want a Secrets Manager secret's ARN, such as arn:aws:secretsmanager:eu-west-1:123456789012:secret:pat-cursor-key-AbCdEf", name, v))
	}
	return v
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

// bounded reads a whole number from lo to hi.
func (r *reader) bounded(name string, def, lo, hi int) int {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		r.errs = append(r.errs, fmt.Errorf("%s=%q: want a whole number from %d to %d", name, v, lo, hi))
		return def
	}
	return n
}

// atLeast reads a whole number of at least lo.
func (r *reader) atLeast(name string, def, lo int) int {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo {
		r.errs = append(r.errs, fmt.Errorf("%s=%q: want a whole number of at least %d", name, v, lo))
		return def
	}
	return n
}

// fraction reads a number from 0 to 1.
func (r *reader) fraction(name string, def float64) float64 {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > 1 {
		r.errs = append(r.errs, fmt.Errorf("%s=%q: want a number from 0 to 1, such as 0.01", name, v))
		return def
	}
	return f
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
	AuditTable      string        // takes the reports of replaced tokens used after their end
	AuditRetention  time.Duration // of those reports' audit events: the service's own
	TokenPrefix     string
	LastUseInterval time.Duration // least time between two recorded uses of a token
	Timeout         time.Duration // bound on each DynamoDB call
	AllowLogSample  float64       // share of allow decisions logged on their own line (denies always are)
	DecisionCache   time.Duration // how long an instance may reuse a token's state (0: never; see authz.CachedReader)
	Realm           string        // named in WWW-Authenticate
}

// AuthorizerFromEnv reads the authorizer's configuration (see docs/configuration.md).
func AuthorizerFromEnv() (Authorizer, error) {
	r := reader{}
	c := Authorizer{
		TokensTable:     r.str("TABLE_NAME", ""),
		AuditTable:      r.str("AUDIT_TABLE_NAME", ""),
		AuditRetention:  r.days("AUDIT_RETENTION_DAYS", 365),
		TokenPrefix:     r.str("TOKEN_PREFIX", "pat"),
		LastUseInterval: r.lastUseInterval(),
		Timeout:         time.Duration(r.positive("AUTHORIZER_TIMEOUT_MS", 1000)) * time.Millisecond,
		AllowLogSample:  r.fraction("LOG_ALLOW_SAMPLE_RATE", 0.01),
		DecisionCache:   time.Duration(r.bounded("DECISION_CACHE_SECONDS", 0, 0, 300)) * time.Second,
		Realm:           r.realm(),
	}
	if c.TokensTable == "" || c.AuditTable == "" {
		r.errs = append(r.errs, errors.New("TABLE_NAME and AUDIT_TABLE_NAME are required"))
	}
	if err := errors.Join(r.errs...); err != nil {
		return Authorizer{}, fmt.Errorf("configuration: %w", err)
	}
	return c, nil
}

// Job is the validated configuration of the lifecycle job.
type Job struct {
	Config
	KeepURL    string // public URL of the one-click keep page
	AdminEmail string // administrators told when a deletion is held ("": logs and metrics only)
	MailRate   int    // mails per second at most: the SES account's sending rate
}

// JobFromEnv reads the lifecycle job's configuration (see docs/configuration.md).
func JobFromEnv() (Job, error) {
	base, err := FromEnv()
	r := reader{}
	if err != nil {
		r.errs = append(r.errs, err)
	}
	j := Job{Config: base, KeepURL: r.str("KEEP_URL", ""), AdminEmail: r.str("ADMIN_NOTIFY_EMAIL", ""),
		MailRate: r.positive("MAIL_RATE_PER_SECOND", 14)}
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

// groupPermissions reads a JSON object from group name to grants, such as
// {"sales": ["crm:*"], "finance": ["accounting:read", "orders:read"]}.
// Unset or empty, the administrators' group holds every scope, so the
// first administrator of a new deployment can create tokens; "{}" maps no
// group. A grant the catalog cannot read is refused here rather than
// silently granting nothing.
func (r *reader) groupPermissions(name, adminGroup string) map[string][]string {
	v := strings.TrimSpace(r.str(name, ""))
	if v == "" {
		return map[string][]string{adminGroup: {"*"}}
	}
	dec := json.NewDecoder(strings.NewReader(v))
	var m map[string][]string
	if err := dec.Decode(&m); err != nil || dec.More() || m == nil {
		r.errs = append(r.errs, fmt.Errorf(`%s: want a JSON object of group to grants, such as {"sales": ["crm:*"], "finance": ["accounting:read"]}`, name))
		return nil
	}
	catalog, err := scope.Default()
	if err != nil {
		r.errs = append(r.errs, err)
		return nil
	}
	groups := make([]string, 0, len(m))
	for g := range m {
		groups = append(groups, g)
	}
	slices.Sort(groups) // report problems in a stable order
	for _, g := range groups {
		// The groups claim arrives as "[a b]": such a name could never match.
		if strings.TrimSpace(g) == "" || strings.ContainsAny(g, " ,[]") {
			r.errs = append(r.errs, fmt.Errorf("%s: group name %q: want a name without spaces, commas or brackets", name, g))
		}
		for _, grant := range m[g] {
			if err := catalog.CheckGrant(grant); err != nil {
				r.errs = append(r.errs, fmt.Errorf("%s: group %q: %w", name, g, err))
			}
		}
	}
	return m
}
