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

// AuthAPI is the part of the DynamoDB client the authorizer uses: a read
// per decision, the last-use write, and the rare transaction of a reuse
// report (ReportReuse). The template grants it exactly what these write.
type AuthAPI interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// AuthReader is the authorizer's reader on the tokens table, and its
// writer of reuse reports on the tokens and audit tables.
type AuthReader struct {
	db    AuthAPI
	table string
	// items builds the report's writes as the store builds its own; it
	// has no client.
	items *Store
}

// NewAuthReader returns the authorizer's reader of the tokens table; the
// audit table takes its reuse reports.
func NewAuthReader(db AuthAPI, tokensTable, auditTable string) *AuthReader {
	return &AuthReader{db: db, table: tokensTable, items: &Store{tokens: tokensTable, audit: auditTable}}
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
// recorded (a concurrent request wrote it) or the token is gone, and moves
// the token in the last-use order (recordUseEntry), the two writes in
// parallel, so that the refresh takes as long as one.
func (r *AuthReader) RecordUse(ctx context.Context, tokenID string, use pat.Use, notBefore time.Time) error {
	at := formatTime(use.At)
	entry := make(chan error, 1)
	go func() { entry <- r.recordUseEntry(ctx, tokenID, at) }()
	_, err := r.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &r.table,
		Key:                       tokenKey(tokenID),
		UpdateExpression:          aws.String("SET lastUsedAt = :at, lastUsedIp = :ip, lastUsedUserAgent = :ua"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :notBefore)"),
		ExpressionAttributeValues: values("at", at, "ip", use.SourceIP, "ua", use.UserAgent, "notBefore", formatTime(notBefore)),
	})
	if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
		err = nil
	}
	if err != nil {
		err = fmt.Errorf("record use of %s: %w", tokenID, err)
	}
	return errors.Join(err, <-entry)
}

// errReplacementDead: the replacement a reuse report would revoke is
// revoked, expired or gone already.
var errReplacementDead = errors.New("the replacement is not live")

// ReportReuse writes the report of a replaced token's use after its end
// (pat.ReuseReport), once per token per pat.ReusePeriod: the report's time
// on the token, only if none is as recent, with its audit event, the
// owner's notice (as data, sent by the lifecycle job) and, when
// the rotation asked for it, the replacement's revocation, in one
// transaction. The authorizer never writes a token's status: it revokes
// the replacement with a mark (revokedOnReuseAt) that the authorizer and
// the service read as revoked, and puts it in the due index, where the
// lifecycle job ends it for good and frees its place in its owner's cap.
// A replacement already revoked (marked or not) is not marked again: the
// report is written without it. false: a report as recent is there
// already, and nothing was written.
func (r *AuthReader) ReportReuse(ctx context.Context, rep pat.ReuseReport) (bool, error) {
	t := rep.Token
	report := write{item: r.items.update(tokenKey(t.ID), "SET reuseReportedAt = :at",
		"replacedBy = :by AND (attribute_not_exists(reuseReportedAt) OR reuseReportedAt <= :since)", nil,
		values("at", formatTime(rep.At), "since", formatTime(rep.Since), "by", t.ReplacedBy)), failed: failWith(errNotApplied)}
	audit, err := r.items.putEvent(rep.Event)
	if err != nil {
		return false, err
	}
	// The owner's notice says whether the replacement was revoked: written
	// again without the revocation when the replacement is dead already.
	notice := func(revoked bool) (write, error) {
		n := rep.Notice
		if n.Reuse != nil {
			reuse := *n.Reuse
			reuse.ReplacementRevoked = revoked
			n.Reuse = &reuse
		}
		return r.items.putNotice(n, rep.At)
	}
	mail, err := notice(rep.Revocation != nil)
	if err != nil {
		return false, err
	}
	writes := []write{report, audit, mail}
	if rep.Revocation != nil {
		ev, err := r.items.putEvent(*rep.Revocation)
		if err != nil {
			return false, err
		}
		day, when := dueKeys(&rep.At)
		mark := r.items.update(tokenKey(t.ReplacedBy), "SET revokedOnReuseAt = :at, revokedAt = :at, dueDay = :day, dueAt = :at",
			"userId = :user AND attribute_not_exists(revokedAt) AND attribute_not_exists(revokedOnReuseAt) AND (attribute_not_exists(expiresAt) OR expiresAt > :at)", nil,
			values("at", when, "day", day, "user", t.UserID))
		writes = append(writes, write{item: mark, failed: failWith(errReplacementDead)}, ev)
	}
	err = transact(ctx, r.db, writes)
	if errors.Is(err, errReplacementDead) {
		if writes[2], err = notice(false); err != nil {
			return false, err
		}
		err = transact(ctx, r.db, writes[:3])
	}
	switch {
	case errors.Is(err, errNotApplied):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("report reuse of %s: %w", t.ID, err)
	}
	return true, nil
}
