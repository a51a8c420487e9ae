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

// The all-tokens list by expiry: an item is in an index once, and the
// token item's place in ListIndex is its creation, so each expiring token
// has a second, small item (TOKSORT#<id> / expires) in the partition
// tokensByExpiry of ListIndex, keyed <expiresAt>#<id>, holding the id and
// the token's ttl. It is written with the token's expiry: in the
// transaction that creates a token (creation, rotation) and in the one
// that extends it, one write each (1 WCU in the table, 1 in the index;
// 2 and 2 in a transaction). A token that never expires has none and is
// not in this order. The list reads the partition soonest first and the
// page's tokens by id (one BatchGetItem); an entry whose token is gone
// (deleted by the job or its TTL before the entry's own TTL) is skipped.
const (
	tokensByExpiry = "TOK#expires"
	expirySK       = "expires"
)

// sortKey is the key of token id's entry in the order named sk.
func sortKey(id, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "TOKSORT#" + id}, "sk": &types.AttributeValueMemberS{Value: sk}}
}

// sortEntry writes t's entry in an order: its place listSk in the order's
// partition part of ListIndex, its id, and t's ttl.
func (s *Store) sortEntry(sk, part, listSk string, t pat.Token) write {
	vals := values("part", part, "sk", listSk, "id", t.ID)
	set := "SET listPk = :part, listSk = :sk, id = :id"
	names := map[string]string(nil)
	if !t.DeleteAfter.IsZero() {
		set += ", #ttl = :ttl"
		names = map[string]string{"#ttl": "ttl"}
		maps.Copy(vals, values("ttl", t.DeleteAfter.Unix()))
	}
	return write{item: s.update(sortKey(t.ID, sk), set, "", names, vals)}
}

// expiryEntry writes t's place in the expiry order, or nothing when t
// never expires.
func (s *Store) expiryEntry(t pat.Token) []write {
	if t.ExpiresAt == nil {
		return nil
	}
	return []write{s.sortEntry(expirySK, tokensByExpiry, formatTime(*t.ExpiresAt)+"#"+t.ID, t)}
}

// expiringTokens is one page of the all-tokens list by expiry, soonest
// first (entryPage). It gives no total: the partition also holds the
// entries of tokens already gone (a revoked token is deleted after the
// retention period, its entry at the expiry's TTL), which a count of the
// index would count.
func (s *Store) expiringTokens(ctx context.Context, f pat.TokenFilter, p pat.PageRequest) (pat.Page[pat.Token], error) {
	// The key condition names its own partition: a cursor of the list by
	// creation is refused here (query.id).
	in := &dynamodb.QueryInput{TableName: &s.tokens, IndexName: aws.String(ListIndex), KeyConditionExpression: aws.String("listPk = :expiring"),
		ExpressionAttributeValues: values("expiring", tokensByExpiry), ScanIndexForward: aws.Bool(true)}
	if f.ExpiringBefore != nil {
		in.KeyConditionExpression = aws.String("listPk = :expiring AND listSk < :before")
		maps.Copy(in.ExpressionAttributeValues, values("before", formatTime(*f.ExpiringBefore)))
	}
	return s.entryPage(ctx, in, f, p)
}

// entryPage is one page of an order kept in entries (TOKSORT#<id> items
// holding the id): one Query of the entries' partition (a page and one
// entry more) and one BatchGetItem of the page's tokens. The status is
// judged on the tokens read (the entries do not carry it), so a page with
// a status filter may come back short, with a cursor to go on; an entry
// whose token is gone is skipped.
func (s *Store) entryPage(ctx context.Context, in *dynamodb.QueryInput, f pat.TokenFilter, p pat.PageRequest) (pat.Page[pat.Token], error) {
	q := query{in: in, indexKeys: listIndexKeys, batch: int32(p.Limit + 1), requests: 1}
	page, err := listPage(ctx, s, q, p, func(item map[string]types.AttributeValue) (string, error) { return attrString(item, "id"), nil })
	if err != nil {
		return pat.Page[pat.Token]{}, err
	}
	tokens, err := s.tokensByID(ctx, page.Items, false)
	if err != nil {
		return pat.Page[pat.Token]{}, err
	}
	out := pat.Page[pat.Token]{Next: page.Next, Items: make([]pat.Token, 0, len(tokens))}
	for _, id := range page.Items {
		t, ok := tokens[id]
		if !ok || !matches(t, f) {
			continue
		}
		t.Digest = nil // an administrator's view never carries it
		out.Items = append(out.Items, t)
	}
	return out, nil
}

// matches applies the filters an order's entries cannot: the status as
// users see it, the last use and the expiry (each order has one of the
// two as its key condition, which this repeats harmlessly).
func matches(t pat.Token, f pat.TokenFilter) bool {
	if f.Status != "" && t.StatusAt(f.Now) != f.Status {
		return false
	}
	if f.ExpiringBefore != nil && (t.ExpiresAt == nil || !t.ExpiresAt.Before(*f.ExpiringBefore)) {
		return false
	}
	return f.LastUsedBefore == nil || t.LastUsedAt == nil || t.LastUsedAt.Before(*f.LastUsedBefore)
}

// tokensByID reads a page of tokens by id: eventually consistent, like
// the index that named them, unless consistent. A token gone is missing
// from the map.
func (s *Store) tokensByID(ctx context.Context, ids []string, consistent bool) (map[string]pat.Token, error) {
	out := make(map[string]pat.Token, len(ids))
	for start := 0; start < len(ids); start += maxBatchGet {
		keys := make([]map[string]types.AttributeValue, 0, maxBatchGet)
		for _, id := range ids[start:min(start+maxBatchGet, len(ids))] {
			keys = append(keys, tokenKey(id))
		}
		err := s.batchGet(ctx, keys, nil, consistent, func(item map[string]types.AttributeValue) error {
			t, err := decodeToken(item)
			out[t.ID] = t
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("read tokens: %w", err)
		}
	}
	return out, nil
}
