package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/pat"
)

// revocation is one token to revoke and its audit event.
type revocation struct {
	token pat.Token
	event pat.Event
}

// RevokeTokens: see pat.TokenStore and pat.Revocation. The tokens are
// sorted by owner and cut into batches that each fit one transaction
// (batches); each batch is written all or nothing (revokeBatch), in order,
// and a batch is not started after r.StopBy.
func (s *Store) RevokeTokens(ctx context.Context, r pat.Revocation) (pat.Revoked, error) {
	if len(r.Events) != len(r.Tokens) {
		return pat.Revoked{}, fmt.Errorf("revoke tokens: %d events for %d tokens", len(r.Events), len(r.Tokens))
	}
	todo := make([]revocation, len(r.Tokens))
	for i := range r.Tokens {
		todo[i] = revocation{token: r.Tokens[i], event: r.Events[i]}
	}
	var done pat.Revoked
	if r.Link != nil && len(r.Tokens) != 1 {
		return pat.Revoked{}, fmt.Errorf("revoke tokens: a link revokes one token, not %d", len(r.Tokens))
	}
	for _, batch := range batches(todo, r.Notify != nil) {
		// The wall clock, not s.now: StopBy is about the caller's real deadline.
		if !r.StopBy.IsZero() && !time.Now().Before(r.StopBy) {
			done.Stopped = true
			return done, nil
		}
		if err := s.revokeBatch(ctx, batch, r.Notify, r.Link, &done); err != nil {
			return done, err
		}
	}
	return done, nil
}

// batches sorts revocations by owner (stably) and cuts them into groups
// that each fit one transaction: revocationItems per token and, per owner,
// one item for the owner's count and, when owners are told, one for the
// notice. An owner's tokens are split only when they do not fit one.
func batches(todo []revocation, notify bool) [][]revocation {
	perOwner := 1
	if notify {
		perOwner = 2
	}
	todo = slices.Clone(todo)
	slices.SortStableFunc(todo, func(a, b revocation) int { return strings.Compare(a.token.UserID, b.token.UserID) })
	var out [][]revocation
	var cur []revocation
	items := 0
	for _, r := range todo {
		cost := revocationItems
		if len(cur) == 0 || r.token.UserID != cur[len(cur)-1].token.UserID {
			cost += perOwner
		}
		if items+cost > maxTransactItems {
			out, cur, items = append(out, cur), nil, 0
			cost = revocationItems + perOwner
		}
		cur, items = append(cur, r), items+cost
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// conflictRetries bounds the retries of a batch that lost to a concurrent
// transaction on the same items.
const conflictRetries = 3

// revokeBatch revokes one batch in one transaction, recording what it
// wrote in done. Tokens that changed meanwhile leave the batch (Skipped)
// and the rest is tried again; a conflict with another transaction is
// retried a few times.
func (s *Store) revokeBatch(ctx context.Context, batch []revocation, notify func([]pat.Token) (*pat.Notice, error), link *pat.KeepLink, done *pat.Revoked) error {
	for conflicts := 0; len(batch) > 0; {
		var notices []pat.Notice
		if notify != nil {
			for _, owner := range byOwner(batch) {
				n, err := notify(owner)
				if err != nil {
					return err
				}
				if n != nil {
					notices = append(notices, *n)
				}
			}
		}
		changed, err := s.revokeOnce(ctx, batch, notices, link)
		switch {
		case pat.ErrorCode(err) == pat.CodeConflict && conflicts < conflictRetries:
			conflicts++
			select { // a short wait before the next try, unless the caller gives up
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(conflicts*50) * time.Millisecond):
			}
			continue
		case err != nil:
			return err
		case len(changed) == 0:
			for _, r := range batch {
				done.IDs = append(done.IDs, r.token.ID)
			}
			done.Notices = append(done.Notices, notices...)
			return nil
		}
		done.Skipped = append(done.Skipped, changed...)
		batch = slices.DeleteFunc(batch, func(r revocation) bool { return slices.Contains(changed, r.token.ID) })
	}
	return nil
}

// byOwner groups a batch, sorted by owner, into each owner's tokens.
func byOwner(batch []revocation) [][]pat.Token {
	var out [][]pat.Token
	for i, r := range batch {
		if i == 0 || r.token.UserID != batch[i-1].token.UserID {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], r.token)
	}
	return out
}

// errChanged marks the tokens of a revocation that changed meanwhile.
var errChanged = errors.New("tokens changed meanwhile")

// revokeOnce writes a batch's revocations, each owner's count and the
// notices in one transaction, only if every token is still active or
// locked; otherwise it writes nothing and returns the ids of those that
// are not.
func (s *Store) revokeOnce(ctx context.Context, batch []revocation, notices []pat.Notice, link *pat.KeepLink) (changed []string, err error) {
	var writes []write
	events := make([]pat.Event, len(batch))
	released := map[string][]string{}
	var owners []string
	for i, r := range batch {
		events[i] = r.event
		writes = append(writes, write{item: s.revoke(r.token, ""), failed: func(map[string]types.AttributeValue) error {
			changed = append(changed, r.token.ID)
			return errChanged
		}}, s.useTTL(r.token))
		if len(released[r.token.UserID]) == 0 {
			owners = append(owners, r.token.UserID)
		}
		released[r.token.UserID] = append(released[r.token.UserID], r.token.ID)
	}
	// One update per owner: a transaction may name an item only once.
	for _, owner := range owners {
		writes = append(writes, s.releaseSlots(owner, released[owner]))
	}
	for _, n := range notices {
		notice, err := s.putNotice(n, events[0].Time)
		if err != nil {
			return nil, err
		}
		writes = append(writes, notice)
	}
	if link != nil {
		writes = append(writes, s.useRevokeLink(*link, batch[0].token.ID, *batch[0].token.RevokedAt))
	}
	err = s.audited(ctx, events, writes...)
	if errors.Is(err, errChanged) {
		return changed, nil
	}
	return nil, err
}
