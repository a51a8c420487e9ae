package dynamo

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/pat"
)

// The all-tokens list: every token item carries listPk tokensByCreated and
// listSk <created>#<id> (ownerSort), so the administrators' list without
// an owner is one Query of one partition of ListIndex, newest first. The
// status is a filter on the projected status and expiry, not a partition:
// a revocation, a lock or the job's expiry then changes no key (the index
// rewrites the entry, 1 WCU, as it does for any projected attribute), an
// expiry by time needs no write at all (the filter compares expiresAt with
// the request's time), and the unfiltered list stays one partition. The
// price is that a filter for a rare status reads past the tokens it drops
// (at most maxListRequests requests of listBatch items a page; a page may
// come back short, with a cursor to go on).
const tokensByCreated = "TOK#created"

// CountCap is where the all-tokens list stops counting: above it, the
// total says "more than CountCap".
const CountCap = 1000

// countRequests bounds the requests of one count: each reads at most 1 MB
// of the index (128 read units, eventually consistent).
const countRequests = 4

// allTokensQuery reads the all-tokens partition of the list index, newest
// first, filtered by conds.
func (s *Store) allTokensQuery(conds []string, names map[string]string, vals map[string]types.AttributeValue) query {
	in := &dynamodb.QueryInput{TableName: &s.tokens, IndexName: aws.String(ListIndex), KeyConditionExpression: aws.String("listPk = :part"),
		ExpressionAttributeValues: mergeValues(values("part", tokensByCreated), vals), ScanIndexForward: aws.Bool(false)}
	if len(names) > 0 {
		in.ExpressionAttributeNames = names
	}
	if len(conds) > 0 {
		in.FilterExpression = aws.String(strings.Join(conds, " AND "))
	}
	return query{in: in, indexKeys: listIndexKeys, requests: maxListRequests}
}

// countTokens counts what q selects with Select=COUNT, up to CountCap:
// DynamoDB reads (and bills) every item it evaluates, so a count stops
// once it passes the cap or after countRequests requests, and then says
// "more than" what it saw.
func (s *Store) countTokens(ctx context.Context, q query) (*pat.Total, error) {
	in := *q.in
	in.Select, in.ExclusiveStartKey = types.SelectCount, nil
	if in.FilterExpression == nil {
		in.Limit = aws.Int32(CountCap + 1) // no filter: every item evaluated is counted
	}
	total := &pat.Total{}
	last, _, err := s.pages(ctx, &in, countRequests, func(out *dynamodb.QueryOutput) bool {
		total.Count += int(out.Count)
		return total.Count <= CountCap
	})
	if err != nil {
		return nil, fmt.Errorf("count tokens: %w", err)
	}
	switch {
	case total.Count > CountCap:
		total.Count, total.More = CountCap, true
	case last != nil:
		total.More = true // the requests ran out first
	}
	return total, nil
}

var listBackfillKey = map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "JOB#lifecycle"}, "sk": &types.AttributeValueMemberS{Value: "BACKFILL#lists"}}

// BackfillLists goes on with the list backfill for at most budget items
// scanned (pages of at most pageSize), or until ctx is done: it gives the
// tokens and users recorded before ListIndex their entries in it (a token
// its place in the all-tokens list, a user theirs in the directory,
// writeDirectory), every token its entry in the last-use order
// (tokenuse.go) and a token with an expiry its entry in the expiry order
// (tokenexpiry.go). It keeps its position in the job's state item, as the
// owner-state backfill does, and saves it even when it fails. Resumable
// and idempotent: a user with listPk is not selected again, and a token's
// entries are written only while it has none (a use or an extension
// meanwhile has written the newer one).
func (s *Store) BackfillLists(ctx context.Context, budget, pageSize int) (pat.ListBackfill, error) {
	var res pat.ListBackfill
	scanned, done, err := s.resumableScan(ctx, listBackfillKey, budget, pageSize,
		"sk = :token OR (sk = :user AND attribute_not_exists(listPk))", nil,
		values("token", "TOKEN", "user", "USER"),
		func(item map[string]types.AttributeValue) error { return s.backfillItem(ctx, item, &res) })
	res.Scanned, res.Done = scanned, done
	return res, err
}

// backfillItem writes one scanned item's list entry.
func (s *Store) backfillItem(ctx context.Context, item map[string]types.AttributeValue, res *pat.ListBackfill) error {
	if attrString(item, "sk") == "USER" {
		u, err := decodeUser(item)
		if err != nil {
			return err
		}
		if err := s.writeDirectory(ctx, u.ID, u.Name, u.Email); err != nil {
			return err
		}
		res.Users++
		return nil
	}
	t, err := decodeToken(item)
	if err != nil {
		return err
	}
	if err := s.backfillExpiry(ctx, t, res); err != nil {
		return err
	}
	if err := s.backfillUse(ctx, t, res); err != nil {
		return err
	}
	if attrString(item, "listPk") != "" {
		return nil
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.tokens, Key: tokenKey(t.ID),
		UpdateExpression:          aws.String("SET listPk = :part, listSk = :sk"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND attribute_not_exists(listPk)"),
		ExpressionAttributeValues: values("part", tokensByCreated, "sk", ownerSort(t))})
	written, err := conditional(err, "backfill the list entry of token "+t.ID)
	if written {
		res.Tokens++
	}
	return err
}

// backfillUse writes t's entry in the last-use order while it has none (an
// entry with only its ttl, useTTL, counts as none). A use the authorizer
// records between the scan and this write is lost to the order until the
// token's next refresh (LAST_USED_INTERVAL_MINUTES later).
func (s *Store) backfillUse(ctx context.Context, t pat.Token, res *pat.ListBackfill) error {
	written, err := s.writeIf(ctx, s.useEntry(t), "attribute_not_exists(listPk)", "backfill the last-use entry of token "+t.ID)
	if written {
		res.Uses++
	}
	return err
}

// backfillExpiry writes t's entry in the expiry order while it has none.
func (s *Store) backfillExpiry(ctx context.Context, t pat.Token, res *pat.ListBackfill) error {
	entry := s.expiryEntry(t)
	if len(entry) == 0 {
		return nil
	}
	written, err := s.writeIf(ctx, entry[0], "attribute_not_exists(pk)", "backfill the expiry entry of token "+t.ID)
	if written {
		res.Expiries++
	}
	return err
}

// writeIf sends the update w on its own, only if cond holds (instead of
// w's condition): false when it did not.
func (s *Store) writeIf(ctx context.Context, w write, cond, what string) (bool, error) {
	u := w.item.Update
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression,
		ConditionExpression: aws.String(cond), ExpressionAttributeNames: u.ExpressionAttributeNames,
		ExpressionAttributeValues: u.ExpressionAttributeValues})
	return conditional(err, what)
}
