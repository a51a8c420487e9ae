package dynamo

import (
	"context"
	"fmt"
	"maps"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/pat"
)

// The all-tokens list by last use: like the expiry order (tokenexpiry.go),
// each token has a second, small item (TOKSORT#<id> / used) in the
// partition tokensByUse of ListIndex, holding the id and the token's ttl,
// keyed by its last use (useSort). The token item keeps its place in the
// list by creation, so the default list stays one Query of projected
// tokens.
//
// Writes: the entry is put in the transaction that creates a token
// (creation, the rotation's replacement), keyed "never used"; the
// authorizer moves it on the last-use refresh (AuthReader.RecordUse), at
// most once per LAST_USED_INTERVAL_MINUTES per token, in parallel with
// the token's own update, so the refresh takes no longer; nothing else
// moves it. The entry's ttl is the token's: every transaction that
// changes the token's ttl (extension, revocation, the end of a rotation)
// writes it on the entry too (useTTL), and the job's deletion of an idle
// token deletes the entry with it, so an entry never outlives its token
// for long and never leaves before it.
const (
	tokensByUse = "TOK#used"
	useSK       = "used"
	// neverUsed prefixes the place of a token never used: below every
	// time, so such tokens come last (newest first among themselves), and
	// lastUsedBefore, a key condition, keeps them.
	neverUsed = "0"
)

// useSort is t's place in the last-use order.
func useSort(t pat.Token) string {
	if t.LastUsedAt == nil {
		return neverUsed + formatTime(t.CreatedAt) + "#" + t.ID
	}
	return formatTime(*t.LastUsedAt) + "#" + t.ID
}

// useEntry writes t's place in the last-use order, with t's ttl.
func (s *Store) useEntry(t pat.Token) write { return s.sortEntry(useSK, tokensByUse, useSort(t), t) }

// useTTL gives t's entry t's new ttl, in the transaction that writes it on
// t. An entry not written yet (a token older than the order, before the
// list backfill reaches it) is created with the ttl alone, outside the
// index, and the backfill completes it.
func (s *Store) useTTL(t pat.Token) write {
	return write{item: s.update(sortKey(t.ID, useSK), "SET #ttl = :ttl", "", map[string]string{"#ttl": "ttl"}, values("ttl", t.DeleteAfter.Unix()))}
}

// deleteUse deletes t's entry with t.
func (s *Store) deleteUse(t pat.Token) write {
	return write{item: types.TransactWriteItem{Delete: &types.Delete{TableName: &s.tokens, Key: sortKey(t.ID, useSK)}}}
}

// recordUseEntry moves the entry of token id to a use at at, unless it is
// there already or later, or the entry is not written yet (the backfill
// writes it from the token). The authorizer's only write outside the
// token item.
func (r *AuthReader) recordUseEntry(ctx context.Context, id, at string) error {
	_, err := r.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &r.table,
		Key:                       sortKey(id, useSK),
		UpdateExpression:          aws.String("SET listSk = :sk"),
		ConditionExpression:       aws.String("listSk < :sk"),
		ExpressionAttributeValues: values("sk", at+"#"+id),
	})
	_, err = conditional(err, "move the last-use entry of "+id)
	return err
}

// usedTokens is one page of the all-tokens list by last use, the most
// recent first and the tokens never used last (entryPage). lastUsedBefore
// is a key condition. Like the expiry order, it gives no total.
func (s *Store) usedTokens(ctx context.Context, f pat.TokenFilter, p pat.PageRequest) (pat.Page[pat.Token], error) {
	in := &dynamodb.QueryInput{TableName: &s.tokens, IndexName: aws.String(ListIndex), KeyConditionExpression: aws.String("listPk = :used"),
		ExpressionAttributeValues: values("used", tokensByUse), ScanIndexForward: aws.Bool(false)}
	if f.LastUsedBefore != nil {
		in.KeyConditionExpression = aws.String("listPk = :used AND listSk < :before")
		maps.Copy(in.ExpressionAttributeValues, values("before", formatTime(*f.LastUsedBefore)))
	}
	page, err := s.entryPage(ctx, in, f, p)
	if err != nil {
		return page, fmt.Errorf("list all tokens by last use: %w", err)
	}
	return page, nil
}
