package pat

import (
	"context"
	"time"
)

// The stores below are what the Service asks of storage, one per entity.
// Each change is written together with its audit events (and the notices
// that announce it), atomically: a reader never sees a change without its
// record, nor a record of a change that was not made. How a store meets
// that within its engine's limits (DynamoDB's transactions of at most 100
// items) is the store's business: the domain never batches.

// Stores are the stores a Service works on.
type Stores struct {
	Tokens    TokenStore
	Revocable RevocableTokens
	Users     UserStore
	Audit     AuditStore
	KeepLinks KeepLinkStore
	// LeakReports remembers scanners' reports (leaked.go).
	LeakReports LeakReportStore
	Directory   Directory
}

// TokenStore persists tokens, each change with its audit event.
type TokenStore interface {
	// CreateToken stores a new token, counting it against its owner's cap
	// of maxActive active tokens, with an optional owner's notice. Fails
	// with CodeTokenLimit or CodeUserDisabled. maxActive is at most what
	// the store can hold for one owner (see UserStore).
	CreateToken(ctx context.Context, t Token, maxActive int, ev Event, n *Notice) error
	// GetToken reads a token with a strongly consistent read.
	GetToken(ctx context.Context, id string) (Token, error)
	// ListTokens lists a user's tokens matching f, newest first.
	ListTokens(ctx context.Context, userID string, f OwnTokenFilter, p PageRequest) (Page[Token], error)
	// ListAllTokens lists every user's tokens matching f (an administrator's
	// view), newest first; without an owner, the first page carries the
	// list's Total.
	ListAllTokens(ctx context.Context, f TokenFilter, p PageRequest) (Page[Token], error)
	// UpdateToken sets name and description of the user's token under the
	// one rule of every owner's change (Service.mayChange): only while the
	// token is active and unexpired and carries its owner's state of
	// revision ownerRev, active (a token older than that copy: while the
	// owner's record is). Otherwise nothing is written and the error says
	// why: CodeTokenLocked, CodeTokenNotActive, CodeUserDisabled,
	// CodeNotFound, or ErrOwnerChanged (read again and retry).
	UpdateToken(ctx context.Context, t Token, ownerRev int, ev Event) error
	// ExtendToken writes a token's activity, expiry, lifetime and schedule
	// under the same rule as UpdateToken; with a link, it consumes the link
	// in the same transaction and fails with CodeConflict if the link was
	// used meanwhile.
	ExtendToken(ctx context.Context, t Token, ownerRev int, ev Event, link *KeepLink) error
	// SetTokenStatus moves a token from status from to t.Status (locking,
	// unlocking) with its audit event and an optional owner's notice;
	// CodeTokenNotActive if its status is not from.
	SetTokenStatus(ctx context.Context, t Token, from Status, ev Event, n *Notice) error
	// RotateToken ends old as the rotation set it (revoked, or replaced
	// until the end of its overlap, still counted against maxActive) and
	// stores its replacement, only if old is still active and not replaced:
	// of concurrent rotations exactly one succeeds. An optional owner's
	// notice is written with them.
	RotateToken(ctx context.Context, old, replacement Token, maxActive int, events []Event, n *Notice) error
	// RevokeTokens revokes any number of tokens (see Revocation for what
	// is atomic, what is idempotent and what a failure leaves).
	RevokeTokens(ctx context.Context, r Revocation) (Revoked, error)
	// RevokeLeaked revokes one active or locked token as leaked, with its
	// audit event and notices (to its owner, to the administrators), in
	// one transaction; CodeTokenNotActive if it is neither any more.
	RevokeLeaked(ctx context.Context, t Token, ev Event, notices []Notice) error
}

// Revocation asks a TokenStore to revoke tokens, of one owner or many.
//
// Atomic: each token's revocation is written together with its audit
// event and its owner's count of active tokens, or not at all; an owner's
// notice is written together with the tokens it tells of. A store may
// write the tokens in several transactions (it groups them by owner, and
// one owner's tokens stay together as far as its transactions allow), so
// the call as a whole is not atomic: after a failure, the tokens in
// Revoked.IDs are revoked, each with its one event, and every other token
// is as it was.
//
// Idempotent: a token that is no longer active or locked when its turn
// comes (revoked, expired or deleted meanwhile) is left as it is, gets no
// event and is named in Revoked.Skipped. Repeating a call after a failure
// or a stop therefore revokes exactly the rest, and every token ends with
// exactly one revocation event.
//
// A store retries a conflict with a concurrent transaction a few times,
// then fails with CodeConflict.
type Revocation struct {
	// Tokens as they are to be stored: revoked, with RevokedAt and
	// DeleteAfter (the new TTL) set.
	Tokens []Token
	// Events[i] records the revocation of Tokens[i].
	Events []Event
	// Notify composes the notice (nil: none) that tells an owner of their
	// tokens revoked together; nil: nobody is told.
	Notify func(owner []Token) (*Notice, error)
	// StopBy is when to stop, at the latest, before starting another
	// transaction, so that a call is never cut off in the middle of one
	// (zero: never). Revoked.Stopped then says the rest is untouched.
	StopBy time.Time
	// Link, when set, is consumed in the transaction that revokes its
	// token (a "this was not me" link): once, before it expires. A link
	// used meanwhile fails the call with CodeNotFound and writes nothing.
	Link *KeepLink
}

// Revoked is what a RevokeTokens call wrote: also on a failure, what it
// wrote before the failure.
type Revoked struct {
	IDs     []string // revoked by this call, each with its event
	Skipped []string // no longer active or locked: left as they were
	Notices []Notice // written with the revocations, for the caller to send
	Stopped bool     // StopBy came first: the tokens in neither list are untouched
}

// RevocableTokens finds the tokens a revoke-all revokes: the active and
// locked ones.
type RevocableTokens interface {
	// OwnerRevocable reads one owner's active and locked tokens from
	// strongly consistent sources only: a token created a moment before is
	// among them.
	OwnerRevocable(ctx context.Context, ownerID string) ([]Token, error)
	// CountRevocable counts everyone's active and locked tokens, by a
	// strongly consistent read.
	CountRevocable(ctx context.Context) (int, error)
	// RevocablePage lists everyone's active and locked tokens, by a
	// strongly consistent read.
	RevocablePage(ctx context.Context, p PageRequest) (Page[Token], error)
}

// UserStore persists users. A change of a user's status or permissions
// (SyncUser, UpdateUser) is one atomic write of the user, the copy of
// their new state (User.State) on every live token of theirs, its audit
// event and its notices: when it returns, no token carries the old state,
// and when it fails, nothing changed. A store may bound the live tokens one
// owner holds for that (the DynamoDB store: dynamo.MaxTokensPerOwner); the
// wiring keeps the cap (Config.MaxActiveTokens) within it. A change that
// keeps losing to concurrent ones fails with ErrOwnerChanged: read again
// and retry.
type UserStore interface {
	// SyncUser records what the caller's sign-in says of them: their
	// permissions, their locale unless u.Locale is empty and, unless
	// u.Email is empty (not verified, or none), their address; empty keeps the stored address (none for a user never
	// seen). It returns the stored user, whose status an administrator may
	// have changed. A change of a known address is written with what moved
	// composes (the audit event, the notice to the old address) in the same
	// transaction; the notices written are returned for the caller to send.
	SyncUser(ctx context.Context, u User, moved EmailChange) (User, []Notice, error)
	// SetLanguage records the language a user chose for their mail ("":
	// none chosen) on their record, and returns the user as stored.
	SetLanguage(ctx context.Context, id, lang string) (User, error)
	// GetUser reads a user; ErrUserNotFound if there is none.
	GetUser(ctx context.Context, id string) (User, error)
	// UpdateUser sets a user's status and permission limit (creating the
	// record of a user never seen yet) with its audit event.
	UpdateUser(ctx context.Context, u User, ev Event) (User, error)
	// MarkUnreachable records on the owner's record that mail to their
	// address was refused for good or bounced. It counts only while the
	// address is the owner's (a new address clears it). Idempotent:
	// marking an address marked already, or an owner who does not exist,
	// changes nothing.
	MarkUnreachable(ctx context.Context, u Undeliverable) error
}

// Undeliverable says that mail to an owner's address was refused for good
// or bounced.
type Undeliverable struct {
	// OwnerTag names the owner as their mails and token ids do
	// (token.OwnerTag of their id): a mail event names no more.
	OwnerTag string
	Address  string
	Cause    string // what the mail service said
	At       time.Time
}

// EmailChange composes what a change of a user's address, brought by a
// sign-in, is written with: its audit event and the notice to the old
// address. stored is the user as stored, with the old address.
type EmailChange func(stored User, to string) ([]Event, []Notice, error)

// AuditStore reads the audit trail; its records are written with the
// changes they record, by the other stores.
type AuditStore interface {
	// ListEvents lists a token's audit events, oldest first.
	ListEvents(ctx context.Context, tokenID string, p PageRequest) (Page[Event], error)
	// ListAudit lists audit events matching f, newest first.
	ListAudit(ctx context.Context, f AuditFilter, p PageRequest) (Page[Event], error)
}

// KeepLinkStore persists keep links; a link is consumed with the
// extension it makes (TokenStore.ExtendToken).
type KeepLinkStore interface {
	// PutKeepLink stores a keep link.
	PutKeepLink(ctx context.Context, link KeepLink) error
	// GetKeepLink reads a keep link by the digest of its code.
	GetKeepLink(ctx context.Context, digest []byte) (KeepLink, error)
}
