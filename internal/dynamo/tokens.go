package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/pat"
)

// OwnerIndex is the GSI listing a user's tokens, newest first.
const OwnerIndex = "byOwner"

// ownerIndexKeys are OwnerIndex's key attributes.
var ownerIndexKeys = []string{"ownerPk", "ownerSk"}

// CreateToken stores t (with the owner's notice n, when an administrator
// created it for them), counts it against its owner's cap and adds it to
// the owner's live tokens, atomically, and only while the owner is still
// at the revision whose state t carries (t.Owner.Rev): a token created
// concurrently with a change of its owner fails (pat.ErrOwnerChanged)
// rather than carry the old state.
func (s *Store) CreateToken(ctx context.Context, t pat.Token, maxActive int, ev pat.Event, n *pat.Notice) error {
	tok, err := s.putToken(t)
	if err != nil {
		return err
	}
	writes := append([]write{tok, s.useEntry(t)}, s.expiryEntry(t)...)
	if n != nil {
		notice, err := s.putNotice(*n, ev.Time)
		if err != nil {
			return err
		}
		writes = append(writes, notice)
	}
	vals := mergeValues(values("one", 1, "active", string(pat.UserActive), "max", maxActive),
		map[string]types.AttributeValue{":id": &types.AttributeValueMemberSS{Value: []string{t.ID}}})
	cond := "#status = :active AND activeTokens < :max AND " + revIs("rev", "rev", t.Owner.Rev, vals) + " AND " + s.notChanging(vals)
	return s.audited(ctx, []pat.Event{ev}, append([]write{
		{item: s.update(userKey(t.UserID), "SET activeTokens = activeTokens + :one ADD tokensRev :one, liveTokens :id", cond,
			map[string]string{"#status": "status"}, vals),
			failed: ownerRefusal(t.UserID, t.Owner.Rev,
				pat.Errorf(pat.CodeTokenLimit, "%d active tokens, the most one user may hold: revoke one no longer used", maxActive))}}, writes...)...,
	)
}

// GetToken reads a token by id, strongly consistent.
func (s *Store) GetToken(ctx context.Context, id string) (pat.Token, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.tokens, Key: tokenKey(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return pat.Token{}, fmt.Errorf("get token %s: %w", id, err)
	}
	if out.Item == nil {
		return pat.Token{}, pat.ErrNotFound
	}
	return decodeToken(out.Item)
}

// ListTokens queries the owner index, newest first, for the tokens that
// match f: the status on DynamoDB's side (a filter), the name here, since
// DynamoDB compares strings with case. It asks for one item more than a
// page, so that a list that ends with a full page has no next; a filtered
// list reads in larger batches, the whole partition at most (an owner
// holds at most MaxTokensPerOwner live tokens and the revoked ones of the
// retention period).
func (s *Store) ListTokens(ctx context.Context, userID string, f pat.OwnTokenFilter, p pat.PageRequest) (pat.Page[pat.Token], error) {
	conds, names, vals := statusFilter(f.Status, f.Now)
	q := s.tokenQuery(userID, conds, names, vals)
	q.batch = int32(p.Limit + 1)
	if f.Status != "" || f.Query != "" {
		q.batch = listBatch
	}
	if part := fold(f.Query); part != "" {
		q.keep = func(item map[string]types.AttributeValue) bool {
			return strings.Contains(fold(attrString(item, "name")), part)
		}
	}
	page, err := listPage(ctx, s, q, p, decodeToken)
	if err == nil {
		err = s.withSources(ctx, page.Items)
	}
	if err != nil {
		return page, fmt.Errorf("list tokens of %s: %w", userID, err)
	}
	return page, nil
}

// UpdateToken writes name, description and allowed sources under the
// guard of every owner's change (guarded). No limit is no attribute.
func (s *Store) UpdateToken(ctx context.Context, t pat.Token, ownerRev int, ev pat.Event) error {
	names := map[string]string{"#name": "name"}
	set, vals := []string{"#name = :name", "description = :desc"}, values("name", t.Name, "desc", t.Description)
	remove := pruned(t, nil, names)
	if len(t.AllowedSources) > 0 {
		set = append(set, "allowedSources = :sources")
		list := make([]types.AttributeValue, len(t.AllowedSources))
		for i, src := range t.AllowedSources {
			list[i] = &types.AttributeValueMemberS{Value: src}
		}
		vals[":sources"] = &types.AttributeValueMemberL{Value: list}
	} else {
		remove = append(remove, "allowedSources")
	}
	return s.audited(ctx, []pat.Event{ev}, s.guarded(t, ownerRev, ev.Time, updateExpression(set, remove), names, vals)...)
}

// guarded is the write of expr on the owner's token t under the one rule
// of every change on the owner's behalf (pat.Service.mayChange), held
// until the write: t is still the owner's, active, unexpired at at, and
// carries the owner's state of revision ownerRev, active. So a lock, a
// revocation or a change of the owner (a disable, narrower rights:
// setOwner rewrites that copy in its own transaction) committed after the
// service read the token makes the write fail, and the lock or disable
// wins. A token older than that copy (Owner.Rev 0) has the owner's record
// checked instead, one more item in the transaction.
func (s *Store) guarded(t pat.Token, ownerRev int, at time.Time, expr string, names map[string]string, vals map[string]types.AttributeValue) []write {
	names = maps.Clone(names)
	names["#status"] = "status"
	vals = mergeValues(vals, values("guardUser", t.UserID, "guardActive", string(pat.StatusActive), "guardNow", formatTime(at)))
	cond := "userId = :guardUser AND #status = :guardActive AND attribute_not_exists(replacedBy) AND attribute_not_exists(revokedOnReuseAt) AND (attribute_not_exists(expiresAt) OR expiresAt > :guardNow) AND "
	var owner []write
	if t.Owner.Rev > 0 {
		cond += "ownerStatus = :guardOwnerActive AND ownerRev = :guardOwnerRev"
		maps.Copy(vals, values("guardOwnerActive", string(pat.UserActive), "guardOwnerRev", ownerRev))
	} else {
		cond += "attribute_not_exists(ownerRev)"
		userVals := values("id", t.UserID, "active", string(pat.UserActive))
		userCond := "id = :id AND #status = :active AND " + revIs("rev", "rev", ownerRev, userVals)
		owner = append(owner, write{item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			TableName: &s.tokens, Key: userKey(t.UserID), ConditionExpression: aws.String(userCond),
			ExpressionAttributeNames: map[string]string{"#status": "status"}, ExpressionAttributeValues: userVals}},
			failed: ownerRefusal(t.UserID, ownerRev, pat.ErrOwnerChanged)})
	}
	return append([]write{{item: s.update(tokenKey(t.ID), expr, cond, names, vals), failed: changeRefused(t.UserID, at)}}, owner...)
}

// changeRefused explains a failed guard (guarded) from the token as it
// was: gone or another user's is not found; then locked, not active, its
// owner disabled; else the owner changed meanwhile (the service reads
// again and retries).
func changeRefused(userID string, at time.Time) func(map[string]types.AttributeValue) error {
	return func(old map[string]types.AttributeValue) error {
		if old == nil {
			return pat.ErrNotFound
		}
		t, err := decodeToken(old)
		switch {
		case err != nil:
			return err
		case t.UserID != userID:
			return pat.ErrNotFound
		case t.Status == pat.StatusLocked:
			return pat.Errorf(pat.CodeTokenLocked, "token %s was locked by an administrator meanwhile; you may still revoke it", t.ID)
		case t.StatusAt(at) != pat.StatusActive:
			return pat.Errorf(pat.CodeTokenNotActive, "token %s is %s", t.ID, t.StatusAt(at))
		case t.Owner.Rev > 0 && t.Owner.Status != pat.UserActive:
			return pat.Errorf(pat.CodeUserDisabled, "your account is disabled: ask an administrator")
		}
		return pat.ErrOwnerChanged
	}
}

// ownerRefusal explains a failed condition on the owner's record when a
// token carrying the owner's state of revision rev is created (or rotated
// in): the owner was disabled, or changed or is being changed (the service
// tries again), or else otherwise.
func ownerRefusal(userID string, rev int, otherwise error) func(map[string]types.AttributeValue) error {
	return func(old map[string]types.AttributeValue) error {
		u, err := decodeUser(old)
		switch {
		case err != nil || old == nil:
			return fmt.Errorf("user %s vanished while a token was created", userID)
		case u.Status != pat.UserActive:
			return pat.Errorf(pat.CodeUserDisabled, "your account is disabled: ask an administrator")
		case u.Rev != rev || old["changing"] != nil:
			return pat.ErrOwnerChanged
		}
		return otherwise
	}
}

// notChanging is the condition that no change of the owner's state is
// under way (changeOwner's claim), or that one left by a crash has lapsed.
func (s *Store) notChanging(vals map[string]types.AttributeValue) string {
	maps.Copy(vals, values("stale", formatTime(s.now().Add(-changeLease))))
	return "(attribute_not_exists(changing) OR changing < :stale)"
}

// RotateToken ends old and stores replacement only if old is still
// active and not replaced, so that of concurrent rotations exactly one
// wins. Ended at once, old leaves the owner's live tokens and the
// replacement takes its place in the cap. Replaced with an overlap, old
// stays live and counted until the lifecycle job expires it (a lock or a
// change of the owner still reaches it meanwhile), and the replacement
// takes a place of its own, within maxActive. Under the same revision rule
// as CreateToken. An optional owner's notice n is written with them.
func (s *Store) RotateToken(ctx context.Context, old, replacement pat.Token, maxActive int, events []pat.Event, n *pat.Notice) error {
	tok, err := s.putToken(replacement)
	if err != nil {
		return err
	}
	overlap := old.Status == pat.StatusActive && old.ReplacedUntil != nil // else revoked at old.RevokedAt
	var end types.TransactWriteItem
	if overlap {
		end = s.replaceLater(old)
	} else {
		end = s.revoke(old, replacement.ID)
	}
	// The old token's ttl changes (revoked now or at the overlap's end): its
	// entry in the last-use order follows.
	extra := append([]write{s.useEntry(replacement), s.useTTL(old)}, s.expiryEntry(replacement)...)
	if n != nil {
		notice, err := s.putNotice(*n, events[len(events)-1].Time)
		if err != nil {
			return err
		}
		extra = append(extra, notice)
	}
	for range ownerAttempts {
		read, _, err := s.readUser(ctx, replacement.UserID)
		if err != nil {
			return err
		}
		if read == nil {
			return fmt.Errorf("user %s vanished while rotating a token", replacement.UserID)
		}
		live := slices.Clone(read.LiveTokens)
		if !overlap {
			live = slices.DeleteFunc(live, func(id string) bool { return id == old.ID })
		}
		vals := mergeValues(values("active", string(pat.UserActive), "one", 1, "zero", 0),
			map[string]types.AttributeValue{":live": &types.AttributeValueMemberSS{Value: append(live, replacement.ID)}})
		cond := "#status = :active AND " + revIs("rev", "rev", replacement.Owner.Rev, vals) + " AND " + revIs("tokensRev", "trev", read.TokensRev, vals) +
			" AND " + s.notChanging(vals)
		set := "SET liveTokens = :live, tokensRev = if_not_exists(tokensRev, :zero) + :one"
		refusal := errOwnerMoved
		if overlap {
			set += ", activeTokens = activeTokens + :one"
			cond += " AND activeTokens < :max"
			maps.Copy(vals, values("max", maxActive))
			refusal = pat.Errorf(pat.CodeTokenLimit, "%d active tokens, the most one user may hold, and the replaced token counts until its overlap ends: "+
				"rotate without an overlap, or revoke a token no longer used", maxActive)
		}
		err = s.audited(ctx, events, append([]write{
			{item: end, failed: failWith(pat.Errorf(pat.CodeConflict, "token %s was rotated or revoked meanwhile", old.ID))},
			tok,
			{item: s.update(userKey(replacement.UserID), set, cond, map[string]string{"#status": "status"}, vals),
				failed: ownerMovedOr(replacement.UserID, replacement.Owner.Rev, read.TokensRev, refusal)},
		}, extra...)...)
		if !errors.Is(err, errOwnerMoved) {
			return err
		}
	}
	return pat.ErrOwnerChanged
}

// ownerMovedOr explains a failed condition on the owner's record in a
// rotation: a change of the live tokens since they were read (tokensRev)
// is a move (read again), else as ownerRefusal.
func ownerMovedOr(userID string, rev, tokensRev int, otherwise error) func(map[string]types.AttributeValue) error {
	return func(old map[string]types.AttributeValue) error {
		var it userItem
		if old != nil && attributevalue.UnmarshalMap(old, &it) == nil && it.TokensRev != tokensRev {
			return errOwnerMoved
		}
		return ownerRefusal(userID, rev, otherwise)(old)
	}
}

// replaceLater is the update that marks t replaced by t.ReplacedBy until
// t.ReplacedUntil, its new expiry, from active and not replaced only.
func (s *Store) replaceLater(t pat.Token) types.TransactWriteItem {
	vals := values("by", t.ReplacedBy, "until", formatTime(*t.ReplacedUntil), "ttl", t.DeleteAfter.Unix(), "user", t.UserID, "active", string(pat.StatusActive))
	set := []string{"replacedBy = :by", "replacedUntil = :until", "expiresAt = :until", "#ttl = :ttl"}
	if t.RevokeReplacementOnReuse {
		set = append(set, "revokeReplacementOnReuse = :revoke")
		maps.Copy(vals, map[string]types.AttributeValue{":revoke": &types.AttributeValueMemberBOOL{Value: true}})
	}
	set, remove := scheduleClauses(t.DueAt, set, nil, vals)
	return s.update(tokenKey(t.ID), updateExpression(set, remove), "userId = :user AND #status = :active AND attribute_not_exists(replacedBy)",
		map[string]string{"#status": "status", "#ttl": "ttl"}, vals)
}

// revoke is the update that revokes t (RevokedAt and DeleteAfter set) and
// takes it out of the due index: an owner's or administrator's revocation
// from active or locked, or, when replacedBy names its successor, a
// rotation, from active only (a locked token is not rotated).
func (s *Store) revoke(t pat.Token, replacedBy string) types.TransactWriteItem {
	set, from := "SET #status = :revoked, revokedAt = :at, #ttl = :ttl", "(#status = :active OR #status = :locked)"
	vals := values("revoked", string(pat.StatusRevoked), "active", string(pat.StatusActive), "at", formatTime(*t.RevokedAt), "ttl", t.DeleteAfter.Unix(), "user", t.UserID)
	if replacedBy != "" {
		set, from = set+", replacedBy = :by, replacedUntil = :at", "#status = :active AND attribute_not_exists(replacedBy)"
		maps.Copy(vals, values("by", replacedBy))
		if t.RevokeReplacementOnReuse {
			set += ", revokeReplacementOnReuse = :revoke"
			maps.Copy(vals, map[string]types.AttributeValue{":revoke": &types.AttributeValueMemberBOOL{Value: true}})
		}
	} else {
		maps.Copy(vals, values("locked", string(pat.StatusLocked)))
	}
	return s.update(tokenKey(t.ID), set+" REMOVE dueDay, dueAt", "userId = :user AND "+from, map[string]string{"#status": "status", "#ttl": "ttl"}, vals)
}

// ExtendToken writes the token's activity, expiry, lifetime and schedule
// under the guard of every owner's change (guarded); a link is consumed in
// the same transaction.
func (s *Store) ExtendToken(ctx context.Context, t pat.Token, ownerRev int, ev pat.Event, link *pat.KeepLink) error {
	vals := values("at", formatTime(*t.ExtendedAt))
	set, remove := []string{"extendedAt = :at"}, []string{}
	if t.ExpiresAt != nil {
		set = append(set, "expiresAt = :exp", "#ttl = :ttl")
		maps.Copy(vals, values("exp", formatTime(*t.ExpiresAt), "ttl", t.DeleteAfter.Unix()))
	}
	if t.Lifetime > 0 {
		set = append(set, "lifetime = :lifetime")
		maps.Copy(vals, values("lifetime", int64(t.Lifetime/time.Second)))
	}
	set, remove = scheduleClauses(t.DueAt, set, remove, vals)
	names := map[string]string{"#ttl": "ttl"}
	remove = pruned(t, remove, names)
	writes := s.guarded(t, ownerRev, *t.ExtendedAt, updateExpression(set, remove), names, vals)
	writes = append(writes, s.expiryEntry(t)...)
	if t.ExpiresAt != nil {
		writes = append(writes, s.useTTL(t))
	}
	if link != nil {
		writes = append(writes, s.useKeepLink(*link, t.ID, *t.ExtendedAt))
	}
	return s.audited(ctx, []pat.Event{ev}, writes...)
}

// SetTokenStatus: see pat.TokenStore.
func (s *Store) SetTokenStatus(ctx context.Context, t pat.Token, from pat.Status, ev pat.Event, n *pat.Notice) error {
	names := map[string]string{"#status": "status"}
	remove := pruned(t, nil, names)
	writes := []write{{item: s.update(tokenKey(t.ID), updateExpression([]string{"#status = :to"}, remove), "#status = :from",
		names, values("to", string(t.Status), "from", string(from))), failed: tokenNotActive(t.UserID)}}
	if n != nil {
		notice, err := s.putNotice(*n, ev.Time)
		if err != nil {
			return err
		}
		writes = append(writes, notice)
	}
	return s.audited(ctx, []pat.Event{ev}, writes...)
}

// ListAllTokens: see pat.TokenStore. With an owner it queries the owner
// index; otherwise the all-tokens partition of the list index (one Query a
// page, newest first, tokenlist.go), and counts the list on its first page.
func (s *Store) ListAllTokens(ctx context.Context, f pat.TokenFilter, p pat.PageRequest) (pat.Page[pat.Token], error) {
	conds, names, vals := statusFilter(f.Status, f.Now)
	if f.ExpiringBefore != nil {
		conds = append(conds, "expiresAt < :expiringBefore")
		maps.Copy(vals, values("expiringBefore", formatTime(*f.ExpiringBefore)))
	}
	if f.LastUsedBefore != nil {
		conds = append(conds, "(attribute_not_exists(lastUsedAt) OR lastUsedAt < :usedBefore)")
		maps.Copy(vals, values("usedBefore", formatTime(*f.LastUsedBefore)))
	}
	if f.OwnerID == "" && f.Order == pat.OrderExpires {
		page, err := s.expiringTokens(ctx, f, p) // whole items: the sources are read with them
		if err != nil {
			return page, fmt.Errorf("list all tokens by expiry: %w", err)
		}
		return page, nil
	}
	if f.OwnerID == "" && f.Order == pat.OrderLastUsed {
		return s.usedTokens(ctx, f, p) // whole items too
	}
	var q query
	if f.OwnerID != "" {
		q = s.tokenQuery(f.OwnerID, conds, names, vals)
	} else {
		q = s.allTokensQuery(conds, names, vals)
	}
	q.batch, q.requests = listBatch, maxListRequests
	page, err := listPage(ctx, s, q, p, func(item map[string]types.AttributeValue) (pat.Token, error) {
		t, err := decodeToken(item)
		t.Digest = nil // an administrator's view never carries it
		return t, err
	})
	if err == nil {
		err = s.withSources(ctx, page.Items)
	}
	if err == nil && f.OwnerID == "" && p.Cursor == "" {
		page.Total, err = s.countTokens(ctx, q)
	}
	if err != nil {
		return page, fmt.Errorf("list all tokens: %w", err)
	}
	return page, nil
}

// statusFilter is the filter of a status as users see it: an active token
// past its expiry is expired, whatever the job has written yet.
func statusFilter(st pat.Status, now time.Time) ([]string, map[string]string, map[string]types.AttributeValue) {
	vals := map[string]types.AttributeValue{}
	var conds []string
	switch st {
	case "":
		return nil, nil, vals
	case pat.StatusActive:
		conds = append(conds, "#status = :active AND (attribute_not_exists(expiresAt) OR expiresAt > :now)")
		maps.Copy(vals, values("active", string(pat.StatusActive), "now", formatTime(now)))
	case pat.StatusExpired:
		conds = append(conds, "(#status = :expired OR (#status = :active AND expiresAt <= :now))")
		maps.Copy(vals, values("active", string(pat.StatusActive), "expired", string(pat.StatusExpired), "now", formatTime(now)))
	default:
		conds = append(conds, "#status = :status")
		maps.Copy(vals, values("status", string(st)))
	}
	return conds, map[string]string{"#status": "status"}, vals
}

// OwnerRevocable: see pat.RevocableTokens. The owner's record is read strongly
// consistent, then each token it lists. The owner index only names
// tokens the list does not hold (tokens older than the list, which it
// reached long since, and ones revoked a moment before, which it may still
// show as active), and each of those is read too: what the index says of a
// token is never taken as it is. At most MaxActiveTokens reads and the
// index's stragglers: a revoke-all is rare.
func (s *Store) OwnerRevocable(ctx context.Context, ownerID string) ([]pat.Token, error) {
	read, _, err := s.readUser(ctx, ownerID)
	if err != nil {
		return nil, err
	}
	var ids []string
	if read != nil && read.ID == ownerID {
		ids = slices.Clone(read.LiveTokens)
	}
	var decodeErr error
	_, _, err = s.pages(ctx, s.revocable(ownerID).in, math.MaxInt, func(page *dynamodb.QueryOutput) bool {
		for _, item := range page.Items {
			t, err := decodeToken(item)
			if err != nil {
				decodeErr = err
				return false
			}
			if !slices.Contains(ids, t.ID) {
				ids = append(ids, t.ID)
			}
		}
		return true
	})
	if err = errors.Join(err, decodeErr); err != nil {
		return nil, fmt.Errorf("list revocable tokens of %s: %w", ownerID, err)
	}
	var out []pat.Token
	for _, id := range ids {
		t, err := s.GetToken(ctx, id)
		switch {
		case pat.ErrorCode(err) == pat.CodeNotFound:
			continue // gone with its TTL: nothing to revoke
		case err != nil:
			return nil, fmt.Errorf("read token of %s: %w", ownerID, err)
		}
		if t.UserID == ownerID && (t.Status == pat.StatusActive || t.Status == pat.StatusLocked) {
			out = append(out, t)
		}
	}
	return out, nil
}

// CountRevocable: see pat.RevocableTokens.
func (s *Store) CountRevocable(ctx context.Context) (int, error) {
	in := *s.revocable("").in
	in.Select = types.SelectCount
	total := 0
	_, _, err := s.pages(ctx, &in, math.MaxInt, func(out *dynamodb.QueryOutput) bool {
		total += int(out.Count)
		return true
	})
	if err != nil {
		return 0, fmt.Errorf("count revocable tokens: %w", err)
	}
	return total, nil
}

// RevocablePage: see pat.RevocableTokens. A page is one request, whatever it found.
func (s *Store) RevocablePage(ctx context.Context, p pat.PageRequest) (pat.Page[pat.Token], error) {
	q := s.revocable("")
	q.batch, q.requests = int32(p.Limit), 1
	page, err := listPage(ctx, s, q, p, decodeToken)
	if err != nil {
		return page, fmt.Errorf("list revocable tokens: %w", err)
	}
	return page, nil
}

// revocable selects the active and locked tokens of an owner (the owner
// index), or all (a strongly consistent scan of the table).
func (s *Store) revocable(ownerID string) query {
	q := s.tokenQuery(ownerID, []string{"(#status = :active OR #status = :locked)"}, map[string]string{"#status": "status"},
		values("active", string(pat.StatusActive), "locked", string(pat.StatusLocked)))
	if ownerID == "" {
		q.in.ConsistentRead = aws.Bool(true)
	}
	return q
}

// tokenQuery reads the tokens of one owner (owner index, newest first) or,
// without an owner, every token (a scan of the table), filtered by conds.
func (s *Store) tokenQuery(ownerID string, conds []string, names map[string]string, vals map[string]types.AttributeValue) query {
	q := query{in: &dynamodb.QueryInput{TableName: &s.tokens, ExpressionAttributeValues: maps.Clone(vals)}, requests: maxListRequests}
	if q.in.ExpressionAttributeValues == nil {
		q.in.ExpressionAttributeValues = map[string]types.AttributeValue{}
	}
	if len(names) > 0 {
		q.in.ExpressionAttributeNames = names
	}
	if ownerID != "" {
		q.in.IndexName = aws.String(OwnerIndex)
		q.in.KeyConditionExpression = aws.String("ownerPk = :owner")
		q.in.ScanIndexForward = aws.Bool(false)
		q.indexKeys = ownerIndexKeys
		maps.Copy(q.in.ExpressionAttributeValues, values("owner", ownerIndexPK(ownerID)))
	} else {
		conds = append([]string{"sk = :tokenSk"}, conds...)
		maps.Copy(q.in.ExpressionAttributeValues, values("tokenSk", "TOKEN"))
	}
	if len(conds) > 0 {
		q.in.FilterExpression = aws.String(strings.Join(conds, " AND "))
	}
	return q
}

func (s *Store) putToken(t pat.Token) (write, error) {
	item, err := TokenItem(t)
	if err != nil {
		return write{}, err
	}
	return write{item: types.TransactWriteItem{Put: &types.Put{TableName: &s.tokens, Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")}}}, nil
}

// TokenItem is a token as the tokens table stores it, for bulk loads
// (BatchWriteItem) such as imports and the lifecycle benchmark: the token
// item only, without its entry in the expiry order (expiryEntry).
func TokenItem(t pat.Token) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMap(encodeToken(t))
	if err != nil {
		return nil, fmt.Errorf("encode token: %w", err)
	}
	return item, nil
}

// tokenNotActive explains why a condition on the user's token failed,
// from the item as it was: gone or another user's is not found, else the
// token is not in a state that allows the change.
func tokenNotActive(userID string) func(map[string]types.AttributeValue) error {
	return func(old map[string]types.AttributeValue) error {
		if old == nil {
			return pat.ErrNotFound
		}
		t, err := decodeToken(old)
		if err != nil {
			return err
		}
		if t.UserID != userID {
			return pat.ErrNotFound
		}
		return pat.Errorf(pat.CodeTokenNotActive, "token %s is %s", t.ID, t.Status)
	}
}
