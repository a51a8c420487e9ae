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
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
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

// TokenAndOwner reads the token and the owner its id names in one strongly
// consistent BatchGetItem. Keys DynamoDB leaves unprocessed (throttling) are
// asked for once more; if they still are, the read fails: never a guess.
func (r *AuthReader) TokenAndOwner(ctx context.Context, p token.Parsed) (pat.TokenOwner, error) {
	keys := []map[string]types.AttributeValue{tokenKey(p.ID), ownerKey(p.OwnerTag())}
	var rec pat.TokenOwner
	for attempt := 0; len(keys) > 0; attempt++ {
		if attempt == 2 {
			return pat.TokenOwner{}, errors.New("batch get: keys left unprocessed twice")
		}
		out, err := r.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
			r.table: {Keys: keys, ConsistentRead: aws.Bool(true)},
		}})
		if err != nil {
			return pat.TokenOwner{}, fmt.Errorf("batch get: %w", err)
		}
		for _, item := range out.Responses[r.table] {
			if err := addToRecord(&rec, item); err != nil {
				return pat.TokenOwner{}, err
			}
		}
		keys = out.UnprocessedKeys[r.table].Keys
	}
	return rec, nil
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

// addToRecord places a token or user item of a BatchGetItem answer.
func addToRecord(rec *pat.TokenOwner, item map[string]types.AttributeValue) error {
	sk, _ := item["sk"].(*types.AttributeValueMemberS)
	switch {
	case sk != nil && sk.Value == "TOKEN":
		t, err := decodeToken(item)
		if err != nil {
			return err
		}
		rec.Token = &t
	case sk != nil && sk.Value == "USER":
		u, err := decodeUser(item)
		if err != nil {
			return err
		}
		rec.Owner = &u
	default:
		return errors.New("batch get: an item that is neither token nor user")
	}
	return nil
}
