// Package dynamo is the DynamoDB adapter: it implements the domain's
// stores (pat.Stores), the lifecycle job's store and the mail outbox on the
// tokens and audit tables defined in templates/data.yaml, and the authorizer's
// one-request reader (authreader.go).
//
// Every transaction goes through one helper (tx.go), every list through one
// pager (pager.go), and every cursor it hands out through one codec
// (cursor.go). DynamoDB's limits stay here (limits.go): the domain asks to
// revoke any number of tokens, and this package cuts them into
// transactions (revocation.go).
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/patservice/pat/internal/pat"
)

// API is the part of the DynamoDB client the store uses; tests wrap it to
// inject failures that DynamoDB Local cannot produce.
type API interface {
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Store implements every pat store (Stores), lifecycle.Store and mail.Outbox.
type Store struct {
	db      API
	tokens  string
	audit   string
	cursors cursorCodec
	now     func() time.Time
}

// NewStore returns a store over the named tokens and audit tables. Its
// cursors are sealed with a random key until SetCursorKey or
// SetCursorKeys gives it the stack's: enough for a cursor that never leaves the process (the job's,
// revoke-all's, a test's), not for a list function, whose cursors come back
// to another instance (config requires CURSOR_KEY_SECRET_ARN for them).
func NewStore(db API, tokensTable, auditTable string) *Store {
	return &Store{db: db, tokens: tokensTable, audit: auditTable, cursors: cursorCodec{keys: StaticCursorKeys{randomKey()}}, now: time.Now}
}

// Stores is the store as each of the domain's stores.
func (s *Store) Stores() pat.Stores {
	return pat.Stores{Tokens: s, Revocable: s, Users: s, Audit: s, KeepLinks: s, LeakReports: s, Directory: s}
}

// SetCursorKey makes the store seal and open cursors with key (at least
// pat.MinCursorKeyLen bytes), so that every instance accepts the cursors of any.
func (s *Store) SetCursorKey(key []byte) error {
	if len(key) < pat.MinCursorKeyLen {
		return fmt.Errorf("cursor key: %d bytes, want at least %d", len(key), pat.MinCursorKeyLen)
	}
	s.cursors = cursorCodec{keys: StaticCursorKeys{key}}
	return nil
}

// SetCursorKeys makes the store seal cursors with the ring's current key
// and accept those of any of its keys: a rotated key keeps the cursors
// handed out before the rotation working.
func (s *Store) SetCursorKeys(keys CursorKeys) {
	s.cursors = cursorCodec{keys: keys}
}

// conditional turns a failed condition of a single write into false, and
// any other error into an error.
func conditional(err error, what string) (bool, error) {
	if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	return true, nil
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

// values builds ExpressionAttributeValues from name, value pairs.
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

func updateExpression(set, remove []string) string {
	var parts []string
	if len(set) > 0 {
		parts = append(parts, "SET "+strings.Join(set, ", "))
	}
	if len(remove) > 0 {
		parts = append(parts, "REMOVE "+strings.Join(remove, ", "))
	}
	return strings.Join(parts, " ")
}

// update is a transaction's write of one item of the tokens table: expr,
// if cond holds ("" for always).
func (s *Store) update(key map[string]types.AttributeValue, expr, cond string, names map[string]string, vals map[string]types.AttributeValue) types.TransactWriteItem {
	u := &types.Update{TableName: &s.tokens, Key: key, UpdateExpression: aws.String(expr), ExpressionAttributeNames: names, ExpressionAttributeValues: vals}
	if cond != "" {
		u.ConditionExpression = aws.String(cond)
	}
	return types.TransactWriteItem{Update: u}
}
