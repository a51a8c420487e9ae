package dynamo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/pat"
)

// Audit table indexes: events by owner, by actor and by month, each
// ordered like the table by time.
const (
	AuditOwnerIndex = "byOwner"
	AuditActorIndex = "byActor"
	AuditMonthIndex = "byMonth"
)

// An administrator's list reads at most this many items per request to
// DynamoDB, and at most maxListRequests requests per page: a page with a
// selective filter may come back short, with a cursor to go on.
const (
	listBatch       = 200
	maxListRequests = 10
)

// RevokeTokens: see pat.Store.
func (s *Store) RevokeTokens(ctx context.Context, tokens []pat.Token, events []pat.Event, notices []pat.Notice) ([]string, error) {
	var items []types.TransactWriteItem
	released := map[string]int{}
	var owners []string
	for _, t := range tokens {
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName:                 &s.tokens,
			Key:                       tokenKey(t.ID),
			UpdateExpression:          aws.String("SET #status = :revoked, revokedAt = :at, #ttl = :ttl REMOVE dueDay, dueAt"),
			ConditionExpression:       aws.String("userId = :user AND (#status = :active OR #status = :locked)"),
			ExpressionAttributeNames:  map[string]string{"#status": "status", "#ttl": "ttl"},
			ExpressionAttributeValues: values("revoked", string(pat.StatusRevoked), "active", string(pat.StatusActive), "locked", string(pat.StatusLocked), "at", formatTime(*t.RevokedAt), "ttl", t.DeleteAfter.Unix(), "user", t.UserID),
		}})
		if released[t.UserID] == 0 {
			owners = append(owners, t.UserID)
		}
		released[t.UserID]++
	}
	for _, ev := range events {
		audit, err := s.putEvent(ev)
		if err != nil {
			return nil, err
		}
		items = append(items, audit)
	}
	// One update per owner: a transaction may name an item only once.
	for _, owner := range owners {
		items = append(items, s.releaseSlots(owner, released[owner]))
	}
	for _, n := range notices {
		notice, err := s.putNotice(n, events[0].Time)
		if err != nil {
			return nil, err
		}
		items = append(items, notice)
	}
	if len(items) > pat.MaxTransactItems {
		return nil, fmt.Errorf("revoke %d tokens: %d items exceed a transaction", len(tokens), len(items))
	}
	reasons, err := s.transact(ctx, items)
	if err != nil || reasons == nil {
		return nil, err
	}
	var changed []string
	for i, t := range tokens {
		if failedCondition(reasons[i]) {
			changed = append(changed, t.ID)
		}
	}
	if len(changed) > 0 {
		return changed, nil
	}
	return nil, cancelled(reasons)
}

// SetTokenStatus: see pat.Store.
func (s *Store) SetTokenStatus(ctx context.Context, t pat.Token, from pat.Status, ev pat.Event, n *pat.Notice) error {
	audit, err := s.putEvent(ev)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName:                           &s.tokens,
		Key:                                 tokenKey(t.ID),
		UpdateExpression:                    aws.String("SET #status = :to"),
		ConditionExpression:                 aws.String("#status = :from"),
		ExpressionAttributeNames:            map[string]string{"#status": "status"},
		ExpressionAttributeValues:           values("to", string(t.Status), "from", string(from)),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}, audit}
	if n != nil {
		notice, err := s.putNotice(*n, ev.Time)
		if err != nil {
			return err
		}
		items = append(items, notice)
	}
	reasons, err := s.transact(ctx, items)
	if err != nil || reasons == nil {
		return err
	}
	if failedCondition(reasons[0]) {
		return tokenConditionError(reasons[0].Item, t.UserID)
	}
	return cancelled(reasons)
}

// ListAllTokens: see pat.Store. With an owner it queries the owner index;
// otherwise it scans the table, which an administrator's view may afford.
func (s *Store) ListAllTokens(ctx context.Context, f pat.TokenFilter, cursor string, limit int) (pat.Page[pat.Token], error) {
	names := map[string]string{}
	vals := map[string]types.AttributeValue{}
	var conds []string
	switch f.Status {
	case "":
	case pat.StatusActive:
		conds = append(conds, "#status = :active AND (attribute_not_exists(expiresAt) OR expiresAt > :now)")
		maps.Copy(vals, values("active", string(pat.StatusActive), "now", formatTime(f.Now)))
	case pat.StatusExpired:
		conds = append(conds, "(#status = :expired OR (#status = :active AND expiresAt <= :now))")
		maps.Copy(vals, values("active", string(pat.StatusActive), "expired", string(pat.StatusExpired), "now", formatTime(f.Now)))
	default:
		conds = append(conds, "#status = :status")
		maps.Copy(vals, values("status", string(f.Status)))
	}
	if f.Status != "" {
		names["#status"] = "status"
	}
	if f.ExpiringBefore != nil {
		conds = append(conds, "expiresAt < :expiringBefore")
		maps.Copy(vals, values("expiringBefore", formatTime(*f.ExpiringBefore)))
	}
	if f.LastUsedBefore != nil {
		conds = append(conds, "(attribute_not_exists(lastUsedAt) OR lastUsedAt < :usedBefore)")
		maps.Copy(vals, values("usedBefore", formatTime(*f.LastUsedBefore)))
	}
	return s.tokenPages(ctx, f.OwnerID, conds, names, vals, cursor, limit)
}

// CountRevocable: see pat.Store.
func (s *Store) CountRevocable(ctx context.Context, ownerID string) (int, error) {
	in := s.revocable(ownerID)
	in.Select = types.SelectCount
	total := 0
	for {
		out, err := s.page(ctx, in)
		if err != nil {
			return 0, err
		}
		total += int(out.Count)
		if len(out.LastEvaluatedKey) == 0 {
			return total, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// RevocablePage: see pat.Store.
func (s *Store) RevocablePage(ctx context.Context, ownerID, cursor string, limit int) (pat.Page[pat.Token], error) {
	in := s.revocable(ownerID)
	in.Limit = aws.Int32(int32(limit))
	if cursor != "" {
		key, err := decodeKeyCursor(cursor)
		if err != nil {
			return pat.Page[pat.Token]{}, err
		}
		in.ExclusiveStartKey = key
	}
	out, err := s.page(ctx, in)
	if err != nil {
		return pat.Page[pat.Token]{}, err
	}
	page := pat.Page[pat.Token]{Next: encodeKeyCursor(out.LastEvaluatedKey)}
	for _, item := range out.Items {
		t, err := decodeToken(item)
		if err != nil {
			return pat.Page[pat.Token]{}, err
		}
		page.Items = append(page.Items, t)
	}
	return page, nil
}

// revocable selects the active and locked tokens of an owner, or all.
func (s *Store) revocable(ownerID string) *dynamodb.QueryInput {
	return s.tokenQuery(ownerID, []string{"(#status = :active OR #status = :locked)"}, map[string]string{"#status": "status"},
		values("active", string(pat.StatusActive), "locked", string(pat.StatusLocked)))
}

// tokenQuery reads the tokens of one owner (owner index) or, without an
// owner, every token (a scan of the table), filtered by conds. A scan is
// expressed as a QueryInput without key condition; page runs either.
func (s *Store) tokenQuery(ownerID string, conds []string, names map[string]string, vals map[string]types.AttributeValue) *dynamodb.QueryInput {
	in := &dynamodb.QueryInput{TableName: &s.tokens, ExpressionAttributeValues: maps.Clone(vals)}
	if len(names) > 0 {
		in.ExpressionAttributeNames = names
	}
	if ownerID != "" {
		in.IndexName = aws.String(OwnerIndex)
		in.KeyConditionExpression = aws.String("ownerPk = :owner")
		in.ScanIndexForward = aws.Bool(false)
		maps.Copy(in.ExpressionAttributeValues, values("owner", ownerIndexPK(ownerID)))
	} else {
		conds = append([]string{"sk = :tokenSk"}, conds...)
		maps.Copy(in.ExpressionAttributeValues, values("tokenSk", "TOKEN"))
	}
	if len(conds) > 0 {
		in.FilterExpression = aws.String(strings.Join(conds, " AND "))
	}
	return in
}

// page runs a token query, or a scan when it has no key condition.
func (s *Store) page(ctx context.Context, in *dynamodb.QueryInput) (*dynamodb.QueryOutput, error) {
	if in.KeyConditionExpression != nil {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("query tokens: %w", err)
		}
		return out, nil
	}
	out, err := s.db.Scan(ctx, &dynamodb.ScanInput{
		TableName: in.TableName, FilterExpression: in.FilterExpression, Select: in.Select, Limit: in.Limit,
		ExpressionAttributeNames: in.ExpressionAttributeNames, ExpressionAttributeValues: in.ExpressionAttributeValues,
		ExclusiveStartKey: in.ExclusiveStartKey,
	})
	if err != nil {
		return nil, fmt.Errorf("scan tokens: %w", err)
	}
	return &dynamodb.QueryOutput{Items: out.Items, Count: out.Count, LastEvaluatedKey: out.LastEvaluatedKey}, nil
}

// tokenPages fills one page of up to limit tokens from a filtered query or
// scan, reading at most maxListRequests batches.
func (s *Store) tokenPages(ctx context.Context, ownerID string, conds []string, names map[string]string, vals map[string]types.AttributeValue, cursor string, limit int) (pat.Page[pat.Token], error) {
	in := s.tokenQuery(ownerID, conds, names, vals)
	in.Limit = aws.Int32(listBatch)
	if cursor != "" {
		key, err := decodeKeyCursor(cursor)
		if err != nil {
			return pat.Page[pat.Token]{}, err
		}
		in.ExclusiveStartKey = key
	}
	page := pat.Page[pat.Token]{}
	for range maxListRequests {
		out, err := s.page(ctx, in)
		if err != nil {
			return pat.Page[pat.Token]{}, err
		}
		for _, item := range out.Items {
			t, err := decodeToken(item)
			if err != nil {
				return pat.Page[pat.Token]{}, err
			}
			t.Digest = nil // an administrator's view never carries it
			page.Items = append(page.Items, t)
			if len(page.Items) == limit {
				page.Next = encodeKeyCursor(resumeKey(item, in.IndexName != nil, "ownerPk", "ownerSk"))
				return page, nil
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return page, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	page.Next = encodeKeyCursor(in.ExclusiveStartKey)
	return page, nil
}

// resumeKey is the key DynamoDB resumes after item: the table's key and,
// when an index was read, that index's key attributes.
func resumeKey(item map[string]types.AttributeValue, index bool, indexAttrs ...string) map[string]types.AttributeValue {
	key := map[string]types.AttributeValue{"pk": item["pk"], "sk": item["sk"]}
	for _, a := range indexAttrs {
		if index {
			key[a] = item[a]
		}
	}
	return key
}

// GetUser: see pat.Store.
func (s *Store) GetUser(ctx context.Context, id string) (pat.User, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.tokens, Key: userKey(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return pat.User{}, fmt.Errorf("get user: %w", err)
	}
	if out.Item == nil {
		return pat.User{}, pat.ErrUserNotFound
	}
	u, err := decodeUser(out.Item)
	if err != nil {
		return pat.User{}, err
	}
	if u.ID != id {
		return pat.User{}, pat.ErrUserNotFound // another user with the same owner tag
	}
	return u, nil
}

// UpdateUser: see pat.Store. A user never seen gets a record with empty
// email and permissions, which their first sign-in fills in.
func (s *Store) UpdateUser(ctx context.Context, u pat.User, ev pat.Event) (pat.User, error) {
	audit, err := s.putEvent(ev)
	if err != nil {
		return pat.User{}, err
	}
	vals := values("id", u.ID, "status", string(u.Status), "empty", "", "zero", 0, "now", formatTime(ev.Time))
	set := []string{"id = :id", "#status = :status", "email = if_not_exists(email, :empty)", "#perms = if_not_exists(#perms, :empty)",
		"activeTokens = if_not_exists(activeTokens, :zero)", "updatedAt = :now"}
	var remove []string
	if u.Limited {
		set = append(set, "permissionLimit = :limit")
		maps.Copy(vals, values("limit", strings.Join(u.Limit, " ")))
	} else {
		remove = append(remove, "permissionLimit")
	}
	reasons, err := s.transact(ctx, []types.TransactWriteItem{
		{Update: &types.Update{
			TableName:                 &s.tokens,
			Key:                       userKey(u.ID),
			UpdateExpression:          updateExpression(set, remove),
			ConditionExpression:       aws.String("attribute_not_exists(pk) OR id = :id"),
			ExpressionAttributeNames:  map[string]string{"#status": "status", "#perms": "permissions"},
			ExpressionAttributeValues: vals,
		}},
		audit,
	})
	if err != nil {
		return pat.User{}, err
	}
	if reasons != nil {
		if failedCondition(reasons[0]) {
			return pat.User{}, fmt.Errorf("user %q shares its owner tag with another user", u.ID)
		}
		return pat.User{}, cancelled(reasons)
	}
	return s.GetUser(ctx, u.ID)
}

// releaseSlots frees n places in the owner's cap.
func (s *Store) releaseSlots(userID string, n int) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                 &s.tokens,
		Key:                       userKey(userID),
		UpdateExpression:          aws.String("SET activeTokens = activeTokens - :n"),
		ExpressionAttributeValues: values("n", n),
	}}
}

// auditCursor is where an audit list goes on: the month it was reading
// (for the month index) and the key after which to resume, if any.
type auditCursor struct {
	Month string            `json:"m,omitempty"`
	Key   map[string]string `json:"k,omitempty"`
}

// ListAudit: see pat.Store. It queries the narrowest index a filter
// allows: the token's own trail, the owner's, the actor's, or else the
// months of the time range, newest first.
func (s *Store) ListAudit(ctx context.Context, f pat.AuditFilter, cursor string, limit int) (pat.Page[pat.Event], error) {
	cur, err := decodeAuditCursor(cursor)
	if err != nil {
		return pat.Page[pat.Event]{}, err
	}
	vals := map[string]types.AttributeValue{}
	names := map[string]string{}
	// The first filter that names a partition picks the index; the rest filter.
	var key, index, indexAttr string
	var filters []string
	tokenPartition := ""
	if f.TokenID != "" {
		tokenPartition = tokenPK(f.TokenID)
	}
	for _, c := range []struct{ attr, value, index string }{
		{"pk", tokenPartition, ""},
		{"ownerId", f.OwnerID, AuditOwnerIndex},
		{"actorId", f.ActorID, AuditActorIndex},
	} {
		switch {
		case c.value == "":
		case key == "":
			key, index, indexAttr = c.attr+" = :partition", c.index, c.attr
			maps.Copy(vals, values("partition", c.value))
		default:
			filters = append(filters, c.attr+" = :"+c.attr)
			maps.Copy(vals, values(c.attr, c.value))
		}
	}
	if f.Action != "" {
		filters = append(filters, "#action = :action")
		maps.Copy(vals, values("action", f.Action))
		names["#action"] = "action"
	}
	months := []string{""}
	if key == "" {
		index, indexAttr = AuditMonthIndex, "month"
		key = "#month = :month"
		names["#month"] = "month"
		months = monthsBetween(*f.From, *f.To)
	}
	var rangeCond string
	switch {
	case f.From != nil && f.To != nil:
		rangeCond = " AND sk BETWEEN :from AND :to"
		maps.Copy(vals, values("from", formatTime(*f.From), "to", formatTime(*f.To)))
	case f.From != nil:
		rangeCond = " AND sk >= :from"
		maps.Copy(vals, values("from", formatTime(*f.From)))
	case f.To != nil:
		rangeCond = " AND sk < :to"
		maps.Copy(vals, values("to", formatTime(*f.To)))
	}
	page := pat.Page[pat.Event]{}
	requests := 0
	for _, month := range months {
		if cur.Month != "" && month > cur.Month {
			continue // read before
		}
		in := &dynamodb.QueryInput{
			TableName: &s.audit, ScanIndexForward: aws.Bool(false), Limit: aws.Int32(listBatch),
			KeyConditionExpression: aws.String(key + rangeCond), ExpressionAttributeValues: maps.Clone(vals),
		}
		if len(names) > 0 {
			in.ExpressionAttributeNames = names
		}
		if index != "" {
			in.IndexName = aws.String(index)
		} else {
			in.ConsistentRead = aws.Bool(true)
		}
		if month != "" {
			maps.Copy(in.ExpressionAttributeValues, values("month", month))
		}
		if len(filters) > 0 {
			in.FilterExpression = aws.String(strings.Join(filters, " AND "))
		}
		if cur.Key != nil && (month == cur.Month) {
			in.ExclusiveStartKey = plainKey(cur.Key)
		}
		for {
			if requests == maxListRequests {
				page.Next = encodeAuditCursor(auditCursor{Month: month, Key: stringKey(in.ExclusiveStartKey)})
				return page, nil
			}
			requests++
			out, err := s.db.Query(ctx, in)
			if err != nil {
				return pat.Page[pat.Event]{}, fmt.Errorf("query audit: %w", err)
			}
			for _, item := range out.Items {
				ev, err := decodeEvent(item)
				if err != nil {
					return pat.Page[pat.Event]{}, err
				}
				page.Items = append(page.Items, ev)
				if len(page.Items) == limit {
					page.Next = encodeAuditCursor(auditCursor{Month: month, Key: stringKey(resumeKey(item, index != "", indexAttr))})
					return page, nil
				}
			}
			if len(out.LastEvaluatedKey) == 0 {
				break
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
	return page, nil
}

// monthsBetween lists the months from to's back to from's, newest first.
func monthsBetween(from, to time.Time) []string {
	var out []string
	first := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
	for m := time.Date(to.Year(), to.Month(), 1, 0, 0, 0, 0, time.UTC); !m.Before(first); m = m.AddDate(0, -1, 0) {
		out = append(out, m.Format("2006-01"))
	}
	return out
}

func stringKey(key map[string]types.AttributeValue) map[string]string {
	if len(key) == 0 {
		return nil
	}
	out := map[string]string{}
	for k, v := range key {
		if s, ok := v.(*types.AttributeValueMemberS); ok {
			out[k] = s.Value
		}
	}
	return out
}

func plainKey(key map[string]string) map[string]types.AttributeValue {
	out := map[string]types.AttributeValue{}
	for k, v := range key {
		out[k] = &types.AttributeValueMemberS{Value: v}
	}
	return out
}

func encodeAuditCursor(c auditCursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeAuditCursor(c string) (auditCursor, error) {
	var cur auditCursor
	if c == "" {
		return cur, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || json.Unmarshal(b, &cur) != nil {
		return auditCursor{}, errBadCursor
	}
	return cur, nil
}
