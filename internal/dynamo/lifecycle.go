package dynamo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
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
	if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("lock the run: %w", err)
	}
	return true, nil
}

// UnlockRun: see lifecycle.Store.
func (s *Store) UnlockRun(ctx context.Context, claim string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 &s.tokens,
		Key:                       runLockKey,
		ConditionExpression:       aws.String("#lock = :claim"),
		ExpressionAttributeNames:  map[string]string{"#lock": "lock"},
		ExpressionAttributeValues: values("claim", claim),
	})
	if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
		return nil // taken over after the lease: not ours to remove
	}
	if err != nil {
		return fmt.Errorf("unlock the run: %w", err)
	}
	return nil
}

// DuePage queries one day bucket of the due index.
func (s *Store) DuePage(ctx context.Context, day string, now time.Time, cursor string, limit int) ([]pat.DueItem, string, error) {
	in := &dynamodb.QueryInput{
		TableName:                 &s.tokens,
		IndexName:                 aws.String(DueIndex),
		KeyConditionExpression:    aws.String("dueDay = :day AND dueAt <= :now"),
		ExpressionAttributeValues: values("day", day, "now", formatTime(now)),
		Limit:                     aws.Int32(int32(limit)),
	}
	if cursor != "" {
		key, err := decodeKeyCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		in.ExclusiveStartKey = key
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("query due items of %s: %w", day, err)
	}
	var items []pat.DueItem
	for _, item := range out.Items {
		sk, _ := item["sk"].(*types.AttributeValueMemberS)
		switch {
		case sk != nil && sk.Value == "TOKEN":
			t, err := decodeToken(item)
			if err != nil {
				return nil, "", err
			}
			items = append(items, pat.DueItem{Token: &t})
		case sk != nil && sk.Value == "NOTICE":
			n, err := decodeNotice(item)
			if err != nil {
				return nil, "", err
			}
			items = append(items, pat.DueItem{Notice: &n})
		}
	}
	return items, encodeKeyCursor(out.LastEvaluatedKey), nil
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
	vals := values("claim", claim, "stale", stale)
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
		UpdateExpression:          updateExpression(set, nil),
		ConditionExpression:       aws.String(seenCondition(t, vals) + " AND (attribute_not_exists(notices.#k) OR notices.#k < :stale)"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: vals,
	})
	return conditional(err, "claim reminder")
}

// FinishReminder: see lifecycle.Store.
func (s *Store) FinishReminder(ctx context.Context, t pat.Token, key, claim, value string) error {
	vals := values("claim", claim, "value", value)
	set, remove := scheduleClauses(t.DueAt, []string{"notices.#k = :value"}, nil, vals)
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.tokens,
		Key:                       tokenKey(t.ID),
		UpdateExpression:          updateExpression(set, remove),
		ConditionExpression:       aws.String("notices.#k = :claim"),
		ExpressionAttributeNames:  map[string]string{"#k": key},
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
	set, remove := scheduleClauses(t.DueAt, nil, nil, vals)
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.tokens,
		Key:                       tokenKey(t.ID),
		UpdateExpression:          updateExpression(set, remove),
		ConditionExpression:       aws.String(seenCondition(t, vals)),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: vals,
	})
	_, err = conditional(err, "reschedule")
	return err
}

// HoldDeletion: see lifecycle.Store.
func (s *Store) HoldDeletion(ctx context.Context, t pat.Token, key, value string, n *pat.Notice, now time.Time) (bool, error) {
	vals := values("value", value)
	cond := seenCondition(t, vals) + " AND attribute_not_exists(notices.#k)"
	set, remove := scheduleClauses(t.DueAt, []string{"notices.#k = :value"}, nil, vals)
	items := []types.TransactWriteItem{{Update: &types.Update{TableName: &s.tokens, Key: tokenKey(t.ID),
		UpdateExpression: updateExpression(set, remove), ConditionExpression: aws.String(cond),
		ExpressionAttributeNames: map[string]string{"#status": "status", "#k": key}, ExpressionAttributeValues: vals}}}
	if n != nil {
		notice, err := s.putNotice(*n, now)
		if err != nil {
			return false, err
		}
		items = append(items, notice)
	}
	reasons, err := s.transact(ctx, items)
	if err != nil || reasons == nil {
		return err == nil, err
	}
	if failedCondition(reasons[0]) {
		return false, nil
	}
	return false, cancelled(reasons)
}

// MarkUnreachable: see lifecycle.Store.
func (s *Store) MarkUnreachable(ctx context.Context, ownerTag, address, cause string, at time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.tokens,
		Key:                       ownerKey(ownerTag),
		UpdateExpression:          aws.String("SET unreachableAt = :at, unreachableEmail = :address, unreachableCause = :cause"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND NOT (unreachableEmail = :address)"),
		ExpressionAttributeValues: values("at", formatTime(at), "address", address, "cause", cause),
	})
	if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
		return nil // no such user, or marked already
	}
	if err != nil {
		return fmt.Errorf("mark owner %s unreachable: %w", ownerTag, err)
	}
	return nil
}

// DeleteIdle: see lifecycle.Store.
func (s *Store) DeleteIdle(ctx context.Context, t pat.Token, ev pat.Event, n *pat.Notice) (bool, error) {
	vals := map[string]types.AttributeValue{}
	cond := seenCondition(t, vals)
	audit, err := s.putEvent(ev)
	if err != nil {
		return false, err
	}
	items := []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: &s.tokens, Key: tokenKey(t.ID), ConditionExpression: aws.String(cond),
			ExpressionAttributeNames: map[string]string{"#status": "status"}, ExpressionAttributeValues: vals}},
		s.releaseSlots(t.UserID, 1), audit,
	}
	if n != nil {
		notice, err := s.putNotice(*n, ev.Time)
		if err != nil {
			return false, err
		}
		items = append(items, notice)
	}
	reasons, err := s.transact(ctx, items)
	if err != nil || reasons == nil {
		return err == nil, err
	}
	if failedCondition(reasons[0]) {
		return false, nil
	}
	return false, cancelled(reasons)
}

// Expire: see lifecycle.Store.
func (s *Store) Expire(ctx context.Context, t pat.Token, ev pat.Event) (bool, error) {
	vals := values("expired", string(pat.StatusExpired))
	cond := seenCondition(t, vals)
	audit, err := s.putEvent(ev)
	if err != nil {
		return false, err
	}
	reasons, err := s.transact(ctx, []types.TransactWriteItem{
		{Update: &types.Update{TableName: &s.tokens, Key: tokenKey(t.ID), UpdateExpression: aws.String("SET #status = :expired REMOVE dueDay, dueAt"),
			ConditionExpression: aws.String(cond), ExpressionAttributeNames: map[string]string{"#status": "status"}, ExpressionAttributeValues: vals}},
		s.releaseSlots(t.UserID, 1), audit,
	})
	if err != nil || reasons == nil {
		return err == nil, err
	}
	if failedCondition(reasons[0]) {
		return false, nil
	}
	return false, cancelled(reasons)
}

type noticeItem struct {
	PK     string   `dynamodbav:"pk"`
	SK     string   `dynamodbav:"sk"`
	ID     string   `dynamodbav:"id"`
	UserID string   `dynamodbav:"userId"`
	Mail   mailItem `dynamodbav:"mail"`
	Claim  string   `dynamodbav:"claim,omitempty"`
	DueDay string   `dynamodbav:"dueDay"`
	DueAt  string   `dynamodbav:"dueAt"`
	TTL    int64    `dynamodbav:"ttl"`
}

// mailItem is a notice's message as stored.
type mailItem struct {
	To      string `dynamodbav:"to"`
	Subject string `dynamodbav:"subject"`
	Text    string `dynamodbav:"text"`
	HTML    string `dynamodbav:"html"`
}

func noticeKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "NOTICE#" + id}, "sk": &types.AttributeValueMemberS{Value: "NOTICE"}}
}

// putNotice writes a notice into the outbox, due at once; unsent, it
// expires after 30 days.
func (s *Store) putNotice(n pat.Notice, now time.Time) (types.TransactWriteItem, error) {
	day, when := dueKeys(&now)
	item, err := attributevalue.MarshalMap(noticeItem{PK: "NOTICE#" + n.ID, SK: "NOTICE", ID: n.ID, UserID: n.UserID, Mail: mailItem{To: n.Message.To, Subject: n.Message.Subject, Text: n.Message.Text, HTML: n.Message.HTML},
		DueDay: day, DueAt: when, TTL: now.Add(30 * 24 * time.Hour).Unix()})
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode notice: %w", err)
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: &s.tokens, Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")}}, nil
}

func decodeNotice(item map[string]types.AttributeValue) (pat.Notice, error) {
	var it noticeItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return pat.Notice{}, fmt.Errorf("decode notice: %w", err)
	}
	m := it.Mail
	return pat.Notice{ID: it.ID, UserID: it.UserID, Claim: it.Claim,
		Message: pat.Message{UserID: it.UserID, To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML}}, nil
}

// ClaimNotice: see lifecycle.Store.
func (s *Store) ClaimNotice(ctx context.Context, n pat.Notice, claim, stale string) (bool, error) {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.tokens, Key: noticeKey(n.ID),
		UpdateExpression:          aws.String("SET claim = :claim"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND (attribute_not_exists(claim) OR claim < :stale)"),
		ExpressionAttributeValues: values("claim", claim, "stale", stale),
	})
	return conditional(err, "claim notice")
}

// DeleteNotice: see lifecycle.Store.
func (s *Store) DeleteNotice(ctx context.Context, n pat.Notice, claim string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.tokens, Key: noticeKey(n.ID),
		ConditionExpression: aws.String("claim = :claim"), ExpressionAttributeValues: values("claim", claim),
	})
	_, err = conditional(err, "delete notice")
	return err
}

// ReleaseNotice: see lifecycle.Store.
func (s *Store) ReleaseNotice(ctx context.Context, n pat.Notice, claim string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.tokens, Key: noticeKey(n.ID),
		UpdateExpression:    aws.String("REMOVE claim"),
		ConditionExpression: aws.String("claim = :claim"), ExpressionAttributeValues: values("claim", claim),
	})
	_, err = conditional(err, "release notice")
	return err
}

// conditional turns a failed condition into false, and any other error into an error.
func conditional(err error, what string) (bool, error) {
	if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	return true, nil
}

// Key cursors carry a LastEvaluatedKey of string attributes.
func encodeKeyCursor(key map[string]types.AttributeValue) string {
	if len(key) == 0 {
		return ""
	}
	b, _ := json.Marshal(stringKey(key))
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeKeyCursor(c string) (map[string]types.AttributeValue, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	var plain map[string]string
	if err != nil || json.Unmarshal(b, &plain) != nil {
		return nil, errBadCursor
	}
	return plainKey(plain), nil
}
