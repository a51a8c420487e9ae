package pat

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// RevokeAllInput asks to revoke every active and locked token of one owner
// or of everyone. Unless Preview, Confirm must be the number of tokens
// that will be revoked, as a preview returned it.
type RevokeAllInput struct {
	OwnerID  string
	Everyone bool
	Preview  bool
	Confirm  *int
	Reason   string
}

// RevokeAllResult says what a revoke-all did, or (preview) would do.
type RevokeAllResult struct {
	Count    int  // tokens it would revoke (preview)
	Revoked  int  // tokens this call revoked
	Complete bool // false: the call ran out of time; preview and repeat to finish
}

// revokeAllPage is how many tokens a revoke-all reads at a time: its memory bound.
const revokeAllPage = 200

// stopBefore is how close to its deadline a revoke-all stops, leaving the
// rest to a repeated call rather than being cut off mid-transaction.
const stopBefore = 3 * time.Second

// RevokeAllTokens revokes all of the caller's own tokens.
func (s *Service) RevokeAllTokens(ctx context.Context, id Identity, preview bool, confirm *int) (RevokeAllResult, error) {
	return s.revokeAll(ctx, id, RoleUser, id.UserID, preview, confirm, "")
}

// AdminRevokeAll revokes all tokens of one owner, or of everyone, and tells
// their owners.
func (s *Service) AdminRevokeAll(ctx context.Context, id Identity, in RevokeAllInput) (RevokeAllResult, error) {
	if err := s.requireAdmin(ctx, id); err != nil {
		return RevokeAllResult{}, err
	}
	if (in.OwnerID == "") == !in.Everyone {
		return RevokeAllResult{}, Errorf(CodeInvalid, "give either owner or everyone: true")
	}
	reason, err := cleanReason(in.Reason)
	if err != nil {
		return RevokeAllResult{}, err
	}
	return s.revokeAll(ctx, id, RoleAdmin, in.OwnerID, in.Preview, in.Confirm, reason)
}

// revokeAll revokes the active and locked tokens of owner ("": everyone)
// in transactions of whole tokens, each with its audit event. Tokens
// revoked by a run that failed or stopped stay revoked, so a repeated call
// revokes only the rest: every token gets exactly one audit event.
func (s *Service) revokeAll(ctx context.Context, id Identity, role Role, owner string, preview bool, confirm *int, reason string) (RevokeAllResult, error) {
	if preview && confirm != nil {
		return RevokeAllResult{}, Errorf(CodeInvalid, "give preview or confirm, not both")
	}
	if owner != "" {
		return s.revokeOwner(ctx, id, role, owner, preview, confirm, reason)
	}
	count, err := s.revocable.CountRevocable(ctx)
	if err != nil {
		return RevokeAllResult{}, fmt.Errorf("count tokens to revoke: %w", err)
	}
	if done, err := confirmed(count, preview, confirm); done {
		return RevokeAllResult{Count: count, Complete: true}, err
	}
	res := RevokeAllResult{Complete: true}
	cursor := ""
	for {
		page, err := s.revocable.RevocablePage(ctx, PageRequest{Cursor: cursor, Limit: revokeAllPage, List: "revoke-all"})
		if err != nil {
			return res, fmt.Errorf("list tokens to revoke (%d revoked so far): %w", res.Revoked, err)
		}
		if complete, err := s.revokeEach(ctx, id, role, page.Items, reason, &res); !complete || err != nil {
			return res, err
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	s.log.InfoContext(ctx, "tokens revoked in bulk", "owner", owner, "revoked", res.Revoked, "actorId", id.UserID, "role", role)
	return res, nil
}

// ownerRounds bounds how often a revoke-all of one owner reads the owner's
// tokens again for ones created while it ran.
const ownerRounds = 3

// revokeOwner revokes one owner's tokens, read from the strongly
// consistent list of their live tokens (never from the owner index alone,
// which lags behind a token created a moment before), and reads it again
// after revoking: complete means none is left.
func (s *Service) revokeOwner(ctx context.Context, id Identity, role Role, owner string, preview bool, confirm *int, reason string) (RevokeAllResult, error) {
	tokens, err := s.revocable.OwnerRevocable(ctx, owner)
	if err != nil {
		return RevokeAllResult{}, fmt.Errorf("read tokens to revoke: %w", err)
	}
	if done, err := confirmed(len(tokens), preview, confirm); done {
		return RevokeAllResult{Count: len(tokens), Complete: true}, err
	}
	res := RevokeAllResult{}
	for range ownerRounds {
		if complete, err := s.revokeEach(ctx, id, role, tokens, reason, &res); !complete || err != nil {
			return res, err
		}
		if tokens, err = s.revocable.OwnerRevocable(ctx, owner); err != nil {
			return res, fmt.Errorf("read tokens left to revoke (%d revoked so far): %w", res.Revoked, err)
		}
		if len(tokens) == 0 {
			res.Complete = true
			s.log.InfoContext(ctx, "tokens revoked in bulk", "owner", owner, "revoked", res.Revoked, "actorId", id.UserID, "role", role)
			return res, nil
		}
	}
	return res, nil // tokens keep being created: preview and repeat
}

// confirmed answers a preview with count (done), and refuses a revoke-all
// whose confirm is missing or not count.
func confirmed(count int, preview bool, confirm *int) (done bool, err error) {
	switch {
	case preview:
		return true, nil
	case confirm == nil:
		return true, &Error{Code: CodeConfirmationRequired, Count: &count,
			Message: fmt.Sprintf("this revokes %d tokens: send confirm: %d to go ahead", count, count)}
	case *confirm != count:
		return true, &Error{Code: CodeConfirmationMismatch, Count: &count,
			Message: fmt.Sprintf("this now revokes %d tokens, not %d: check, then send confirm: %d", count, *confirm, count)}
	}
	return false, nil
}

// revokeEach revokes tokens, counting them in res; it stops short
// (complete false) near the call's deadline.
func (s *Service) revokeEach(ctx context.Context, id Identity, role Role, tokens []Token, reason string, res *RevokeAllResult) (complete bool, err error) {
	var stopBy time.Time
	if deadline, ok := ctx.Deadline(); ok {
		stopBy = deadline.Add(-stopBefore)
	}
	done, err := s.revoke(ctx, id, role, tokens, reason, stopBy)
	res.Revoked += len(done.IDs)
	if err != nil {
		res.Complete = false
		return false, fmt.Errorf("revoke tokens (%d revoked so far): %w", res.Revoked, err)
	}
	if done.Stopped {
		res.Complete = false
		return false, nil
	}
	return true, nil
}

// revoke revokes tokens, each with its audit event; an administrator's
// revocation tells the owners. Tokens revoked, expired or deleted
// meanwhile are left as they are. It logs and sends what the store wrote,
// also when it failed part way.
func (s *Service) revoke(ctx context.Context, id Identity, role Role, tokens []Token, reason string, stopBy time.Time) (Revoked, error) {
	return s.revokeTokens(ctx, id, role, tokens, reason, stopBy, nil)
}

// revokeTokens is revoke, consuming link (if any) with the revocation of
// its token.
func (s *Service) revokeTokens(ctx context.Context, id Identity, role Role, tokens []Token, reason string, stopBy time.Time, link *KeepLink) (Revoked, error) {
	now := s.now()
	tokens = slices.Clone(tokens)
	events := make([]Event, len(tokens))
	byID := make(map[string]Token, len(tokens))
	for i := range tokens {
		t := &tokens[i]
		t.Status, t.RevokedAt, t.DeleteAfter = StatusRevoked, &now, now.Add(s.cfg.RevokedRetention)
		details := withReason(nil, reason)
		if link != nil {
			details = withReason(map[string]string{"via": "email link"}, reason)
		}
		ev, err := s.eventAs(role, id, *t, ActionRevoked, details)
		if err != nil {
			return Revoked{}, err
		}
		events[i], byID[t.ID] = ev, *t
	}
	r := Revocation{Tokens: tokens, Events: events, StopBy: stopBy, Link: link}
	if role == RoleAdmin {
		r.Notify = func(owner []Token) (*Notice, error) {
			notices, err := s.notices(ctx, id, owner, ActionRevoked, reason, now)
			if err != nil || len(notices) == 0 {
				return nil, err
			}
			return &notices[0], nil
		}
	}
	done, err := s.tokens.RevokeTokens(ctx, r)
	for _, tokenID := range done.IDs {
		s.log.InfoContext(ctx, "token revoked", "tokenId", tokenID, "userId", byID[tokenID].UserID, "actorId", id.UserID, "role", role)
	}
	s.deliver(ctx, done.Notices)
	return done, err
}
