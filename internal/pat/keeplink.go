package pat

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"
)

// Purposes of a keep link.
const (
	KeepActivity = "activity" // restart the inactivity period
	KeepExpiry   = "expiry"   // also postpone the expiry by the default lifetime
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
	if err := s.store.PutKeepLink(ctx, link); err != nil {
		return "", fmt.Errorf("store keep link for %s: %w", t.ID, err)
	}
	return code, nil
}

// errBadLink answers every link that cannot be used, without saying why.
var errBadLink = Errorf(CodeNotFound, "this link is not valid: it was used already, it expired, or its token is gone")

// PeekKeepLink shows what a link would do, changing nothing: opening a link
// (which mail scanners do) must not extend by itself.
func (s *Service) PeekKeepLink(ctx context.Context, code string) (KeepLink, Token, error) {
	link, err := s.store.GetKeepLink(ctx, linkDigest(code))
	if err != nil {
		if ErrorCode(err) == CodeNotFound {
			return KeepLink{}, Token{}, errBadLink
		}
		return KeepLink{}, Token{}, err
	}
	now := s.now()
	if link.UsedAt != nil || !now.Before(link.ExpiresAt) {
		return KeepLink{}, Token{}, errBadLink
	}
	t, err := s.store.GetToken(ctx, link.TokenID)
	if ErrorCode(err) == CodeNotFound || err == nil && (t.UserID != link.UserID || t.Status == StatusRevoked) {
		return KeepLink{}, Token{}, errBadLink
	}
	if err != nil {
		return KeepLink{}, Token{}, err
	}
	// A disabled owner keeps nothing, by link or otherwise.
	if err := s.admit(ctx, Identity{UserID: t.UserID}); err != nil {
		return KeepLink{}, Token{}, err
	}
	return link, t, nil
}

// UseKeepLink keeps the link's token, once.
func (s *Service) UseKeepLink(ctx context.Context, code, sourceIP string) (Token, error) {
	link, t, err := s.PeekKeepLink(ctx, code)
	if err != nil {
		return Token{}, err
	}
	id := Identity{UserID: t.UserID, SourceIP: sourceIP}
	var expiresAt *time.Time
	if link.Purpose == KeepExpiry && t.ExpiresAt != nil {
		at := s.now().Add(s.cfg.DefaultLifetime).Truncate(time.Second)
		if at.After(*t.ExpiresAt) {
			expiresAt = &at
		}
	}
	t, err = s.extend(ctx, id, t, expiresAt, &link)
	if ErrorCode(err) == CodeConflict {
		return Token{}, errBadLink // used by a concurrent request
	}
	return t, err
}

func linkDigest(code string) []byte {
	sum := sha256.Sum256([]byte(code))
	return sum[:]
}
