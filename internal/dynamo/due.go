package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/pat"
)

// DueIndex is the GSI of items the lifecycle job must act on, by day.
const DueIndex = "byDue"

var jobStateKey = map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "JOB#lifecycle"}, "sk": &types.AttributeValueMemberS{Value: "STATE"}}

// NextDay reads the job's bookmark.
func (s *Store) NextDay(ctx context.Context) (string, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.tokens, Key: jobStateKey, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return "", fmt.Errorf("read job state: %w", err)
	}
	day, _ := out.Item["nextDay"].(*types.AttributeValueMemberS)
	if day == nil {
		return "", nil
	}
	return day.Value, nil
}

// SaveNextDay writes the job's bookmark.
func (s *Store) SaveNextDay(ctx context.Context, day string) error {
	item := maps.Clone(jobStateKey)
	item["nextDay"] = &types.AttributeValueMemberS{Value: day}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.tokens, Item: item}); err != nil {
		return fmt.Errorf("save job state: %w", err)
	}
	return nil
}

// DuePage queries one day bucket of the due index, one request a page, so
// that the job's memory stays at one page.
func (s *Store) DuePage(ctx context.Context, day string, now time.Time, cursor string, limit int) ([]pat.DueItem, string, error) {
	q := query{in: &dynamodb.QueryInput{
		TableName:                 &s.tokens,
		IndexName:                 aws.String(DueIndex),
		KeyConditionExpression:    aws.String("dueDay = :day AND dueAt <= :now"),
		ExpressionAttributeValues: values("day", day, "now", formatTime(now)),
	}, indexKeys: []string{"dueDay", "dueAt"}, batch: int32(limit), requests: 1}
	page, err := listPage(ctx, s, q, pat.PageRequest{Cursor: cursor, Limit: limit, List: "due\n" + day}, decodeDue)
	if err != nil {
		return nil, "", fmt.Errorf("due items of %s: %w", day, err)
	}
	// The index does not project what a replaced token or one revoked by
	// the authorizer's mark carries (replacedBy, revokedOnReuseAt, ...):
	// the job acts on the whole tokens, read strongly consistent (one
	// BatchGetItem a page). A token gone meanwhile is left out.
	var ids []string
	for _, it := range page.Items {
		if it.Token != nil {
			ids = append(ids, it.Token.ID)
		}
	}
	whole, err := s.tokensByID(ctx, ids, true)
	if err != nil {
		return nil, "", fmt.Errorf("due tokens of %s: %w", day, err)
	}
	var items []pat.DueItem
	for _, it := range page.Items {
		switch {
		case it.Notice != nil:
			items = append(items, it)
		case it.Token != nil:
			if t, ok := whole[it.Token.ID]; ok {
				items = append(items, pat.DueItem{Token: &t})
			}
		}
	}
	return items, page.Next, nil
}

// decodeDue reads a token or a notice of the due index.
func decodeDue(item map[string]types.AttributeValue) (pat.DueItem, error) {
	sk, _ := item["sk"].(*types.AttributeValueMemberS)
	switch {
	case sk != nil && sk.Value == "TOKEN":
		t, err := decodeToken(item)
		return pat.DueItem{Token: &t}, err
	case sk != nil && sk.Value == "NOTICE":
		n, err := decodeNotice(item)
		return pat.DueItem{Notice: &n}, err
	}
	return pat.DueItem{}, nil // nothing the job acts on: skipped
}

// seenCondition holds a token to what the job read: status, activity and
// expiry, so that a use, an extension or a revocation made meanwhile wins.
func seenCondition(t pat.Token, vals map[string]types.AttributeValue) string {
	cond := "attribute_exists(pk) AND #status = :seenStatus"
	vals[":seenStatus"] = &types.AttributeValueMemberS{Value: string(t.Status)}
	for _, f := range []struct {
		attr string
		at   *time.Time
	}{{"lastUsedAt", t.LastUsedAt}, {"extendedAt", t.ExtendedAt}, {"expiresAt", t.ExpiresAt}} {
		if f.at == nil {
			cond += " AND attribute_not_exists(" + f.attr + ")"
		} else {
			cond += " AND " + f.attr + " = :seen_" + f.attr
			vals[":seen_"+f.attr] = &types.AttributeValueMemberS{Value: formatTime(*f.at)}
		}
	}
	return cond
}

// ClaimReminder: see lifecycle.Store.
func (s *Store) ClaimReminder(ctx context.Context, t pat.Token, key string, skipped []string, claim, stale string) (bool, error) {
	// Only a lapsed claim may be taken over: "failed:" sorts before
	// "sending:" too, and a refused reminder is not sent again.
	vals := values("claim", claim, "stale", stale, "sending", pat.NoticeSending)
	names := map[string]string{"#status": "status", "#k": key}
	set := []string{"notices.#k = :claim"}
	if len(skipped) > 0 {
		vals[":skipped"] = &types.AttributeValueMemberS{Value: pat.NoticeSkipped}
	}
	for i, k := range skipped {
		names["#s"+strconv.Itoa(i)] = k
		set = append(set, "notices.#s"+strconv.Itoa(i)+" = :skipped")
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.tokens,
		Key:                       tokenKey(t.ID),
		UpdateExpression:          aws.String(updateExpression(set, nil)),
		ConditionExpression:       aws.String(seenCondition(t, vals) + " AND (attribute_not_exists(notices.#k) OR (begins_with(notices.#k, :sending) AND notices.#k < :stale))"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: vals,
	})
	return conditional(err, "claim reminder")
}

// FinishReminder: see lifecycle.Store.
func (s *Store) FinishReminder(ctx context.Context, t pat.Token, key, claim, value string) error {
	vals := values("claim", claim, "value", value)
	names := map[string]string{"#k": key}
	set, remove := scheduleClauses(t.DueAt, []string{"notices.#k = :value"}, nil, vals)
	remove = pruned(t, remove, names)
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.tokens,
		Key:                       tokenKey(t.ID),
		UpdateExpression:          aws.String(updateExpression(set, remove)),
		ConditionExpression:       aws.String("notices.#k = :claim"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: vals,
	})
	_, err = conditional(err, "finish reminder")
	return err
}

// ReleaseReminder: see lifecycle.Store.
func (s *Store) ReleaseReminder(ctx context.Context, t pat.Token, key, claim string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.tokens,
		Key:                       tokenKey(t.ID),
		UpdateExpression:          aws.String("REMOVE notices.#k"),
		ConditionExpression:       aws.String("notices.#k = :claim"),
		ExpressionAttributeNames:  map[string]string{"#k": key},
		ExpressionAttributeValues: values("claim", claim),
	})
	_, err = conditional(err, "release reminder")
	return err
}

// Reschedule: see lifecycle.Store.
func (s *Store) Reschedule(ctx context.Context, t pat.Token) error {
	vals := map[string]types.AttributeValue{}
	names := map[string]string{"#status": "status"}
	set, remove := scheduleClauses(t.DueAt, nil, nil, vals)
	remove = pruned(t, remove, names)
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.tokens,
		Key:                       tokenKey(t.ID),
		UpdateExpression:          aws.String(updateExpression(set, remove)),
		ConditionExpression:       aws.String(seenCondition(t, vals)),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: vals,
	})
	_, err = conditional(err, "reschedule")
	return err
}

// DeleteIdle: see lifecycle.Store.
func (s *Store) DeleteIdle(ctx context.Context, t pat.Token, ev pat.Event, n *pat.Notice) (bool, error) {
	vals := map[string]types.AttributeValue{}
	cond := seenCondition(t, vals)
	rest := []write{s.releaseSlots(t.UserID, []string{t.ID}), s.deleteUse(t)}
	if n != nil {
		notice, err := s.putNotice(*n, ev.Time)
		if err != nil {
			return false, err
		}
		rest = append(rest, notice)
	}
	return s.unlessChanged(ctx, []pat.Event{ev}, write{item: types.TransactWriteItem{Delete: &types.Delete{
		TableName: &s.tokens, Key: tokenKey(t.ID), ConditionExpression: aws.String(cond),
		ExpressionAttributeNames: map[string]string{"#status": "status"}, ExpressionAttributeValues: vals,
	}}}, rest...)
}

// HoldDeletion: see lifecycle.Store.
func (s *Store) HoldDeletion(ctx context.Context, t pat.Token, key, value string, n *pat.Notice, now time.Time) (bool, error) {
	vals := values("value", value)
	cond := seenCondition(t, vals) + " AND attribute_not_exists(notices.#k)"
	names := map[string]string{"#status": "status", "#k": key}
	set, remove := scheduleClauses(t.DueAt, []string{"notices.#k = :value"}, nil, vals)
	remove = pruned(t, remove, names)
	var rest []write
	if n != nil {
		notice, err := s.putNotice(*n, now)
		if err != nil {
			return false, err
		}
		rest = append(rest, notice)
	}
	return s.unlessChanged(ctx, nil, write{item: s.update(tokenKey(t.ID), updateExpression(set, remove), cond, names, vals)}, rest...)
}

var runLockKey = map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "JOB#lifecycle"}, "sk": &types.AttributeValueMemberS{Value: "LOCK"}}

// LockRun: see lifecycle.Store.
func (s *Store) LockRun(ctx context.Context, claim, stale string) (bool, error) {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.tokens,
		Key:                       runLockKey,
		UpdateExpression:          aws.String("SET #lock = :claim"),
		ConditionExpression:       aws.String("attribute_not_exists(#lock) OR #lock < :stale"),
		ExpressionAttributeNames:  map[string]string{"#lock": "lock"},
		ExpressionAttributeValues: values("claim", claim, "stale", stale),
	})
	return conditional(err, "lock the run")
}

// UnlockRun: see lifecycle.Store. A lock taken over after the lease is
// not this run's to remove.
func (s *Store) UnlockRun(ctx context.Context, claim string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 &s.tokens,
		Key:                       runLockKey,
		ConditionExpression:       aws.String("#lock = :claim"),
		ExpressionAttributeNames:  map[string]string{"#lock": "lock"},
		ExpressionAttributeValues: values("claim", claim),
	})
	_, err = conditional(err, "unlock the run")
	return err
}

// Expire: see lifecycle.Store. The token's ttl becomes t.DeleteAfter
// (when set), and its entry in the last-use order follows.
func (s *Store) Expire(ctx context.Context, t pat.Token, ev pat.Event) (bool, error) {
	vals := values("expired", string(pat.StatusExpired))
	names := map[string]string{"#status": "status"}
	cond := seenCondition(t, vals)
	set, rest := "SET #status = :expired", []write{s.releaseSlots(t.UserID, []string{t.ID})}
	if !t.DeleteAfter.IsZero() {
		set += ", #ttl = :ttl"
		names["#ttl"] = "ttl"
		maps.Copy(vals, values("ttl", t.DeleteAfter.Unix()))
		rest = append(rest, s.useTTL(t))
	}
	return s.unlessChanged(ctx, []pat.Event{ev}, write{item: s.update(tokenKey(t.ID), set+" REMOVE dueDay, dueAt", cond, names, vals)}, rest...)
}

// unlessChanged writes the job's change of a token (held to what the job
// read by seenCondition) with its audit event and the other writes; false
// when the token changed meanwhile.
func (s *Store) unlessChanged(ctx context.Context, events []pat.Event, change write, rest ...write) (bool, error) {
	change.failed = failWith(errNotApplied)
	err := s.audited(ctx, events, append([]write{change}, rest...)...)
	if errors.Is(err, errNotApplied) {
		return false, nil
	}
	return err == nil, err
}

// scheduleClauses adds to an update what places a token in the due index at
// at, or takes it out (a key of an index cannot be an empty string).
func scheduleClauses(at *time.Time, set, remove []string, vals map[string]types.AttributeValue) ([]string, []string) {
	if at == nil {
		return set, append(remove, "dueDay", "dueAt")
	}
	day, when := dueKeys(at)
	maps.Copy(vals, values("dueDay", day, "dueAt", when))
	return append(set, "dueDay = :dueDay", "dueAt = :dueAt"), remove
}

// pruned adds to remove the token's stale notice keys (pat.StaleNotices of
// t as it is written), named #n0, #n1, ... in names: every write of a token
// drops the reminders of its past periods, so that notices stays bounded.
func pruned(t pat.Token, remove []string, names map[string]string) []string {
	for i, k := range pat.StaleNotices(t) {
		name := "#n" + strconv.Itoa(i)
		names[name] = k
		remove = append(remove, "notices."+name)
	}
	return remove
}
