package dynamo

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/pat"
)

// RevokeLeaked: see pat.TokenStore. One transaction: the token revoked
// (from active or locked), its owner's count, the notices, the event.
func (s *Store) RevokeLeaked(ctx context.Context, t pat.Token, ev pat.Event, notices []pat.Notice) error {
	writes := []write{
		{item: s.revoke(t, ""), failed: failWith(pat.Errorf(pat.CodeTokenNotActive, "token %s was revoked or deleted meanwhile", t.ID))},
		s.releaseSlots(t.UserID, []string{t.ID}),
		s.useTTL(t),
	}
	for _, n := range notices {
		w, err := s.putNotice(n, ev.Time)
		if err != nil {
			return err
		}
		writes = append(writes, w)
	}
	return s.audited(ctx, []pat.Event{ev}, writes...)
}

// leakReportKey keys a scanner's report by the digest of its body.
func leakReportKey(digest []byte) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "LEAKREPORT#" + hex.EncodeToString(digest)}, "sk": &types.AttributeValueMemberS{Value: "LEAKREPORT"}}
}

// LeakReportSeen: see pat.LeakReportStore.
func (s *Store) LeakReportSeen(ctx context.Context, digest []byte) (bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.tokens, Key: leakReportKey(digest), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return false, fmt.Errorf("read leak report: %w", err)
	}
	return out.Item != nil, nil
}

// RecordLeakReport: see pat.LeakReportStore. The item holds nothing but
// its key (a digest of the body, which names no token) and its TTL.
func (s *Store) RecordLeakReport(ctx context.Context, digest []byte, expires time.Time) error {
	item := leakReportKey(digest)
	item["ttl"] = &types.AttributeValueMemberN{Value: fmt.Sprint(expires.Unix())}
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.tokens, Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")})
	_, err = conditional(err, "record leak report") // recorded already, by a copy sent at once: kept
	return err
}
