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
)

// KeepLink is a one-click link from a reminder mail that can keep one token
// and do nothing else. Only the SHA-256 of its code is stored; it works once
// and expires.
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
// (which mail scanners do) must not extend by itself.
func (s *Service) PeekKeepToken(ctx context.Context, code string) (KeepLink, Token, error) {
	link, t, _, err := s.keepable(ctx, code)
	return link, t, err
}

// keepable reads a link, its token and the token's owner, and applies the
// one rule of every change on the owner's behalf (mayChange): what a link
// does is the owner's act like any other. The owner's rights are those
// stored: a link comes without a session whose claims could refresh them.
func (s *Service) keepable(ctx context.Context, code string) (KeepLink, Token, User, error) {
	link, err := s.keepLinks.GetKeepLink(ctx, linkDigest(code))
	if err != nil {
		if ErrorCode(err) == CodeNotFound {
			return KeepLink{}, Token{}, User{}, errBadLink
		}
		return KeepLink{}, Token{}, User{}, err
	}
	if link.UsedAt != nil || !s.now().Before(link.ExpiresAt) {
		return KeepLink{}, Token{}, User{}, errBadLink
	}
	t, err := s.tokens.GetToken(ctx, link.TokenID)
	if ErrorCode(err) == CodeNotFound || err == nil && (t.UserID != link.UserID || t.Status == StatusRevoked) {
		return KeepLink{}, Token{}, User{}, errBadLink
	}
	if err != nil {
		return KeepLink{}, Token{}, User{}, err
	}
	owner, err := s.users.GetUser(ctx, t.UserID)
	if errors.Is(err, ErrUserNotFound) {
		return KeepLink{}, Token{}, User{}, errBadLink
	}
	if err != nil {
		return KeepLink{}, Token{}, User{}, fmt.Errorf("read owner of %s: %w", t.ID, err)
	}
	if err := s.mayChange(t, owner, "kept"); err != nil {
		return KeepLink{}, Token{}, User{}, err
	}
	return link, t, owner, nil
}

// KeepToken keeps the link's token, once: it counts as activity,
// restarting the inactivity period, and a link of an expiry reminder also
// moves the expiry to the token's own lifetime from today (Term), never
// further than the longest lifetime allowed, and never earlier than it was.
func (s *Service) KeepToken(ctx context.Context, code, sourceIP string) (Token, error) {
	t, err := whileOwnerChanges(func() (Token, error) {
		link, t, owner, err := s.keepable(ctx, code)
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
