// Package pat is the domain of personal access tokens: what a token, a user
// and an audit event are, the rules for creating and changing tokens, and the
// Store interface the adapters implement.
package pat

import (
	"context"
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
)

// Token is a personal access token's metadata. The secret is never kept:
// Digest is the SHA-256 of the whole token.
type Token struct {
	ID          string
	UserID      string
	Name        string
	Description string
	Scopes      []string
	Digest      []byte
	Status      Status
	CreatedAt   time.Time
	ExpiresAt   *time.Time // nil: never expires
	// Lifetime is the span from creation to expiry its owner chose, signed
	// in: at creation (kept by a rotation) or at an extension with a new
	// expiry. A keep link never extends a token further than this from the
	// day it is used. 0: never expires, or a token older than the field
	// (see Term).
	Lifetime    time.Duration
	LastUsedAt  *time.Time
	LastUsedIP  string // source IP and user agent of the last recorded use
	LastUsedUA  string
	RevokedAt   *time.Time
	ReplacedBy  string    // id of the token a rotation replaced this one with
	DeleteAfter time.Time // when DynamoDB TTL may remove the item
	ExtendedAt  *time.Time
	OwnerEmail  string            // where lifecycle mails go; copied from the owner at creation
	Notices     map[string]string // lifecycle mails by key: "sending:<time>", "sent:<time>", "failed:<time>", "skipped"
	DueAt       *time.Time        // when the lifecycle job next acts on the token; nil: never
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
// expiry is expired.
func (t Token) StatusAt(now time.Time) Status {
	if t.Status == StatusActive && t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
		return StatusExpired
	}
	return t.Status
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
	Email  string
	// EmailUnverified says the identity provider marked Email as not
	// verified (its email_verified claim is false): no token mail goes
	// there. Without such a claim an address counts as verified, since
	// many providers send none.
	EmailUnverified bool
	Permissions     []string // concrete scopes, sorted
	SourceIP        string
	UserAgent       string
	Admin           bool // holds the administrator role (a group or claim of the session)
}

// Role is the audit trail's kind of actor.
type Role string

const (
	RoleUser  Role = "user"  // an owner acting on their own tokens
	RoleAdmin Role = "admin" // an administrator
	RoleJob   Role = "job"   // the scheduled lifecycle job
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
	// ActionUserUpdated: an administrator disabled or enabled a user or
	// changed the limit of their permissions. Its TokenID is empty.
	ActionUserUpdated = "user.updated"
	// ActionUserEmailChanged: a sign-in brought a new verified address; mail
	// about the user's tokens goes there from now on, and the old address
	// is told. Its TokenID is empty; details "from" and "to".
	ActionUserEmailChanged = "user.email_changed"
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
}

// PageRequest asks a Store for one page of a list.
type PageRequest struct {
	// Cursor is the Next of an earlier page of the same list; empty for the
	// first page. It is opaque to the caller.
	Cursor string
	Limit  int
	// List names the list a cursor belongs to: the route, the caller and
	// the filter as the caller gave it. A Store seals the cursors it issues
	// to it and refuses any other with CodeInvalidCursor, so that a cursor
	// cannot be forged, edited, or replayed by another caller, on another
	// route or with another filter.
	List string
}

// Store persists tokens, users and audit events. Every change is written
// together with its audit events, atomically.
type Store interface {
	// SyncUser records what the caller's sign-in says of them: their
	// permissions and, unless u.Email is empty (not verified, or none),
	// their address; empty keeps the stored address (none for a user never
	// seen). It returns the stored user, whose status an administrator may
	// have changed. A change of a known address is written with what moved
	// composes (the audit event, the notice to the old address) in the same
	// transaction; the notices written are returned for the caller to send.
	SyncUser(ctx context.Context, u User, moved EmailChange) (User, []Notice, error)
	// CreateToken stores a new token, counting it against its owner's cap
	// of maxActive active tokens, with an optional owner's notice. Fails
	// with CodeTokenLimit or CodeUserDisabled.
	CreateToken(ctx context.Context, t Token, maxActive int, ev Event, n *Notice) error
	// GetToken reads a token with a strongly consistent read.
	GetToken(ctx context.Context, id string) (Token, error)
	// ListTokens lists a user's tokens, newest first.
	ListTokens(ctx context.Context, userID string, p PageRequest) (Page[Token], error)
	// UpdateToken sets name and description of the user's token under the
	// one rule of every owner's change (Service.mayChange): only while the
	// token is active and unexpired and carries its owner's state of
	// revision ownerRev, active (a token older than that copy: while the
	// owner's record is). Otherwise nothing is written and the error says
	// why: CodeTokenLocked, CodeTokenNotActive, CodeUserDisabled,
	// CodeNotFound, or ErrOwnerChanged (read again and retry).
	UpdateToken(ctx context.Context, t Token, ownerRev int, ev Event) error
	// RevokeTokens revokes tokens that are still active or locked, in one
	// transaction with one audit event each (events[i] for tokens[i]) and
	// the notices; each token's DeleteAfter is its new TTL and RevokedAt is
	// set. If any token was revoked, expired or deleted meanwhile, nothing
	// is written and changed lists those ids. A transaction holds at most
	// MaxTransactItems items: 2 per token, 1 per owner and 1 per notice.
	RevokeTokens(ctx context.Context, tokens []Token, events []Event, notices []Notice) (changed []string, err error)
	// RotateToken revokes old and stores its replacement, only if old is
	// still active: of concurrent rotations exactly one succeeds.
	RotateToken(ctx context.Context, old, replacement Token, events []Event) error
	// ListEvents lists a token's audit events, oldest first.
	ListEvents(ctx context.Context, tokenID string, p PageRequest) (Page[Event], error)
	// ExtendToken writes a token's activity, expiry, lifetime and schedule
	// under the same rule as UpdateToken; with a link, it consumes the link
	// in the same transaction and fails with CodeConflict if the link was
	// used meanwhile.
	ExtendToken(ctx context.Context, t Token, ownerRev int, ev Event, link *KeepLink) error
	// PutKeepLink stores a keep link.
	PutKeepLink(ctx context.Context, link KeepLink) error
	// GetKeepLink reads a keep link by the digest of its code.
	GetKeepLink(ctx context.Context, digest []byte) (KeepLink, error)

	// SetTokenStatus moves a token from status from to t.Status (locking,
	// unlocking) with its audit event and an optional owner's notice;
	// CodeTokenNotActive if its status is not from.
	SetTokenStatus(ctx context.Context, t Token, from Status, ev Event, n *Notice) error
	// ListAllTokens lists every user's tokens matching f (an administrator's view).
	ListAllTokens(ctx context.Context, f TokenFilter, p PageRequest) (Page[Token], error)
	// OwnerRevocable reads one owner's active and locked tokens from
	// strongly consistent sources only: the list of live tokens on the
	// owner's record, written in the transaction that creates a token, and
	// each token's item (tokens older than that list are found by the
	// owner index, which they reached long ago). A token created a moment
	// before is among them. An owner holds at most MaxActiveTokens.
	OwnerRevocable(ctx context.Context, ownerID string) ([]Token, error)
	// CountRevocable counts everyone's active and locked tokens, by a
	// strongly consistent read of the table.
	CountRevocable(ctx context.Context) (int, error)
	// RevocablePage lists everyone's active and locked tokens, by a
	// strongly consistent read of the table.
	RevocablePage(ctx context.Context, p PageRequest) (Page[Token], error)
	// GetUser reads a user; ErrUserNotFound if there is none.
	GetUser(ctx context.Context, id string) (User, error)
	// UpdateUser sets a user's status and permission limit (creating the
	// record of a user never seen yet) with its audit event.
	UpdateUser(ctx context.Context, u User, ev Event) (User, error)
	// ListAudit lists audit events matching f, newest first.
	ListAudit(ctx context.Context, f AuditFilter, p PageRequest) (Page[Event], error)
	// MarkUnreachable records that mail to address, the address of the
	// user whose record ownerTag keys, was refused for good or bounced.
	MarkUnreachable(ctx context.Context, ownerTag, address, cause string, at time.Time) error
}

// EmailChange composes what a change of a user's address, brought by a
// sign-in, is written with: its audit event and the notice to the old
// address. stored is the user as stored, with the old address.
type EmailChange func(stored User, to string) ([]Event, []Notice, error)

// MaxTransactItems is DynamoDB's limit of items in one transaction.
const MaxTransactItems = 100

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
// cursors (CURSOR_KEY): HMAC-SHA256 wants at least its output's size.
const MinCursorKeyLen = 32
