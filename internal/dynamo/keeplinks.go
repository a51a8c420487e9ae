package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/pat"
)

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

// useKeepLink consumes a link at at in the transaction that extends its
// token: once, before it expires, and only for its own token.
func (s *Store) useKeepLink(l pat.KeepLink, tokenID string, at time.Time) write {
	return write{item: s.update(linkKey(l.Digest), "SET usedAt = :at", "attribute_not_exists(usedAt) AND expiresAt > :at AND tokenId = :token",
		nil, values("at", formatTime(at), "token", tokenID)),
		failed: failWith(pat.Errorf(pat.CodeConflict, "the link was used meanwhile"))}
}

// useRevokeLink consumes a "this was not me" link in the transaction that
// revokes its token, under useKeepLink's conditions; a link used meanwhile
// is not found, which no retry changes.
func (s *Store) useRevokeLink(l pat.KeepLink, tokenID string, at time.Time) write {
	w := s.useKeepLink(l, tokenID, at)
	w.failed = failWith(pat.Errorf(pat.CodeNotFound, "the link was used meanwhile"))
	return w
}
