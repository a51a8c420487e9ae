// Package pat is the domain of personal access tokens: what a token, a user
// and an audit event are, the rules for creating and changing tokens, and the
// Store interface the adapters implement.
package pat

import (
	"context"
	"time"
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
	Permissions []string // concrete scopes, sorted
	Status      UserStatus
}

// Identity is the authenticated caller of the management API, from the
// claims of its session.
type Identity struct {
	UserID      string
	Email       string
	Permissions []string // concrete scopes, sorted
	SourceIP    string
	UserAgent   string
}

// Actions recorded in the audit trail.
const (
	ActionCreated  = "token.created"
	ActionRenamed  = "token.updated"
	ActionRevoked  = "token.revoked"
	ActionRotated  = "token.rotated"
	ActionExtended = "token.extended"
	ActionExpired  = "token.expired"
	ActionDeleted  = "token.deleted"
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

// Store persists tokens, users and audit events. Every change is written
// together with its audit events, atomically.
type Store interface {
	// SyncUser records the caller's email and permissions and returns the
	// stored user, whose status an administrator may have changed.
	SyncUser(ctx context.Context, u User) (User, error)
	// CreateToken stores a new token, counting it against its owner's cap
	// of maxActive active tokens. Fails with CodeTokenLimit or CodeUserDisabled.
	CreateToken(ctx context.Context, t Token, maxActive int, ev Event) error
	// GetToken reads a token with a strongly consistent read.
	GetToken(ctx context.Context, id string) (Token, error)
	// ListTokens lists a user's tokens, newest first.
	ListTokens(ctx context.Context, userID, cursor string, limit int) (Page[Token], error)
	// UpdateToken sets name and description of the user's token unless it is revoked.
	UpdateToken(ctx context.Context, t Token, ev Event) error
	// RevokeToken revokes the user's token unless it is already revoked.
	RevokeToken(ctx context.Context, t Token, ev Event) error
	// RotateToken revokes old and stores its replacement, only if old is
	// still active: of concurrent rotations exactly one succeeds.
	RotateToken(ctx context.Context, old, replacement Token, events []Event) error
	// ListEvents lists a token's audit events, oldest first.
	ListEvents(ctx context.Context, tokenID, cursor string, limit int) (Page[Event], error)
	// ExtendToken writes a token's activity, expiry and schedule unless it is
	// revoked; with a link, it consumes the link in the same transaction and
	// fails with CodeConflict if the link was used meanwhile.
	ExtendToken(ctx context.Context, t Token, ev Event, link *KeepLink) error
	// PutKeepLink stores a keep link.
	PutKeepLink(ctx context.Context, link KeepLink) error
	// GetKeepLink reads a keep link by the digest of its code.
	GetKeepLink(ctx context.Context, digest []byte) (KeepLink, error)
}
