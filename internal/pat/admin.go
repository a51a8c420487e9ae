package pat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/patservice/pat/internal/token"
)

// MaxReasonLen bounds the reason an administrator gives.
const MaxReasonLen = 500

// TokenFilter selects tokens in the administrators' view; zero fields match all.
type TokenFilter struct {
	OwnerID        string
	Status         Status     // as users see it: an active token past its expiry is expired
	ExpiringBefore *time.Time // tokens that expire before this time
	LastUsedBefore *time.Time // tokens not used since this time, never-used ones included
	// Order is the order of the all-tokens list (without an owner); an
	// owner's tokens are always newest first.
	Order TokenOrder
	Now   time.Time // what "expired" is judged against
}

// TokenOrder is an order of the all-tokens list.
type TokenOrder string

const (
	OrderNewest TokenOrder = "created" // newest first (the default)
	// OrderExpires: the soonest expiry first; tokens that never expire
	// are not in this order.
	OrderExpires TokenOrder = "expires"
	// OrderLastUsed: the most recent use first, then the tokens never
	// used, newest first.
	OrderLastUsed TokenOrder = "lastUsed"
)

// validOrder fills in the default order and refuses an unknown one, or an
// order other than the newest first with an owner (an owner's tokens are
// listed newest first only).
func validOrder(f *TokenFilter) error {
	switch f.Order {
	case "":
		f.Order = OrderNewest
	case OrderNewest, OrderExpires, OrderLastUsed:
	default:
		return Errorf(CodeInvalid, "sort: want created, expires or lastUsed")
	}
	if f.Order != OrderNewest && f.OwnerID != "" {
		return Errorf(CodeInvalid, "sort: an owner's tokens are listed newest first only")
	}
	return nil
}

// validStatus refuses a status filter that is none of the statuses a user sees.
func validStatus(st Status) error {
	switch st {
	case "", StatusActive, StatusLocked, StatusRevoked, StatusExpired:
		return nil
	}
	return Errorf(CodeInvalid, "status: want active, locked, revoked or expired")
}

// OwnTokenFilter selects among a user's own tokens; zero fields match all.
type OwnTokenFilter struct {
	Status Status // as the user sees it: an active token past its expiry is expired
	// Query is part of the name, matched without regard to case.
	Query string
	Now   time.Time // what "expired" is judged against
}

// MaxQueryLen bounds a name search: no name is longer.
const MaxQueryLen = 100

// AuditFilter selects audit events; zero fields match all.
type AuditFilter struct {
	ActorID string
	OwnerID string
	TokenID string
	Action  string
	From    *time.Time // inclusive
	To      *time.Time // exclusive
}

// ErrUserNotFound is the answer for a user the service has never seen.
var ErrUserNotFound = Errorf(CodeNotFound, "user not found")

// ErrOwnerChanged: the owner's status or permissions changed while a token
// was being created with the previous ones; the service tries again.
var ErrOwnerChanged = Errorf(CodeConflict, "the account's status or permissions changed meanwhile: try again")

// Notifier tells owners what an administrator did to their tokens.
type Notifier interface {
	// AdminNotice composes the mail telling the owner of tokens (all one
	// owner's) that admin took action on them, and why, in the owner's
	// language.
	AdminNotice(ctx context.Context, action string, tokens []Token, admin Identity, reason string, at time.Time) (Message, error)
	// EmailChangeNotice composes the mail telling a user's old address
	// (stored.Email) that mail about their tokens goes to the address to
	// from now on; caller is who signed in with it.
	EmailChangeNotice(caller Identity, stored User, to string, at time.Time) (Message, error)
	// CreationNotice composes the mail telling the owner of a new token
	// that it was created on their account, in the owner's language.
	CreationNotice(ctx context.Context, c Creation) (Message, error)
	// Deliver sends notices already stored in the outbox; any it cannot
	// send stay there for the lifecycle job.
	Deliver(ctx context.Context, notices []Notice)
}

// SetNotifier makes the service tell owners about administrators' actions.
// Without one, no notice is written.
func (s *Service) SetNotifier(n Notifier) { s.notifier = n }

// requireAdmin refuses a caller without the administrator role, or one
// whose account is disabled.
func (s *Service) requireAdmin(ctx context.Context, id Identity) error {
	if !id.Admin {
		return Errorf(CodeForbidden, "this needs the administrator role")
	}
	return s.admit(ctx, id)
}

// AdminListTokens lists every user's tokens matching f.
func (s *Service) AdminListTokens(ctx context.Context, id Identity, f TokenFilter, cursor string, limit int) (Page[Token], error) {
	if err := s.requireAdmin(ctx, id); err != nil {
		return Page[Token]{}, err
	}
	f.Now = time.Time{} // the service's, not the caller's: set below, for each page anew
	if err := validOrder(&f); err != nil {
		return Page[Token]{}, err
	}
	p, err := pageRequest("admin-tokens", id, f, cursor, limit)
	if err != nil {
		return Page[Token]{}, err
	}
	if err := validStatus(f.Status); err != nil {
		return Page[Token]{}, err
	}
	if f.OwnerID, err = s.ownerByEmail(ctx, f.OwnerID); err != nil {
		return Page[Token]{}, err
	}
	f.Now = s.now()
	return s.tokens.ListAllTokens(ctx, f, p)
}

// AdminGetToken returns any user's token.
func (s *Service) AdminGetToken(ctx context.Context, id Identity, tokenID string) (Token, error) {
	if err := s.requireAdmin(ctx, id); err != nil {
		return Token{}, err
	}
	if !token.ValidID(tokenID) {
		return Token{}, ErrNotFound
	}
	return s.tokens.GetToken(ctx, tokenID)
}

// AdminLockToken makes an active token unusable until an administrator unlocks it;
// it is not revoked, and its owner cannot unlock it.
func (s *Service) AdminLockToken(ctx context.Context, id Identity, tokenID, reason string) (Token, error) {
	if strings.TrimSpace(reason) == "" {
		return Token{}, Errorf(CodeInvalid, "reason: required; the owner is told why their token was locked")
	}
	return s.setStatus(ctx, id, tokenID, reason, StatusActive, StatusLocked, ActionLocked)
}

// AdminUnlockToken makes a locked token usable again.
func (s *Service) AdminUnlockToken(ctx context.Context, id Identity, tokenID, reason string) (Token, error) {
	return s.setStatus(ctx, id, tokenID, reason, StatusLocked, StatusActive, ActionUnlocked)
}

func (s *Service) setStatus(ctx context.Context, id Identity, tokenID, reason string, from, to Status, action string) (Token, error) {
	reason, err := cleanReason(reason)
	if err != nil {
		return Token{}, err
	}
	t, err := s.AdminGetToken(ctx, id, tokenID)
	if err != nil {
		return Token{}, err
	}
	if t.Status != from {
		return Token{}, Errorf(CodeTokenNotActive, "token %s is %s, not %s", t.ID, t.StatusAt(s.now()), from)
	}
	t.Status = to
	ev, err := s.eventAs(RoleAdmin, id, t, action, withReason(nil, reason))
	if err != nil {
		return Token{}, err
	}
	notices, err := s.notices(ctx, id, []Token{t}, action, reason, ev.Time)
	if err != nil {
		return Token{}, err
	}
	var n *Notice
	if len(notices) == 1 {
		n = &notices[0]
	}
	if err := s.tokens.SetTokenStatus(ctx, t, from, ev, n); err != nil {
		return Token{}, fmt.Errorf("%s token %s: %w", strings.TrimPrefix(action, "token."), tokenID, err)
	}
	s.log.InfoContext(ctx, "token "+strings.TrimPrefix(action, "token."), "tokenId", t.ID, "userId", t.UserID, "adminId", id.UserID)
	s.deliver(ctx, notices)
	return t, nil
}

// AdminRevokeToken revokes any user's token and tells its owner.
func (s *Service) AdminRevokeToken(ctx context.Context, id Identity, tokenID, reason string) error {
	reason, err := cleanReason(reason)
	if err != nil {
		return err
	}
	t, err := s.AdminGetToken(ctx, id, tokenID)
	if err != nil {
		return err
	}
	if t.Status == StatusRevoked || t.Status == StatusExpired {
		return nil
	}
	_, err = s.revoke(ctx, id, RoleAdmin, []Token{t}, reason, time.Time{})
	return err
}

// AdminCreateToken issues a token for a user, with scopes within the user's
// effective permissions (not the administrator's). The user must have
// signed in once and be active; the token is theirs, usable only while they
// stay active, audited as the administrator's act, and its owner is told.
func (s *Service) AdminCreateToken(ctx context.Context, id Identity, userID string, in CreateInput) (Created, error) {
	if err := s.requireAdmin(ctx, id); err != nil {
		return Created{}, err
	}
	t, err := s.draft(in)
	if err != nil {
		return Created{}, err
	}
	if userID == "" {
		return Created{}, ErrUserNotFound
	}
	return whileOwnerChanges(func() (Created, error) {
		user, err := s.users.GetUser(ctx, userID)
		if err != nil {
			return Created{}, err
		}
		if user.Status != UserActive {
			return Created{}, Errorf(CodeUserDisabled, "user %s is disabled: enable them before issuing a token", userID)
		}
		if t.Scopes, err = s.checkScopes(in.Scopes, user.Effective(), "the user's permissions"); err != nil {
			return Created{}, err
		}
		t.UserID, t.OwnerEmail, t.Owner = userID, user.Email, user.State()
		return s.create(ctx, RoleAdmin, id, t)
	})
}

// UserUpdate changes a user; nil fields stay as they are.
type UserUpdate struct {
	Status *UserStatus
	// Limit narrows the user's permissions to these grants (scopes or
	// wildcards such as crm:*); a pointer to nil removes the limit.
	Limit  *[]string
	Reason string
}

// AdminGetUser returns a user as the service knows them.
func (s *Service) AdminGetUser(ctx context.Context, id Identity, userID string) (User, error) {
	if err := s.requireAdmin(ctx, id); err != nil {
		return User{}, err
	}
	if userID == "" {
		return User{}, ErrUserNotFound
	}
	return s.users.GetUser(ctx, userID)
}

// AdminUpdateUser disables or enables a user, or narrows their permissions.
// Either takes effect at the authorizer on the user's next request. An
// administrator cannot change their own account: disabling or limiting
// it could leave nobody to undo it (the last administrator), and lifting
// their own limit would undo another administrator's.
func (s *Service) AdminUpdateUser(ctx context.Context, id Identity, userID string, in UserUpdate) (User, error) {
	if err := s.requireAdmin(ctx, id); err != nil {
		return User{}, err
	}
	if in.Status == nil && in.Limit == nil {
		return User{}, Errorf(CodeInvalid, "nothing to change: give status or permissions")
	}
	if userID == id.UserID {
		return User{}, Errorf(CodeOwnAccount, "you cannot disable or limit your own account: another administrator must")
	}
	reason, err := cleanReason(in.Reason)
	if err != nil {
		return User{}, err
	}
	if userID == "" || utf8.RuneCountInString(userID) > 200 {
		return User{}, Errorf(CodeInvalid, "user id: 1 to 200 characters")
	}
	u, err := s.users.GetUser(ctx, userID)
	if errors.Is(err, ErrUserNotFound) {
		u, err = User{ID: userID, Status: UserActive}, nil // not signed in yet: an administrator may act first
	}
	if err != nil {
		return User{}, err
	}
	details := map[string]string{}
	if in.Status != nil {
		if *in.Status != UserActive && *in.Status != UserDisabled {
			return User{}, Errorf(CodeInvalid, "status: want active or disabled")
		}
		u.Status, details["status"] = *in.Status, string(*in.Status)
	}
	if in.Limit != nil {
		if u.Limited, u.Limit, err = s.limit(*in.Limit); err != nil {
			return User{}, err
		}
		details["permissionLimit"] = "none"
		if u.Limited {
			details["permissionLimit"] = strings.Join(u.Limit, " ")
		}
	}
	ev, err := s.eventAs(RoleAdmin, id, Token{UserID: userID}, ActionUserUpdated, withReason(details, reason))
	if err != nil {
		return User{}, err
	}
	u, err = s.users.UpdateUser(ctx, u, ev)
	if err != nil {
		return User{}, fmt.Errorf("update user %s: %w", userID, err)
	}
	s.log.InfoContext(ctx, "user updated", "userId", userID, "adminId", id.UserID, "status", u.Status, "limited", u.Limited)
	return u, nil
}

// limit validates an administrator's permission limit: nil removes it.
func (s *Service) limit(grants []string) (bool, []string, error) {
	if grants == nil {
		return false, nil, nil
	}
	var unknown []string
	for _, g := range grants {
		if len(s.catalog.Expand([]string{g})) == 0 {
			unknown = append(unknown, g)
		}
	}
	if len(unknown) > 0 {
		return false, nil, &Error{Code: CodeUnknownScope, Scopes: unknown,
			Message: "unknown permissions: " + strings.Join(unknown, ", ") + "; give scopes such as crm:read, or crm:*, *:read"}
	}
	return true, s.catalog.Expand(grants), nil
}

// AdminListAudit lists audit events matching f, newest first.
func (s *Service) AdminListAudit(ctx context.Context, id Identity, f AuditFilter, cursor string, limit int) (Page[Event], error) {
	if err := s.requireAdmin(ctx, id); err != nil {
		return Page[Event]{}, err
	}
	p, err := pageRequest("admin-audit", id, f, cursor, limit)
	if err != nil {
		return Page[Event]{}, err
	}
	if f.From != nil && f.To != nil && !f.From.Before(*f.To) {
		return Page[Event]{}, Errorf(CodeInvalid, "from: must be before to")
	}
	if f.TokenID != "" && !token.ValidID(f.TokenID) {
		return Page[Event]{}, Errorf(CodeInvalid, "tokenId: not a token id")
	}
	if f.TokenID == "" && f.OwnerID == "" && f.ActorID == "" {
		// Read month by month: bound the range by what retention keeps.
		now := s.now()
		if f.To == nil {
			to := now.Add(24 * time.Hour)
			f.To = &to
		}
		if f.From == nil {
			from := now.Add(-max(s.cfg.AuditRetention, 31*24*time.Hour))
			f.From = &from
		}
	}
	return s.audit.ListAudit(ctx, f, p)
}

// withReason adds the reason for an action, if one was given, to its
// audit details.
func withReason(details map[string]string, reason string) map[string]string {
	if reason == "" {
		return details
	}
	if details == nil {
		details = map[string]string{}
	}
	details["reason"] = reason
	return details
}

// notices composes one notice to the owner of tokens (one owner's) about an
// administrator's action; none without a notifier or an address, or when
// the administrator acted on their own token.
func (s *Service) notices(ctx context.Context, id Identity, tokens []Token, action, reason string, at time.Time) ([]Notice, error) {
	if s.notifier == nil || tokens[0].OwnerEmail == "" || tokens[0].UserID == id.UserID {
		return nil, nil
	}
	msg, err := s.notifier.AdminNotice(ctx, action, tokens, id, reason, at)
	if err != nil {
		return nil, err
	}
	noticeID, err := s.format.NewID()
	if err != nil {
		return nil, fmt.Errorf("generate notice id: %w", err)
	}
	return []Notice{{ID: noticeID, UserID: tokens[0].UserID, Message: msg}}, nil
}

// deliver sends stored notices now, when the service can send mail; what
// fails stays in the outbox for the lifecycle job.
func (s *Service) deliver(ctx context.Context, notices []Notice) {
	if s.notifier != nil && len(notices) > 0 {
		s.notifier.Deliver(ctx, notices)
	}
}

func cleanReason(reason string) (string, error) {
	return cleanText("reason", reason, MaxReasonLen)
}

// MarkUnreachable records that mail to a user's address was refused for
// good or bounced: no more mail is sent there, and their tokens' deletions
// for inactivity wait, with the administrators told. Signing in with
// another address clears it. The user is named by their owner tag
// (token.OwnerTag), which the mails carry.
func (s *Service) MarkUnreachable(ctx context.Context, ownerTag, address, cause string, at time.Time) error {
	if !token.ValidOwnerTag(ownerTag) || address == "" {
		return Errorf(CodeInvalid, "an owner tag and an address are required")
	}
	cause, err := cleanText("cause", cause, 200)
	if err != nil {
		return err
	}
	return s.users.MarkUnreachable(ctx, Undeliverable{OwnerTag: ownerTag, Address: address, Cause: cause, At: at})
}
