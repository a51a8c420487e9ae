// Package dynamo is the DynamoDB adapter: it implements pat.Store on the
// tokens and audit tables defined in template.yaml.
package dynamo

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/token"
)

// API is the part of the DynamoDB client the store uses; tests wrap it to
// inject failures that DynamoDB Local cannot produce.
type API interface {
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

var _ API = (*dynamodb.Client)(nil)
var _ pat.Store = (*Store)(nil)

// OwnerIndex is the GSI listing a user's tokens.
const OwnerIndex = "byOwner"

// Store implements pat.Store.
type Store struct {
	db     API
	tokens string
	audit  string
	now    func() time.Time
}

// NewStore returns a store over the named tokens and audit tables.
func NewStore(db API, tokensTable, auditTable string) *Store {
	return &Store{db: db, tokens: tokensTable, audit: auditTable, now: time.Now}
}

// SyncUser writes the user's email and permissions only when they changed:
// the condition fails when nothing is new, and the failure returns the item.
func (s *Store) SyncUser(ctx context.Context, u pat.User) (pat.User, error) {
	perms := strings.Join(u.Permissions, " ")
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.tokens,
		Key:       userKey(u.ID),
		UpdateExpression: aws.String("SET id = :id, email = :email, #perms = :perms, updatedAt = :now, " +
			"#status = if_not_exists(#status, :active), activeTokens = if_not_exists(activeTokens, :zero)"),
		ConditionExpression:                 aws.String("attribute_not_exists(pk) OR (id = :id AND (email <> :email OR #perms <> :perms))"),
		ExpressionAttributeNames:            map[string]string{"#perms": "permissions", "#status": "status"},
		ExpressionAttributeValues:           values("id", u.ID, "email", u.Email, "perms", perms, "now", formatTime(s.now()), "active", string(pat.UserActive), "zero", 0),
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	item := map[string]types.AttributeValue(nil)
	if ccf, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
		item, err = ccf.Item, nil
	} else if err == nil {
		item = out.Attributes
	}
	if err != nil {
		return pat.User{}, fmt.Errorf("update user: %w", err)
	}
	stored, err := decodeUser(item)
	if err == nil && stored.ID != u.ID {
		// Two user ids with one owner tag (64 bits): refuse rather than share a record.
		return pat.User{}, fmt.Errorf("user %q shares its owner tag with user %q", u.ID, stored.ID)
	}
	return stored, err
}

// CreateToken stores t and counts it against its owner's cap, atomically.
func (s *Store) CreateToken(ctx context.Context, t pat.Token, maxActive int, ev pat.Event, n *pat.Notice) error {
	tok, err := s.putToken(t)
	if err != nil {
		return err
	}
	audit, err := s.putEvent(ev)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{
		{Update: &types.Update{
			TableName:                           &s.tokens,
			Key:                                 userKey(t.UserID),
			UpdateExpression:                    aws.String("SET activeTokens = activeTokens + :one"),
			ConditionExpression:                 aws.String("#status = :active AND activeTokens < :max"),
			ExpressionAttributeNames:            map[string]string{"#status": "status"},
			ExpressionAttributeValues:           values("one", 1, "active", string(pat.UserActive), "max", maxActive),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
		tok, audit,
	}
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
	if r := reasons[0]; failedCondition(r) {
		u, err := decodeUser(r.Item)
		switch {
		case err != nil || r.Item == nil:
			return fmt.Errorf("user %s vanished while creating a token", t.UserID)
		case u.Status != pat.UserActive:
			return pat.Errorf(pat.CodeUserDisabled, "your account is disabled: ask an administrator")
		default:
			return pat.Errorf(pat.CodeTokenLimit, "you have %d active tokens, the most allowed: revoke one you no longer use", maxActive)
		}
	}
	return cancelled(reasons)
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

// ListTokens queries the owner index, newest first. The cursor carries only
// the index sort key; the partition is always the caller's own.
func (s *Store) ListTokens(ctx context.Context, userID, cursor string, limit int) (pat.Page[pat.Token], error) {
	in := &dynamodb.QueryInput{
		TableName:                 &s.tokens,
		IndexName:                 aws.String(OwnerIndex),
		KeyConditionExpression:    aws.String("ownerPk = :owner"),
		ExpressionAttributeValues: values("owner", ownerIndexPK(userID)),
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(limit + 1)),
	}
	if cursor != "" {
		ownerSK, err := decodeCursor(cursor)
		_, id, _ := strings.Cut(ownerSK, "#")
		if err != nil || !token.ValidID(id) {
			return pat.Page[pat.Token]{}, errBadCursor
		}
		in.ExclusiveStartKey = tokenKey(id)
		in.ExclusiveStartKey["ownerPk"] = &types.AttributeValueMemberS{Value: ownerIndexPK(userID)}
		in.ExclusiveStartKey["ownerSk"] = &types.AttributeValueMemberS{Value: ownerSK}
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return pat.Page[pat.Token]{}, fmt.Errorf("list tokens of %s: %w", userID, err)
	}
	page := pat.Page[pat.Token]{}
	for i, item := range out.Items {
		if i == limit {
			last := page.Items[limit-1]
			page.Next = encodeCursor(ownerSort(last))
			break
		}
		t, err := decodeToken(item)
		if err != nil {
			return pat.Page[pat.Token]{}, err
		}
		page.Items = append(page.Items, t)
	}
	return page, nil
}

// UpdateToken writes name and description, unless the token was revoked
// or changed hands meanwhile.
func (s *Store) UpdateToken(ctx context.Context, t pat.Token, ev pat.Event) error {
	audit, err := s.putEvent(ev)
	if err != nil {
		return err
	}
	reasons, err := s.transact(ctx, []types.TransactWriteItem{
		{Update: &types.Update{
			TableName:                           &s.tokens,
			Key:                                 tokenKey(t.ID),
			UpdateExpression:                    aws.String("SET #name = :name, description = :desc"),
			ConditionExpression:                 aws.String("userId = :user AND #status <> :revoked"),
			ExpressionAttributeNames:            map[string]string{"#name": "name", "#status": "status"},
			ExpressionAttributeValues:           values("name", t.Name, "desc", t.Description, "user", t.UserID, "revoked", string(pat.StatusRevoked)),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
		audit,
	})
	if err != nil || reasons == nil {
		return err
	}
	if failedCondition(reasons[0]) {
		return tokenConditionError(reasons[0].Item, t.UserID)
	}
	return cancelled(reasons)
}

// RotateToken revokes old and stores replacement only if old is still
// active, so that of concurrent rotations exactly one wins.
func (s *Store) RotateToken(ctx context.Context, old, replacement pat.Token, events []pat.Event) error {
	tok, err := s.putToken(replacement)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{
		{Update: &types.Update{
			TableName:                 &s.tokens,
			Key:                       tokenKey(old.ID),
			UpdateExpression:          aws.String("SET #status = :revoked, revokedAt = :at, replacedBy = :by, #ttl = :ttl REMOVE dueDay, dueAt"),
			ConditionExpression:       aws.String("userId = :user AND #status = :active"),
			ExpressionAttributeNames:  map[string]string{"#status": "status", "#ttl": "ttl"},
			ExpressionAttributeValues: values("revoked", string(pat.StatusRevoked), "active", string(pat.StatusActive), "at", formatTime(*old.RevokedAt), "by", replacement.ID, "ttl", old.DeleteAfter.Unix(), "user", old.UserID),
		}},
		tok,
	}
	for _, ev := range events {
		audit, err := s.putEvent(ev)
		if err != nil {
			return err
		}
		items = append(items, audit)
	}
	reasons, err := s.transact(ctx, items)
	if err != nil || reasons == nil {
		return err
	}
	if failedCondition(reasons[0]) {
		return pat.Errorf(pat.CodeConflict, "token %s was rotated or revoked meanwhile", old.ID)
	}
	return cancelled(reasons)
}

// ListEvents queries a token's audit trail, oldest first.
func (s *Store) ListEvents(ctx context.Context, tokenID, cursor string, limit int) (pat.Page[pat.Event], error) {
	in := &dynamodb.QueryInput{
		TableName:                 &s.audit,
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: values("pk", auditPK(pat.Event{TokenID: tokenID})),
		ConsistentRead:            aws.Bool(true),
		Limit:                     aws.Int32(int32(limit + 1)),
	}
	if cursor != "" {
		sk, err := decodeCursor(cursor)
		if err != nil {
			return pat.Page[pat.Event]{}, errBadCursor
		}
		in.ExclusiveStartKey = map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: auditPK(pat.Event{TokenID: tokenID})}, "sk": &types.AttributeValueMemberS{Value: sk}}
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return pat.Page[pat.Event]{}, fmt.Errorf("list events of %s: %w", tokenID, err)
	}
	page := pat.Page[pat.Event]{}
	for i, item := range out.Items {
		if i == limit {
			page.Next = encodeCursor(eventSort(page.Items[limit-1]))
			break
		}
		ev, err := decodeEvent(item)
		if err != nil {
			return pat.Page[pat.Event]{}, err
		}
		page.Items = append(page.Items, ev)
	}
	return page, nil
}

func (s *Store) putToken(t pat.Token) (types.TransactWriteItem, error) {
	item, err := TokenItem(t)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: &s.tokens, Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")}}, nil
}

// TokenItem is a token as the tokens table stores it, for bulk loads
// (BatchWriteItem) such as imports and the lifecycle benchmark.
func TokenItem(t pat.Token) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMap(encodeToken(t))
	if err != nil {
		return nil, fmt.Errorf("encode token: %w", err)
	}
	return item, nil
}

// putEvent writes an audit record once: it can never overwrite another.
func (s *Store) putEvent(ev pat.Event) (types.TransactWriteItem, error) {
	item, err := attributevalue.MarshalMap(encodeEvent(ev))
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode event: %w", err)
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: &s.audit, Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")}}, nil
}

// transact runs a transaction. A cancellation is returned as its reasons
// (nil error) for the caller to explain; any other failure as an error.
func (s *Store) transact(ctx context.Context, items []types.TransactWriteItem) ([]types.CancellationReason, error) {
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if tce, ok := errors.AsType[*types.TransactionCanceledException](err); ok {
		if len(tce.CancellationReasons) == 0 {
			return nil, fmt.Errorf("transaction cancelled without reasons: %w", err)
		}
		return tce.CancellationReasons, nil
	}
	if err != nil {
		return nil, fmt.Errorf("transaction: %w", err)
	}
	return nil, nil
}

// cancelled explains a cancellation no caller-specific condition explains.
func cancelled(reasons []types.CancellationReason) error {
	for _, r := range reasons {
		if aws.ToString(r.Code) == "TransactionConflict" {
			return pat.Errorf(pat.CodeConflict, "the token is being changed by another request; try again")
		}
	}
	codes := make([]string, len(reasons))
	for i, r := range reasons {
		codes[i] = aws.ToString(r.Code)
	}
	return fmt.Errorf("transaction cancelled: %s", strings.Join(codes, ","))
}

func failedCondition(r types.CancellationReason) bool {
	return aws.ToString(r.Code) == "ConditionalCheckFailed"
}

// tokenConditionError explains why a condition on the user's token failed,
// from the item as it was.
func tokenConditionError(item map[string]types.AttributeValue, userID string) error {
	if item == nil {
		return pat.ErrNotFound
	}
	t, err := decodeToken(item)
	if err != nil {
		return err
	}
	if t.UserID != userID {
		return pat.ErrNotFound
	}
	return pat.Errorf(pat.CodeTokenNotActive, "token %s is %s", t.ID, t.Status)
}

var errBadCursor = pat.Errorf(pat.CodeInvalid, "cursor: not a cursor this list returned")

func encodeCursor(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func decodeCursor(c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) == 0 || len(b) > 200 {
		return "", errBadCursor
	}
	return string(b), nil
}

func hasCode(err error, codes ...string) bool {
	if apiErr, ok := errors.AsType[smithy.APIError](err); ok {
		for _, c := range codes {
			if apiErr.ErrorCode() == c {
				return true
			}
		}
	}
	return false
}

func values(kv ...any) map[string]types.AttributeValue {
	out := make(map[string]types.AttributeValue, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		var v types.AttributeValue
		switch x := kv[i+1].(type) {
		case string:
			v = &types.AttributeValueMemberS{Value: x}
		case int:
			v = &types.AttributeValueMemberN{Value: fmt.Sprint(x)}
		case int64:
			v = &types.AttributeValueMemberN{Value: fmt.Sprint(x)}
		default:
			panic(fmt.Sprintf("values: unsupported %T", x))
		}
		out[":"+kv[i].(string)] = v
	}
	return out
}

// ExtendToken writes the token's activity, expiry and schedule unless it
// was revoked or expired meanwhile; a link is consumed in the same
// transaction.
func (s *Store) ExtendToken(ctx context.Context, t pat.Token, ev pat.Event, link *pat.KeepLink) error {
	audit, err := s.putEvent(ev)
	if err != nil {
		return err
	}
	vals := values("at", formatTime(*t.ExtendedAt), "user", t.UserID, "active", string(pat.StatusActive), "locked", string(pat.StatusLocked))
	set, remove := []string{"extendedAt = :at"}, []string{}
	if t.ExpiresAt != nil {
		set = append(set, "expiresAt = :exp", "#ttl = :ttl")
		maps.Copy(vals, values("exp", formatTime(*t.ExpiresAt), "ttl", t.DeleteAfter.Unix()))
	}
	set, remove = scheduleClauses(t.DueAt, set, remove, vals)
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName:                           &s.tokens,
		Key:                                 tokenKey(t.ID),
		UpdateExpression:                    updateExpression(set, remove),
		ConditionExpression:                 aws.String("userId = :user AND (#status = :active OR #status = :locked)"),
		ExpressionAttributeNames:            map[string]string{"#status": "status", "#ttl": "ttl"},
		ExpressionAttributeValues:           vals,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}, audit}
	if link != nil {
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName:                 &s.tokens,
			Key:                       linkKey(link.Digest),
			UpdateExpression:          aws.String("SET usedAt = :at"),
			ConditionExpression:       aws.String("attribute_not_exists(usedAt) AND expiresAt > :at AND tokenId = :token"),
			ExpressionAttributeValues: values("at", formatTime(*t.ExtendedAt), "token", t.ID),
		}})
	}
	reasons, err := s.transact(ctx, items)
	if err != nil || reasons == nil {
		return err
	}
	if failedCondition(reasons[0]) {
		return tokenConditionError(reasons[0].Item, t.UserID)
	}
	if link != nil && failedCondition(reasons[2]) {
		return pat.Errorf(pat.CodeConflict, "the link was used meanwhile")
	}
	return cancelled(reasons)
}

// PutKeepLink stores a link under the digest of its code.
func (s *Store) PutKeepLink(ctx context.Context, l pat.KeepLink) error {
	key := linkKey(l.Digest)
	item, err := attributevalue.MarshalMap(keepLinkItem{
		PK: key["pk"].(*types.AttributeValueMemberS).Value, SK: "LINK", TokenID: l.TokenID, UserID: l.UserID,
		Purpose: l.Purpose, ExpiresAt: formatTime(l.ExpiresAt), TTL: l.ExpiresAt.Add(7 * 24 * time.Hour).Unix(),
	})
	if err != nil {
		return fmt.Errorf("encode keep link: %w", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.tokens, Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")})
	if err != nil {
		return fmt.Errorf("put keep link: %w", err)
	}
	return nil
}

// GetKeepLink reads a link, strongly consistent.
func (s *Store) GetKeepLink(ctx context.Context, digest []byte) (pat.KeepLink, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.tokens, Key: linkKey(digest), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return pat.KeepLink{}, fmt.Errorf("get keep link: %w", err)
	}
	if out.Item == nil {
		return pat.KeepLink{}, pat.Errorf(pat.CodeNotFound, "no such link")
	}
	var it keepLinkItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return pat.KeepLink{}, fmt.Errorf("decode keep link: %w", err)
	}
	expires, err1 := time.Parse(timeLayout, it.ExpiresAt)
	used, err2 := parseOptional(it.UsedAt)
	if err := errors.Join(err1, err2); err != nil {
		return pat.KeepLink{}, fmt.Errorf("decode keep link: %w", err)
	}
	return pat.KeepLink{Digest: digest, TokenID: it.TokenID, UserID: it.UserID, Purpose: it.Purpose, ExpiresAt: expires, UsedAt: used}, nil
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

func updateExpression(set, remove []string) *string {
	var parts []string
	if len(set) > 0 {
		parts = append(parts, "SET "+strings.Join(set, ", "))
	}
	if len(remove) > 0 {
		parts = append(parts, "REMOVE "+strings.Join(remove, ", "))
	}
	return aws.String(strings.Join(parts, " "))
}
