package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/pat"
)

// The outbox: notices to owners, written in the same transaction as the
// change they tell of, due at once in the due index, and deleted once sent.

type noticeItem struct {
	PK     string   `dynamodbav:"pk"`
	SK     string   `dynamodbav:"sk"`
	ID     string   `dynamodbav:"id"`
	UserID string   `dynamodbav:"userId"`
	Mail   mailItem `dynamodbav:"mail"`
	Claim  string   `dynamodbav:"claim,omitempty"`
	DueDay string   `dynamodbav:"dueDay"`
	DueAt  string   `dynamodbav:"dueAt"`
	TTL    int64    `dynamodbav:"ttl"`
}

// reuseItem is a reuse notice as stored: data, composed when it is sent.
type reuseItem struct {
	TokenID            string `dynamodbav:"tokenId"`
	TokenName          string `dynamodbav:"tokenName"`
	OwnerEmail         string `dynamodbav:"ownerEmail,omitempty"`
	ReplacedBy         string `dynamodbav:"replacedBy"`
	At                 string `dynamodbav:"at"`
	SourceIP           string `dynamodbav:"sourceIp,omitempty"`
	ReplacementRevoked bool   `dynamodbav:"replacementRevoked"`
}

// mailItem is a notice's message as stored, or its data (Reuse), which
// is composed when it is sent. Inside "mail", the attribute the due
// index projects, so that the job reads it from the index.
type mailItem struct {
	To      string     `dynamodbav:"to"`
	Subject string     `dynamodbav:"subject"`
	Text    string     `dynamodbav:"text"`
	HTML    string     `dynamodbav:"html"`
	Reuse   *reuseItem `dynamodbav:"reuse,omitempty"`
}

func noticeKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "NOTICE#" + id}, "sk": &types.AttributeValueMemberS{Value: "NOTICE"}}
}

// putNotice writes a notice into the outbox, due at once; unsent, it
// expires after 30 days.
func (s *Store) putNotice(n pat.Notice, now time.Time) (write, error) {
	day, when := dueKeys(&now)
	it := noticeItem{PK: "NOTICE#" + n.ID, SK: "NOTICE", ID: n.ID, UserID: n.UserID, DueDay: day, DueAt: when, TTL: now.Add(30 * 24 * time.Hour).Unix()}
	if r := n.Reuse; r != nil {
		it.Mail.Reuse = &reuseItem{TokenID: r.TokenID, TokenName: r.TokenName, OwnerEmail: r.OwnerEmail, ReplacedBy: r.ReplacedBy,
			At: formatTime(r.At), SourceIP: r.SourceIP, ReplacementRevoked: r.ReplacementRevoked}
	} else {
		it.Mail = mailItem{To: n.Message.To, Subject: n.Message.Subject, Text: n.Message.Text, HTML: n.Message.HTML}
	}
	item, err := attributevalue.MarshalMap(it)
	if err != nil {
		return write{}, fmt.Errorf("encode notice: %w", err)
	}
	return write{item: types.TransactWriteItem{Put: &types.Put{TableName: &s.tokens, Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")}}}, nil
}

func decodeNotice(item map[string]types.AttributeValue) (pat.Notice, error) {
	var it noticeItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return pat.Notice{}, fmt.Errorf("decode notice: %w", err)
	}
	n := pat.Notice{ID: it.ID, UserID: it.UserID, Claim: it.Claim}
	m := it.Mail
	if r := m.Reuse; r != nil {
		at, err := time.Parse(timeLayout, r.At)
		if err != nil {
			return pat.Notice{}, fmt.Errorf("decode reuse notice %s: %w", it.ID, err)
		}
		n.Reuse = &pat.ReuseNotice{TokenID: r.TokenID, TokenName: r.TokenName, OwnerEmail: r.OwnerEmail, ReplacedBy: r.ReplacedBy,
			At: at, SourceIP: r.SourceIP, ReplacementRevoked: r.ReplacementRevoked}
	} else {
		n.Message = pat.Message{UserID: it.UserID, To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML}
	}
	return n, nil
}

// ClaimNotice: see mail.Outbox.
func (s *Store) ClaimNotice(ctx context.Context, n pat.Notice, claim, stale string) (bool, error) {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.tokens, Key: noticeKey(n.ID),
		UpdateExpression:          aws.String("SET claim = :claim"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND (attribute_not_exists(claim) OR claim < :stale)"),
		ExpressionAttributeValues: values("claim", claim, "stale", stale),
	})
	return conditional(err, "claim notice")
}

// DeleteNotice: see mail.Outbox.
func (s *Store) DeleteNotice(ctx context.Context, n pat.Notice, claim string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.tokens, Key: noticeKey(n.ID),
		ConditionExpression: aws.String("claim = :claim"), ExpressionAttributeValues: values("claim", claim),
	})
	_, err = conditional(err, "delete notice")
	return err
}

// ReleaseNotice: see mail.Outbox.
func (s *Store) ReleaseNotice(ctx context.Context, n pat.Notice, claim string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.tokens, Key: noticeKey(n.ID),
		UpdateExpression:    aws.String("REMOVE claim"),
		ConditionExpression: aws.String("claim = :claim"), ExpressionAttributeValues: values("claim", claim),
	})
	_, err = conditional(err, "release notice")
	return err
}
