package pat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/patservice/pat/internal/scope"
	"github.com/patservice/pat/internal/token"
)

// Limits on user input.
const (
	MaxNameLen        = 100
	MaxDescriptionLen = 500
	MaxScopes         = 64
	DefaultPageSize   = 20
	MaxPageSize       = 100
)

// Config holds the rules an operator can tune.
type Config struct {
	DefaultLifetime   time.Duration // expiry when the caller names none
	MaxLifetime       time.Duration // the furthest expiry a caller may choose
	AllowNeverExpires bool
	MaxActiveTokens   int           // per user
	RevokedRetention  time.Duration // how long a revoked token stays visible
	AuditRetention    time.Duration
	Lifecycle         Lifecycle
	// LastUseInterval is the least time between two recorded uses of a
	// token (the request authorizer's LAST_USED_INTERVAL_MINUTES): how
	// fresh "last used" is, and how often the self-rotation records one.
	LastUseInterval time.Duration
}

// Service applies the token rules on top of the stores.
type Service struct {
	tokens    TokenStore
	revocable RevocableTokens
	users     UserStore
	audit     AuditStore
	keepLinks KeepLinkStore
	directory Directory
	format    *token.Format
	catalog   *scope.Catalog
	cfg       Config
	log       *slog.Logger
	// notifier tells owners about administrators' actions; nil: nobody is told.
	notifier Notifier
	// leakNotifier mails owners and administrators of leaked tokens; nil: nobody is told.
	leakNotifier LeakNotifier
	leakReports  LeakReportStore
	// Now is the clock; tests set it.
	Now func() time.Time
}

// NewService returns a Service on stores.
func NewService(stores Stores, format *token.Format, catalog *scope.Catalog, cfg Config, log *slog.Logger) *Service {
	return &Service{tokens: stores.Tokens, revocable: stores.Revocable, users: stores.Users, audit: stores.Audit, keepLinks: stores.KeepLinks,
		leakReports: stores.LeakReports, directory: stores.Directory, format: format, catalog: catalog, cfg: cfg, log: log, Now: time.Now}
}

// Format returns the token format, for callers that publish its pattern.
func (s *Service) Format() *token.Format { return s.format }

// Lifecycle returns the inactivity and expiry rule.
func (s *Service) Lifecycle() Lifecycle { return s.cfg.Lifecycle }

// CreateInput is a request for a new token. At most one of ExpiresAt,
// ExpiresInDays and NeverExpires may be set; none means the default lifetime.
type CreateInput struct {
	Name          string
	Description   string
	Scopes        []string
	ExpiresAt     *time.Time
	ExpiresInDays *int
	NeverExpires  bool
	// AllowedSources limits where the token may be used from (CleanSources);
	// none: anywhere.
	AllowedSources []string
}

// Created is a new token with its plaintext, which exists only in this value.
type Created struct {
	Token  Token
	Secret string
}

// CreateToken issues a token for the caller.
func (s *Service) CreateToken(ctx context.Context, id Identity, in CreateInput) (Created, error) {
	t, err := s.draft(in)
	if err != nil {
		return Created{}, err
	}
	if t.Scopes, err = s.checkScopes(in.Scopes, id.Permissions, "your permissions"); err != nil {
		return Created{}, err
	}
	t.UserID = id.UserID
	return whileOwnerChanges(func() (Created, error) {
		user, err := s.activeUser(ctx, id)
		if err != nil {
			return Created{}, err
		}
		if err := within(t.Scopes, user.Effective(), "an administrator limited your permissions; you lack: "); err != nil {
			return Created{}, err
		}
		t.OwnerEmail, t.Owner = user.Email, user.State()
		return s.create(ctx, RoleUser, id, t)
	})
}

// whileOwnerChanges runs a creation or change again when the owner's
// status or permissions changed while it ran (ErrOwnerChanged): it then
// acts on the state the change left, or is refused by it.
func whileOwnerChanges[T any](do func() (T, error)) (T, error) {
	for attempt := 1; ; attempt++ {
		c, err := do()
		if !errors.Is(err, ErrOwnerChanged) || attempt == 3 {
			return c, err
		}
		// A change of the owner holds its claim for one transaction: let it
		// finish rather than lose to it again at once.
		time.Sleep(time.Duration(20+rand.IntN(30)) * time.Millisecond)
	}
}

// draft checks the name, description and expiry of a request for a new
// token: the token without owner, scopes or secret yet.
func (s *Service) draft(in CreateInput) (Token, error) {
	now := s.now()
	name, err := cleanName(in.Name)
	if err != nil {
		return Token{}, err
	}
	desc, err := cleanDescription(in.Description)
	if err != nil {
		return Token{}, err
	}
	expiresAt, err := s.expiry(now, in)
	if err != nil {
		return Token{}, err
	}
	sources, err := CleanSources(in.AllowedSources)
	if err != nil {
		return Token{}, err
	}
	return Token{Name: name, Description: desc, AllowedSources: sources, CreatedAt: now, ExpiresAt: expiresAt, Lifetime: lifetime(now, expiresAt)}, nil
}

// lifetime is the span from now to an expiry the owner chose, to the
// second; 0 for none.
func lifetime(now time.Time, expiresAt *time.Time) time.Duration {
	if expiresAt == nil {
		return 0
	}
	return expiresAt.Sub(now).Round(time.Second)
}

// create issues t's secret and stores it with the audit event of actor's
// act in role, and with the owner's creation notice, which is sent at once.
func (s *Service) create(ctx context.Context, role Role, actor Identity, t Token) (Created, error) {
	t.IssuedBy = role
	created, err := s.issue(t)
	if err != nil {
		return Created{}, err
	}
	details := map[string]string{"name": t.Name, "scopes": strings.Join(t.Scopes, " ")}
	if len(t.AllowedSources) > 0 {
		details["allowedSources"] = strings.Join(t.AllowedSources, " ")
	}
	ev, err := s.eventAs(role, actor, created.Token, ActionCreated, details)
	if err != nil {
		return Created{}, err
	}
	n, err := s.creationNotice(ctx, Creation{Token: created.Token, Actor: actor, Role: role, At: ev.Time})
	if err != nil {
		return Created{}, err
	}
	if err := s.tokens.CreateToken(ctx, created.Token, s.cfg.MaxActiveTokens, ev, n); err != nil {
		return Created{}, fmt.Errorf("create token for %s: %w", t.UserID, err)
	}
	s.log.InfoContext(ctx, "token created", "tokenId", created.Token.ID, "userId", t.UserID, "actorId", actor.UserID, "role", role, "scopes", t.Scopes)
	s.deliverOne(ctx, n)
	return created, nil
}

// creationNotice composes the notice of c to the new token's owner, with
// its "this was not me" link, which is stored first (a link whose token
// was never written leads nowhere); none without a notifier or an address.
// The link works for NotMeLinkLife, or until the token expires if sooner.
func (s *Service) creationNotice(ctx context.Context, c Creation) (*Notice, error) {
	t := c.Token
	if s.notifier == nil || t.OwnerEmail == "" {
		return nil, nil
	}
	if c.Actor.KeepURL != "" {
		c.LinkUntil = c.At.Add(NotMeLinkLife)
		if t.ExpiresAt != nil && t.ExpiresAt.Before(c.LinkUntil) {
			c.LinkUntil = *t.ExpiresAt
		}
		code, err := s.IssueKeepLink(ctx, t, LinkNotMe, c.LinkUntil)
		if err != nil {
			return nil, err
		}
		c.Link = c.Actor.KeepURL + "?code=" + url.QueryEscape(code)
	}
	msg, err := s.notifier.CreationNotice(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("compose creation notice of %s: %w", t.ID, err)
	}
	noticeID, err := s.format.NewID()
	if err != nil {
		return nil, fmt.Errorf("generate notice id: %w", err)
	}
	return &Notice{ID: noticeID, UserID: t.UserID, Message: msg}, nil
}

// deliverOne sends a stored notice now, if there is one.
func (s *Service) deliverOne(ctx context.Context, n *Notice) {
	if n != nil {
		s.deliver(ctx, []Notice{*n})
	}
}

// ListTokens returns a page of the caller's tokens, newest first. A
// disabled user may list them too: they may still revoke them, and
// cannot without seeing which.
//
// f narrows the list by status and a part of the name: the store reads
// the owner's partition (bounded by the cap of live tokens and the
// retention of revoked ones) and keeps what matches.
func (s *Service) ListTokens(ctx context.Context, id Identity, f OwnTokenFilter, cursor string, limit int) (Page[Token], error) {
	f.Now = time.Time{} // the service's, not the caller's: set below, for each page anew
	f.Query = strings.TrimSpace(f.Query)
	p, err := pageRequest("tokens", id, f, cursor, limit)
	if err != nil {
		return Page[Token]{}, err
	}
	if err := validStatus(f.Status); err != nil {
		return Page[Token]{}, err
	}
	if utf8.RuneCountInString(f.Query) > MaxQueryLen {
		return Page[Token]{}, Errorf(CodeInvalid, "q: at most %d characters", MaxQueryLen)
	}
	f.Now = s.now()
	return s.tokens.ListTokens(ctx, id.UserID, f, p)
}

// GetToken returns one of the caller's tokens. Another user's token is not found.
func (s *Service) GetToken(ctx context.Context, id Identity, tokenID string) (Token, error) {
	if err := s.admit(ctx, id); err != nil {
		return Token{}, err
	}
	return s.own(ctx, id, tokenID)
}

// own reads one of the caller's tokens, whatever the caller's status.
func (s *Service) own(ctx context.Context, id Identity, tokenID string) (Token, error) {
	if !token.ValidID(tokenID) {
		return Token{}, ErrNotFound
	}
	t, err := s.tokens.GetToken(ctx, tokenID)
	if err != nil {
		return Token{}, err
	}
	if t.UserID != id.UserID {
		return Token{}, ErrNotFound
	}
	return t, nil
}

// UpdateInput changes a token's name, description or allowed sources;
// nil leaves it as is, and an empty AllowedSources lifts the limit.
type UpdateInput struct {
	Name           *string
	Description    *string
	AllowedSources *[]string
}

// UpdateToken renames a token or changes its description, under the one rule
// of every owner's change (mayChange).
func (s *Service) UpdateToken(ctx context.Context, id Identity, tokenID string, in UpdateInput) (Token, error) {
	if in.Name == nil && in.Description == nil && in.AllowedSources == nil {
		return Token{}, Errorf(CodeInvalid, "nothing to change: give name, description or allowedSources")
	}
	details := map[string]string{}
	if in.Name != nil {
		name, err := cleanName(*in.Name)
		if err != nil {
			return Token{}, err
		}
		details["name"] = name
	}
	if in.Description != nil {
		desc, err := cleanDescription(*in.Description)
		if err != nil {
			return Token{}, err
		}
		details["description"] = desc
	}
	var sources []string
	if in.AllowedSources != nil {
		var err error
		if sources, err = CleanSources(*in.AllowedSources); err != nil {
			return Token{}, err
		}
		details["allowedSources"] = strings.Join(sources, " ")
	}
	return whileOwnerChanges(func() (Token, error) {
		t, owner, err := s.ownChange(ctx, id, tokenID, "changed")
		if err != nil {
			return Token{}, err
		}
		if name, ok := details["name"]; ok {
			t.Name = name
		}
		if desc, ok := details["description"]; ok {
			t.Description = desc
		}
		if in.AllowedSources != nil {
			t.AllowedSources = sources
		}
		ev, err := s.event(id, t, ActionUpdated, details)
		if err != nil {
			return Token{}, err
		}
		if err := s.tokens.UpdateToken(ctx, t, owner.Rev, ev); err != nil {
			return Token{}, fmt.Errorf("update token %s: %w", tokenID, err)
		}
		s.log.InfoContext(ctx, "token updated", "tokenId", t.ID, "userId", id.UserID)
		return t, nil
	})
}

// ownChange reads one of the caller's tokens for a change by its owner
// and applies the one rule (mayChange) to it, after recording the caller's
// claims (SyncUser, as creating a token does), so that rights the identity
// provider withdrew are withdrawn from every live token of the caller
// first. The token is read before (another user's is not found, and
// nothing is recorded for its caller); when the claims changed the owner,
// the token read carries the previous revision and mayChange asks for a
// fresh read (ErrOwnerChanged: the callers run again).
func (s *Service) ownChange(ctx context.Context, id Identity, tokenID, verb string) (Token, User, error) {
	t, err := s.own(ctx, id, tokenID)
	if err != nil {
		return Token{}, User{}, err
	}
	owner, err := s.activeUser(ctx, id)
	if err != nil {
		return Token{}, User{}, err
	}
	return t, owner, s.mayChange(t, owner, verb)
}

// mayChange is the one rule for every change of a token on its owner's
// behalf (rename, extend, rotate, and the keep link of a reminder): the
// owner is active, the token is active (not locked, revoked or expired),
// and its scopes are within the owner's current rights. owner is the
// owner's record as just synced from the caller's claims or, for a keep
// link, as read. Revoking is the exception: it only takes access away.
// The store writes the change only while the token is still active and
// carries this revision of its owner (TokenStore.UpdateToken), so that a
// concurrent lock, revocation or disable always wins.
func (s *Service) mayChange(t Token, owner User, verb string) error {
	now := s.now()
	switch {
	case owner.Status != UserActive:
		return errDisabled
	case t.Status == StatusLocked:
		return errLocked(t.ID, verb)
	case t.StatusAt(now) != StatusActive:
		return Errorf(CodeTokenNotActive, "token %s is %s and cannot be %s", t.ID, t.StatusAt(now), verb)
	case t.Owner.Rev != 0 && t.Owner.Rev != owner.Rev:
		return ErrOwnerChanged // read between a change of the owner and its copy on the token
	}
	return within(t.Scopes, owner.Effective(), "you no longer hold these permissions of the token: ")
}

// RevokeToken revokes one of the caller's tokens at once. Revoking a revoked
// token, or one the lifecycle job marked expired, changes nothing and succeeds.
//
// A disabled user may still revoke: it only reduces access.
func (s *Service) RevokeToken(ctx context.Context, id Identity, tokenID string) error {
	t, err := s.own(ctx, id, tokenID)
	if err != nil {
		return err
	}
	if t.Status == StatusRevoked || t.Status == StatusExpired {
		return nil // unusable already; it vanishes with its TTL
	}
	if _, err := s.revoke(ctx, id, RoleUser, []Token{t}, "", time.Time{}); err != nil {
		return fmt.Errorf("revoke token %s: %w", tokenID, err)
	}
	return nil
}

// ExtendInput keeps a token: it always counts as activity, restarting the
// inactivity period; ExpiresInDays also moves its expiry to that many days
// from now.
type ExtendInput struct {
	ExpiresInDays *int
}

// ExtendToken keeps one of the caller's tokens from deletion for inactivity and
// optionally postpones its expiry, under the one rule of every owner's
// change (mayChange). A new expiry is a new lifetime the owner chose.
func (s *Service) ExtendToken(ctx context.Context, id Identity, tokenID string, in ExtendInput) (Token, error) {
	return whileOwnerChanges(func() (Token, error) {
		t, owner, err := s.ownChange(ctx, id, tokenID, "extended")
		if err != nil {
			return Token{}, err
		}
		var expiresAt *time.Time
		if in.ExpiresInDays != nil {
			now := s.now()
			if expiresAt, err = s.expiry(now, CreateInput{ExpiresInDays: in.ExpiresInDays}); err != nil {
				return Token{}, err
			}
			t.Lifetime = lifetime(now, expiresAt)
		}
		return s.extend(ctx, id, t, owner, expiresAt, nil)
	})
}

// extend records the activity (and new expiry) of a token that mayChange
// allowed, consuming link in the same transaction when the owner came by
// email.
func (s *Service) extend(ctx context.Context, id Identity, t Token, owner User, expiresAt *time.Time, link *KeepLink) (Token, error) {
	now := s.now()
	t.ExtendedAt = &now
	details := map[string]string{}
	if expiresAt != nil {
		t.ExpiresAt = expiresAt
		details["expiresAt"] = expiresAt.Format(time.RFC3339)
	}
	if link != nil {
		details["via"] = "email link"
	}
	s.schedule(&t)
	ev, err := s.event(id, t, ActionExtended, details)
	if err != nil {
		return Token{}, err
	}
	if err := s.tokens.ExtendToken(ctx, t, owner.Rev, ev, link); err != nil {
		return Token{}, fmt.Errorf("extend token %s: %w", t.ID, err)
	}
	s.log.InfoContext(ctx, "token extended", "tokenId", t.ID, "userId", t.UserID, "byLink", link != nil)
	return t, nil
}

// ListTokenEvents returns a page of the audit trail of one of the caller's tokens.
func (s *Service) ListTokenEvents(ctx context.Context, id Identity, tokenID, cursor string, limit int) (Page[Event], error) {
	p, err := pageRequest("token-events", id, tokenID, cursor, limit)
	if err != nil {
		return Page[Event]{}, err
	}
	if _, err := s.GetToken(ctx, id, tokenID); err != nil {
		return Page[Event]{}, err
	}
	return s.audit.ListEvents(ctx, tokenID, p)
}

// admit refuses a caller an administrator disabled: the one check in front
// of every operation but revoking, which only reduces access. A caller
// never seen yet has no record and is active.
func (s *Service) admit(ctx context.Context, id Identity) error {
	u, err := s.users.GetUser(ctx, id.UserID)
	switch {
	case errors.Is(err, ErrUserNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("read user %s: %w", id.UserID, err)
	case u.Status != UserActive:
		return errDisabled
	}
	return nil
}

var errDisabled = Errorf(CodeUserDisabled, "your account is disabled: ask an administrator")

// errLocked refuses to change a locked token: its owner may only revoke
// it, and only an administrator's unlock makes it usable again.
func errLocked(tokenID, verb string) error {
	return Errorf(CodeTokenLocked, "token %s is locked by an administrator and cannot be %s; you may still revoke it", tokenID, verb)
}

// activeUser records the caller's claims (SyncUser) and refuses a
// disabled user. Mail about the caller's tokens goes only to an address
// the identity provider verified: an unverified one leaves the stored
// address as it is (none for a user never seen). A verified new address
// replaces a known one with an audit record, and the old address is told.
func (s *Service) activeUser(ctx context.Context, id Identity) (User, error) {
	u := User{ID: id.UserID, Name: displayName(id.Name), Permissions: id.Permissions, Status: UserActive, Locale: id.Locale}
	if !id.EmailUnverified {
		u.Email = id.Email
	}
	u, notices, err := s.users.SyncUser(ctx, u, func(stored User, to string) ([]Event, []Notice, error) {
		return s.emailChange(id, stored, to)
	})
	if err != nil {
		return User{}, fmt.Errorf("sync user %s: %w", id.UserID, err)
	}
	s.deliver(ctx, notices)
	if u.Status != UserActive {
		return User{}, errDisabled
	}
	return u, nil
}

// emailChange is the audit event of a sign-in that changed the address of
// stored to to, and the notice to the old address: none when no mail can
// be composed or the old address is known not to take mail.
func (s *Service) emailChange(id Identity, stored User, to string) ([]Event, []Notice, error) {
	ev, err := s.newEvent(Event{Time: s.now(), Action: ActionUserEmailChanged, ActorID: id.UserID, ActorRole: RoleUser, SourceIP: id.SourceIP,
		Details: map[string]string{"from": stored.Email, "to": to}}, Token{UserID: stored.ID})
	if err != nil {
		return nil, nil, err
	}
	if s.notifier == nil || stored.Unreachable != nil {
		return []Event{ev}, nil, nil
	}
	msg, err := s.notifier.EmailChangeNotice(id, stored, to, ev.Time)
	if err != nil {
		return nil, nil, err
	}
	noticeID, err := s.format.NewID()
	if err != nil {
		return nil, nil, fmt.Errorf("generate notice id: %w", err)
	}
	return []Event{ev}, []Notice{{ID: noticeID, UserID: stored.ID, Message: msg}}, nil
}

// issue generates the secret for t and fills in its id, digest and status.
func (s *Service) issue(t Token) (Created, error) {
	secret, parsed, err := s.format.Generate(token.OwnerTag(t.UserID))
	if err != nil {
		return Created{}, fmt.Errorf("generate token: %w", err)
	}
	digest := parsed.Digest()
	t.ID, t.Digest, t.Status, t.Notices = parsed.ID, digest[:], StatusActive, map[string]string{}
	s.schedule(&t)
	return Created{Token: t, Secret: secret}, nil
}

// schedule sets when the item may be removed and when the lifecycle job
// next acts on the token.
func (s *Service) schedule(t *Token) {
	if t.ExpiresAt != nil {
		// Expired tokens stay visible as expired as long as revoked ones do.
		t.DeleteAfter = t.ExpiresAt.Add(s.cfg.RevokedRetention)
	}
	s.cfg.Lifecycle.Schedule(t, s.now())
}

// event is the audit event of an owner's action on t.
func (s *Service) event(id Identity, t Token, action string, details map[string]string) (Event, error) {
	return s.eventAs(RoleUser, id, t, action, details)
}

// eventAs is the audit event of id's action on t in a role.
func (s *Service) eventAs(role Role, id Identity, t Token, action string, details map[string]string) (Event, error) {
	return s.newEvent(Event{Time: s.now(), Action: action, ActorID: id.UserID, ActorRole: role, SourceIP: id.SourceIP, Details: details}, t)
}

// ActorJob is the audit actor of the lifecycle job's changes.
const ActorJob = "lifecycle-job"

// JobEvent is the audit event of the lifecycle job's action on t at a time
// (the job's run time, not the clock's).
func (s *Service) JobEvent(t Token, action string, details map[string]string, at time.Time) (Event, error) {
	return s.newEvent(Event{Time: at, Action: action, ActorID: ActorJob, ActorRole: RoleJob, Details: details}, t)
}

// newEvent completes ev, an action on t: every audit event is made here.
func (s *Service) newEvent(ev Event, t Token) (Event, error) {
	id, err := s.format.NewID()
	if err != nil {
		return Event{}, fmt.Errorf("generate event id: %w", err)
	}
	ev.ID, ev.TokenID, ev.OwnerID, ev.Outcome = id, t.ID, t.UserID, "success"
	ev.ExpiresAt = ev.Time.Add(s.cfg.AuditRetention)
	return ev, nil
}

// checkScopes normalizes requested scopes and refuses any beyond
// permissions, which whose names in the message.
func (s *Service) checkScopes(requested, permissions []string, whose string) ([]string, error) {
	if len(permissions) == 0 {
		// Not a scope problem the caller can fix by asking for less: the
		// identity provider grants them nothing (no permissions claim, no
		// mapped group), which only an administrator can change.
		return nil, Errorf(CodeNoPermissions, "you hold no permissions, so you cannot create tokens: "+
			"an administrator must grant you access, usually by adding you to a group that has permissions")
	}
	if len(requested) == 0 {
		return nil, Errorf(CodeInvalid, "scopes: give at least one scope, such as %s", s.catalog.All()[0])
	}
	if len(requested) > MaxScopes {
		return nil, Errorf(CodeInvalid, "scopes: at most %d", MaxScopes)
	}
	scopes, unknown := s.catalog.Normalize(requested)
	if len(unknown) > 0 {
		return nil, &Error{Code: CodeUnknownScope, Scopes: unknown,
			Message: "unknown scopes: " + strings.Join(unknown, ", ") + `; scopes are "<resource>:<action>" with action read, create, update or delete`}
	}
	if err := within(scopes, permissions, "a token cannot exceed "+whose+"; missing: "); err != nil {
		return nil, err
	}
	return scopes, nil
}

func (s *Service) expiry(now time.Time, in CreateInput) (*time.Time, error) {
	set := 0
	for _, b := range []bool{in.ExpiresAt != nil, in.ExpiresInDays != nil, in.NeverExpires} {
		if b {
			set++
		}
	}
	if set > 1 {
		return nil, Errorf(CodeInvalid, "give only one of expiresAt, expiresInDays and neverExpires")
	}
	maxDays := int(s.cfg.MaxLifetime / (24 * time.Hour))
	var at time.Time
	switch {
	case in.NeverExpires:
		if !s.cfg.AllowNeverExpires {
			return nil, Errorf(CodeInvalid, "neverExpires: tokens without expiry are not allowed here; the longest lifetime is %d days", maxDays)
		}
		return nil, nil
	case in.ExpiresInDays != nil:
		if *in.ExpiresInDays < 1 || *in.ExpiresInDays > maxDays {
			return nil, Errorf(CodeInvalid, "expiresInDays: want 1 to %d", maxDays)
		}
		at = now.Add(time.Duration(*in.ExpiresInDays) * 24 * time.Hour)
	case in.ExpiresAt != nil:
		at = *in.ExpiresAt
		if !at.After(now) {
			return nil, Errorf(CodeInvalid, "expiresAt: must be in the future")
		}
		if at.After(now.Add(s.cfg.MaxLifetime)) {
			return nil, Errorf(CodeInvalid, "expiresAt: at most %d days from now", maxDays)
		}
	default:
		at = now.Add(s.cfg.DefaultLifetime)
	}
	at = at.UTC().Truncate(time.Second)
	return &at, nil
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// pageRequest checks a caller's page size and names the list its cursors
// are bound to: the route, the caller and the filter as the caller gave it
// (before any default is filled in, so that the next page, asked for at a
// later time, names the same list).
func pageRequest(route string, caller Identity, filter any, cursor string, limit int) (PageRequest, error) {
	switch {
	case limit == 0:
		limit = DefaultPageSize
	case limit < 0 || limit > MaxPageSize:
		return PageRequest{}, Errorf(CodeInvalid, "limit: want 1 to %d", MaxPageSize)
	}
	f, err := json.Marshal(filter)
	if err != nil {
		return PageRequest{}, fmt.Errorf("list %s: %w", route, err)
	}
	list, err := json.Marshal([]string{route, caller.UserID, string(f)})
	if err != nil {
		return PageRequest{}, fmt.Errorf("list %s: %w", route, err)
	}
	return PageRequest{Cursor: cursor, Limit: limit, List: string(list)}, nil
}

// ErrNotFound is the answer for a token that does not exist or is another
// user's. It does not echo the id: a caller may paste a whole token there.
var ErrNotFound = Errorf(CodeNotFound, "token not found")

// within refuses scopes beyond permissions (scope_not_permitted), naming
// the missing ones after why.
func within(scopes, permissions []string, why string) error {
	if missing := scope.Missing(scopes, permissions); len(missing) > 0 {
		return &Error{Code: CodeScopeNotPermitted, Scopes: missing, Message: why + strings.Join(missing, ", ")}
	}
	return nil
}
