package pat

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"
)

// Purposes of a keep link.
const (
	KeepActivity = "activity" // restart the inactivity period
	KeepExpiry   = "expiry"   // also move the expiry to the token's own lifetime from the day it is used
	// LinkNotMe revokes the token: the "this was not me" link of a
	// creation notice. Its owner did not create it.
	LinkNotMe = "not_me"
)

// NotMeLinkLife is how long a creation notice's "this was not me" link
// works at most; it dies with its token before that.
const NotMeLinkLife = 7 * 24 * time.Hour

// ReasonNotMe is the audited reason of a revocation by a "this was not me" link.
const ReasonNotMe = "not_me"

// KeepLink is a one-click link from a mail that can do one thing to one
// token and nothing else: keep it (a reminder's link), or revoke it (a
// creation notice's "this was not me" link, LinkNotMe). Only the SHA-256
// of its code is stored; it works once and expires.
type KeepLink struct {
	Digest    []byte
	TokenID   string
	UserID    string
	Purpose   string
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// IssueKeepLink stores a new link for t and returns its code, valid until until.
func (s *Service) IssueKeepLink(ctx context.Context, t Token, purpose string, until time.Time) (string, error) {
	code, err := s.format.NewSecret()
	if err != nil {
		return "", fmt.Errorf("generate link code: %w", err)
	}
	sum := sha256.Sum256([]byte(code))
	link := KeepLink{Digest: sum[:], TokenID: t.ID, UserID: t.UserID, Purpose: purpose, ExpiresAt: until}
	if err := s.keepLinks.PutKeepLink(ctx, link); err != nil {
		return "", fmt.Errorf("store keep link for %s: %w", t.ID, err)
	}
	return code, nil
}

// errBadLink answers every link that cannot be used, without saying why.
var errBadLink = Errorf(CodeNotFound, "this link is not valid: it was used already, it expired, or its token is gone")

// PeekKeepToken shows what a link would do, changing nothing: opening a link
// (which mail scanners do) must not extend or revoke by itself.
func (s *Service) PeekKeepToken(ctx context.Context, code string) (KeepLink, Token, error) {
	link, t, err := s.readLink(ctx, code)
	if err != nil || link.Purpose == LinkNotMe {
		return link, t, err
	}
	_, err = s.keepable(ctx, t)
	return link, t, err
}

// readLink reads a usable link and its token: unused, unexpired, for a
// token of the link's owner that is not revoked. A "this was not me" link
// dies with its token: its token must also be live (active or locked).
func (s *Service) readLink(ctx context.Context, code string) (KeepLink, Token, error) {
	link, err := s.keepLinks.GetKeepLink(ctx, linkDigest(code))
	if err != nil {
		if ErrorCode(err) == CodeNotFound {
			return KeepLink{}, Token{}, errBadLink
		}
		return KeepLink{}, Token{}, err
	}
	if link.UsedAt != nil || !s.now().Before(link.ExpiresAt) {
		return KeepLink{}, Token{}, errBadLink
	}
	t, err := s.tokens.GetToken(ctx, link.TokenID)
	if ErrorCode(err) == CodeNotFound || err == nil && (t.UserID != link.UserID || t.Status == StatusRevoked) {
		return KeepLink{}, Token{}, errBadLink
	}
	if err != nil {
		return KeepLink{}, Token{}, err
	}
	if status := t.StatusAt(s.now()); link.Purpose == LinkNotMe && status != StatusActive && status != StatusLocked {
		return KeepLink{}, Token{}, errBadLink
	}
	return link, t, nil
}

// keepable reads the owner of a keep link's token and applies the one
// rule of every change on the owner's behalf (mayChange): what a link
// does is the owner's act like any other. The owner's rights are those
// stored: a link comes without a session whose claims could refresh them.
func (s *Service) keepable(ctx context.Context, t Token) (User, error) {
	owner, err := s.users.GetUser(ctx, t.UserID)
	if errors.Is(err, ErrUserNotFound) {
		return User{}, errBadLink
	}
	if err != nil {
		return User{}, fmt.Errorf("read owner of %s: %w", t.ID, err)
	}
	if err := s.mayChange(t, owner, "kept"); err != nil {
		return User{}, err
	}
	return owner, nil
}

// KeepToken does what a link is for, once: a keep link keeps its token
// (keepToken), a "this was not me" link revokes it (revokeByLink). It
// returns the link, for what the page says.
func (s *Service) KeepToken(ctx context.Context, code, sourceIP string) (KeepLink, Token, error) {
	link, t, err := s.readLink(ctx, code)
	if err != nil {
		return KeepLink{}, Token{}, err
	}
	if link.Purpose != LinkNotMe {
		t, err = s.keepToken(ctx, code, sourceIP)
		return link, t, err
	}
	t, err = s.revokeByLink(ctx, link, t, sourceIP)
	return link, t, err
}

// revokeByLink revokes the token of a "this was not me" link as its
// owner's act (reason not_me, audited with the address the link was
// followed from) and consumes the link in the same transaction. Unlike
// every other change by link it needs no rule but the link's: revoking
// only takes access away, so a locked token or a disabled owner's is
// revoked too.
func (s *Service) revokeByLink(ctx context.Context, link KeepLink, t Token, sourceIP string) (Token, error) {
	done, err := s.revokeTokens(ctx, Identity{UserID: t.UserID, SourceIP: sourceIP}, RoleUser, []Token{t}, ReasonNotMe, time.Time{}, &link)
	if ErrorCode(err) == CodeNotFound || err == nil && len(done.IDs) == 0 {
		return Token{}, errBadLink // used, or its token revoked or expired, by a concurrent request
	}
	if err != nil {
		return Token{}, fmt.Errorf("revoke token %s by link: %w", t.ID, err)
	}
	now := s.now()
	t.Status, t.RevokedAt = StatusRevoked, &now
	return t, nil
}

// keepToken keeps the link's token, once: it counts as activity,
// restarting the inactivity period, and a link of an expiry reminder also
// moves the expiry to the token's own lifetime from today (Term), never
// further than the longest lifetime allowed, and never earlier than it was.
func (s *Service) keepToken(ctx context.Context, code, sourceIP string) (Token, error) {
	t, err := whileOwnerChanges(func() (Token, error) {
		link, t, err := s.readLink(ctx, code)
		if err != nil {
			return Token{}, err
		}
		if link.Purpose == LinkNotMe {
			return Token{}, errBadLink // it can revoke, and nothing else
		}
		owner, err := s.keepable(ctx, t)
		if err != nil {
			return Token{}, err
		}
		var expiresAt *time.Time
		if link.Purpose == KeepExpiry && t.ExpiresAt != nil {
			at := s.now().Add(min(t.Term(), s.cfg.MaxLifetime)).Truncate(time.Second)
			if at.After(*t.ExpiresAt) {
				expiresAt = &at
			}
		}
		return s.extend(ctx, Identity{UserID: t.UserID, SourceIP: sourceIP}, t, owner, expiresAt, &link)
	})
	if ErrorCode(err) == CodeConflict {
		return Token{}, errBadLink // used by a concurrent request
	}
	return t, err
}

func linkDigest(code string) []byte {
	sum := sha256.Sum256([]byte(code))
	return sum[:]
}
