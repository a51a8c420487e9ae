// Package pat is the domain of personal access tokens: what a token, a user
// and an audit event are, the rules for creating and changing tokens, and the
// stores the adapters implement, one per entity (store.go).
package pat

import (
	"time"

	"github.com/patservice/pat/internal/scope"
)

// Status is a token's state. Stored tokens are active, locked or revoked;
// expired is derived from ExpiresAt, because nothing writes at expiry.
type Status string

const (
	StatusActive  Status = "active"
	StatusLocked  Status = "locked" // by an administrator; not revoked, but unusable
	StatusRevoked Status = "revoked"
	StatusExpired Status = "expired"
	// StatusReplaced is derived, never stored: a token a rotation replaced
	// that still works until its ReplacedUntil (the overlap the owner chose).
	StatusReplaced Status = "replaced"
)

// Token is a personal access token's metadata. The secret is never kept:
// Digest is the SHA-256 of the whole token.
type Token struct {
	ID          string
	UserID      string
	Name        string
	Description string
	Scopes      []string
	// AllowedSources limits where the token may be used from: addresses
	// and CIDR ranges as CleanSources keeps them; empty: anywhere. It is
	// on the token's item, so the authorizer checks it with the read it
	// makes anyway (SourceAllowed).
	AllowedSources []string
	Digest         []byte
	Status         Status
	CreatedAt      time.Time
	ExpiresAt      *time.Time // nil: never expires
	// Lifetime is the span from creation to expiry its owner chose, signed
	// in: at creation (kept by a rotation) or at an extension with a new
	// expiry. A keep link never extends a token further than this from the
	// day it is used. 0: never expires, or a token older than the field
	// (see Term).
	Lifetime   time.Duration
	LastUsedAt *time.Time
	LastUsedIP string // source IP and user agent of the last recorded use
	LastUsedUA string
	RevokedAt  *time.Time
	ReplacedBy string // id of the token a rotation replaced this one with
	// ReplacedUntil is when a replaced token stops working: the rotation's
	// time plus the overlap the owner chose (its expiry is moved there
	// too). nil on a token replaced before the field was kept.
	ReplacedUntil *time.Time
	// RevokeReplacementOnReuse: the rotation asked that a use of this token
	// after its end revoke its replacement too.
	RevokeReplacementOnReuse bool
	// RevokedOnReuseAt is when the authorizer revoked this token because
	// the token it replaced was used after its end. The authorizer never
	// writes a token's status: this mark (with RevokedAt, which the owner
	// index projects) makes the token revoked (StatusAt, and the
	// authorizer's decision). It keeps its place in its owner's cap until
	// it expires or its owner revokes it for good.
	RevokedOnReuseAt *time.Time
	// ReuseReportedAt is when the authorizer last reported a use of this
	// token after its replacement ended (ActionReuseDetected): at most one
	// report per token per ReusePeriod.
	ReuseReportedAt *time.Time
	DeleteAfter     time.Time // when DynamoDB TTL may remove the item
	ExtendedAt      *time.Time
	OwnerEmail      string            // where lifecycle mails go; copied from the owner at creation
	Notices         map[string]string // lifecycle mails by key: "sending:<time>", "sent:<time>", "failed:<time>", "skipped"
	DueAt           *time.Time        // when the lifecycle job next acts on the token; nil: never
	// IssuedBy is who made the token: RoleAdmin for one an administrator
	// created for its owner, RoleUser for the owner's own (a rotation is the
	// owner's). The authorizer tells backends.
	IssuedBy Role
	// Owner is the owner's state as of the owner's revision Owner.Rev, kept
	// on the token so that the authorizer reads one item per decision. Every
	// change of the owner's status or permissions rewrites it on all the
	// owner's live tokens in the same transaction.
	Owner OwnerState
}

// Backfill is what one run of the owner-state backfill did: items of the
// tokens table scanned, tokens given their owner's state, tokens left for
// a later run (changed meanwhile), tokens whose owner has no record, and
// whether the whole table has been seen.
type Backfill struct {
	Scanned int  `json:"scanned"`
	Copied  int  `json:"copied"`
	Skipped int  `json:"skipped"`
	Orphans int  `json:"orphans"`
	Done    bool `json:"done"`
}

// OwnerState is what the authorizer needs of a token's owner.
type OwnerState struct {
	Status UserStatus
	Scopes []string // the owner's effective permissions, sorted
	Rev    int      // the owner's revision it was taken at; 0: none (a token older than the copy)
}

// LastActivity is the latest of creation, last use and extension: what the
// inactivity rule counts from.
func (t Token) LastActivity() time.Time {
	last := t.CreatedAt
	for _, at := range []*time.Time{t.LastUsedAt, t.ExtendedAt} {
		if at != nil && at.After(last) {
			last = *at
		}
	}
	return last
}

// Term is the lifetime a keep link or a rotation gives the token anew:
// the one its owner chose (Lifetime) or, for a token older than that
// field, the span from its creation to its expiry. 0: it never expires.
func (t Token) Term() time.Duration {
	switch {
	case t.ExpiresAt == nil:
		return 0
	case t.Lifetime > 0:
		return t.Lifetime
	}
	return t.ExpiresAt.Sub(t.CreatedAt).Round(time.Second)
}

// StatusAt is the status a user sees at now: an active token past its
// expiry is expired; an active token a rotation replaced is replaced until
// the end of its overlap, then expired.
func (t Token) StatusAt(now time.Time) Status {
	switch {
	case t.Status != StatusRevoked && (t.RevokedOnReuseAt != nil || t.RevokedAt != nil):
		// The authorizer's mark (see RevokedOnReuseAt), which also sets
		// revokedAt for the owner index's lists.
		return StatusRevoked
	case t.Status != StatusActive:
		return t.Status
	case t.ReplacedBy != "" && (t.ReplacedUntil == nil || !now.Before(*t.ReplacedUntil)):
		return StatusExpired
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return StatusExpired
	case t.ReplacedBy != "":
		return StatusReplaced
	}
	return StatusActive
}

// Usable reports whether the token works at now, for any route its scopes
// grant: active, or replaced within its overlap.
func (t Token) Usable(now time.Time) bool {
	s := t.StatusAt(now)
	return s == StatusActive || s == StatusReplaced
}

// ShouldRecordUse reports whether a use at now should be written, given the
// last recorded use: at most one write per token per interval (GitLab
// records at most every 10 minutes).
func ShouldRecordUse(last *time.Time, now time.Time, interval time.Duration) bool {
	return last == nil || now.Sub(*last) >= interval
}

// UserStatus says whether a user's tokens may be used.
type UserStatus string

const (
	UserActive   UserStatus = "active"
	UserDisabled UserStatus = "disabled"
)

// User is the owner of tokens, with the permissions a token may not exceed.
type User struct {
	ID          string
	Name        string // from the identity provider's name claim, at the last sign-in that had one
	Email       string
	Permissions []string // concrete scopes, sorted: from the identity provider, at the last sign-in
	Status      UserStatus
	// Limited says an administrator narrowed the user's permissions to
	// Limit (concrete scopes, sorted; empty means none at all). It holds
	// whatever the identity provider grants later.
	Limited      bool
	Limit        []string
	ActiveTokens int // active and locked tokens, counted against the cap
	// Unreachable is when mail to the user's address was refused for good
	// or bounced (nil: deliverable), with what the mail service said. No
	// more mail goes there, and tokens are not deleted for inactivity
	// without the administrators being told. A new address clears it.
	Unreachable      *time.Time
	UnreachableCause string
	// Rev counts the changes of the user's status and permissions: a token
	// is created with the state of one revision, and only if it is still
	// the current one.
	Rev int
	// Language is the language the user chose for their mail (a tag such
	// as "de"; empty: none chosen). Locale is their identity provider's
	// locale claim at their last sign-in that carried one.
	Language string
	Locale   string
}

// MailLanguage is the language tag mail to the user is written in, as far
// as the user decides it: their choice, else their identity provider's
// locale; empty when neither is known (the deployment's default applies).
func (u User) MailLanguage() string {
	if u.Language != "" {
		return u.Language
	}
	return u.Locale
}

// State is what the user's tokens carry of them.
func (u User) State() OwnerState {
	return OwnerState{Status: u.Status, Scopes: u.Effective(), Rev: u.Rev}
}

// Effective is what the user's tokens may do now: their permissions,
// narrowed by an administrator's limit.
func (u User) Effective() []string {
	if !u.Limited {
		return u.Permissions
	}
	return scope.Intersect(u.Permissions, u.Limit)
}

// Identity is the authenticated caller of the management API, from the
// claims of its session.
type Identity struct {
	UserID string
	Name   string // the display name the identity provider gives, if any
	Email  string
	// Locale is the identity provider's locale claim (a language tag such
	// as de-CH); empty when it sends none.
	Locale string
	// EmailUnverified says the identity provider marked Email as not
	// verified (its email_verified claim is false): no token mail goes
	// there. Without such a claim an address counts as verified, since
	// many providers send none.
	EmailUnverified bool
	Permissions     []string // concrete scopes, sorted
	SourceIP        string
	UserAgent       string
	Admin           bool // holds the administrator role (a group or claim of the session)
	// ConsoleURL is the console of the API the caller reached, read from
	// the request: where the notices composed for this call link when the
	// service is given no console URL of its own.
	ConsoleURL string
	// KeepURL is the one-click link page of the API the request came in
	// on: where the links of the mails it causes lead ("": no link).
	KeepURL string
}

// Role is the audit trail's kind of actor.
type Role string

const (
	RoleUser  Role = "user"  // an owner acting on their own tokens
	RoleAdmin Role = "admin" // an administrator
	RoleJob   Role = "job"   // the scheduled lifecycle job
	// RoleScanner is a secret scanner's verified report of a leaked token.
	RoleScanner Role = "scanner"
	// RoleAuthorizer is the request authorizer, reporting the use of a
	// replaced token after its end (ActionReuseDetected).
	RoleAuthorizer Role = "authorizer"
)

// Actions recorded in the audit trail. The values are stored and never
// change; each constant is named after its value: Action, then the value
// in CamelCase, without the "token." of a token's action
// (ActionUpdated = "token.updated", ActionUserUpdated = "user.updated").
const (
	ActionCreated  = "token.created"
	ActionUpdated  = "token.updated"
	ActionRevoked  = "token.revoked"
	ActionRotated  = "token.rotated"
	ActionExtended = "token.extended"
	ActionExpired  = "token.expired"
	ActionDeleted  = "token.deleted"
	ActionLocked   = "token.locked"
	ActionUnlocked = "token.unlocked"
	// ActionLeaked: the token was revoked because it was found where
	// others can read it (details: reason "leaked", reportedBy, url,
	// source, note).
	ActionLeaked = "token.leaked"
	// ActionReuseDetected: the authorizer refused a use of a token a
	// rotation replaced, after its overlap ended. Details: "replacedBy",
	// "sourceIp"; "replacementRevoked" when the rotation asked for it.
	ActionReuseDetected = "token.reuse_detected"
	// ActionUserUpdated: an administrator disabled or enabled a user or
	// changed the limit of their permissions. Its TokenID is empty.
	ActionUserUpdated = "user.updated"
	// ActionUserEmailChanged: a sign-in brought a new verified address; mail
	// about the user's tokens goes there from now on, and the old address
	// is told. Its TokenID is empty; details "from" and "to".
	ActionUserEmailChanged = "user.email_changed"
	// ActionTokensOwnerStateCopied: a run of the lifecycle job gave tokens
	// older than the owner's copy on the token their copy (the backfill
	// that makes every decision of the authorizer one read). One record a
	// run, of the job's own (OwnerID lifecycle-job, no TokenID); details
	// "copied", "scanned", "skipped", "orphans" (counts) and "done".
	ActionTokensOwnerStateCopied = "tokens.owner_state_copied"
	// ActionListsBackfilled: a run of the lifecycle job gave tokens and
	// users recorded before the list index their entries in it. One record
	// a run, of the job's own; details "scanned", "tokens", "users" (counts)
	// and "done".
	ActionListsBackfilled = "lists.backfilled"
)

// Event is one audit record: who did what to which token, with what outcome,
// when and from where. It is written in the same transaction as the change.
type Event struct {
	ID        string
	Time      time.Time
	Action    string
	TokenID   string
	OwnerID   string
	ActorID   string
	ActorRole Role
	Outcome   string
	SourceIP  string
	Details   map[string]string
	ExpiresAt time.Time // retention: DynamoDB TTL removes the record after it
}

// Page is one page of a cursor-paginated list; Next is empty on the last page.
type Page[T any] struct {
	Items []T
	Next  string
	// Total, when the list counts, is how many items the whole list holds
	// (the first page only; nil on later pages and on lists that do not count).
	Total *Total
}

// Total is a list's count: Count items, or, with More, more than Count
// (counting stopped at a bound).
type Total struct {
	Count int
	More  bool
}

// ListBackfill is what one run of the list backfill did: items of the
// tokens table scanned, tokens and users given their list entries, and
// whether the whole table has been seen.
type ListBackfill struct {
	Scanned int `json:"scanned"`
	Tokens  int `json:"tokens"`
	Users   int `json:"users"`
	// Expiries counts the entries written in the all-tokens list's expiry
	// order.
	Expiries int `json:"expiries"`
	// Uses counts the entries written in the all-tokens list's last-use
	// order.
	Uses int  `json:"uses"`
	Done bool `json:"done"`
}

// PageRequest asks a store for one page of a list.
type PageRequest struct {
	// Cursor is the Next of an earlier page of the same list; empty for the
	// first page. It is opaque to the caller.
	Cursor string
	Limit  int
	// List names the list a cursor belongs to: the route, the caller and
	// the filter as the caller gave it. A store seals the cursors it issues
	// to it and refuses any other with CodeInvalidCursor, so that a cursor
	// cannot be forged, edited, or replayed by another caller, on another
	// route or with another filter.
	List string
}

// TokenOwner is what the authorizer reads for one decision: the token and
// its owner, each nil when there is no such item. For a token that carries
// its owner's state (Owner.Rev > 0) the owner is that state.
type TokenOwner struct {
	Token *Token
	Owner *User
}

// Use is one recorded use of a token.
type Use struct {
	At        time.Time
	SourceIP  string
	UserAgent string
}

// DueItem is one item of the due index: a token or an outbox notice.
type DueItem struct {
	Token  *Token
	Notice *Notice
}

// MinCursorKeyLen is the least length, in bytes, of the key that seals list
// cursors (the CursorKeySecret's values): HMAC-SHA256 wants at least its output's size.
const MinCursorKeyLen = 32
