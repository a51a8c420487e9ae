package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/token"
)

// AuthAPI is the part of the DynamoDB client the authorizer uses: the
// template grants it exactly these two actions.
type AuthAPI interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// AuthReader is the authorizer's reader on the tokens table.
type AuthReader struct {
	db    AuthAPI
	table string
}

// NewAuthReader returns the authorizer's reader of the tokens table.
func NewAuthReader(db AuthAPI, table string) *AuthReader {
	return &AuthReader{db: db, table: table}
}

// TokenAndOwner reads the token with one strongly consistent GetItem: one
// read unit per decision. The token carries its owner's state, rewritten in
// the same transaction as every change of the owner (see setOwner), so the
// owner's item need not be read. A token created before the state was kept
// (Owner.Rev 0), until the lifecycle job's backfill gives it the copy
// (BackfillOwnerStates), has its owner read as well, by a second
// consistent read; but not a revoked, locked or expired one, which is
// refused whatever its owner.
func (r *AuthReader) TokenAndOwner(ctx context.Context, p token.Parsed) (pat.TokenOwner, error) {
	item, err := r.get(ctx, tokenKey(p.ID))
	if err != nil || item == nil {
		return pat.TokenOwner{}, err
	}
	t, err := decodeToken(item)
	if err != nil {
		return pat.TokenOwner{}, err
	}
	if t.Owner.Rev > 0 {
		return pat.TokenOwner{Token: &t, Owner: &pat.User{ID: t.UserID, Status: t.Owner.Status, Permissions: t.Owner.Scopes}}, nil
	}
	if t.Status != pat.StatusActive {
		return pat.TokenOwner{Token: &t}, nil
	}
	item, err = r.get(ctx, ownerKey(p.OwnerTag()))
	if err != nil || item == nil {
		return pat.TokenOwner{Token: &t}, err
	}
	u, err := decodeUser(item)
	if err != nil {
		return pat.TokenOwner{}, err
	}
	return pat.TokenOwner{Token: &t, Owner: &u}, nil
}

func (r *AuthReader) get(ctx context.Context, key map[string]types.AttributeValue) (map[string]types.AttributeValue, error) {
	out, err := r.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &r.table, Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("get item: %w", err)
	}
	return out.Item, nil
}

// RecordUse sets the last use unless a use at or after notBefore is already
// recorded (a concurrent request wrote it) or the token is gone.
func (r *AuthReader) RecordUse(ctx context.Context, tokenID string, use pat.Use, notBefore time.Time) error {
	_, err := r.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &r.table,
		Key:                       tokenKey(tokenID),
		UpdateExpression:          aws.String("SET lastUsedAt = :at, lastUsedIp = :ip, lastUsedUserAgent = :ua"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :notBefore)"),
		ExpressionAttributeValues: values("at", formatTime(use.At), "ip", use.SourceIP, "ua", use.UserAgent, "notBefore", formatTime(notBefore)),
	})
	if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
		return nil
	}
	if err != nil {
		return fmt.Errorf("record use of %s: %w", tokenID, err)
	}
	return nil
}
