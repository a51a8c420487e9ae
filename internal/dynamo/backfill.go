package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/pat"
)

// The owner-state backfill gives each live token written before tokens
// carried a copy of their owner's state (no ownerRev) that copy, so that
// the authorizer decides on it with one read (AuthReader.TokenAndOwner)
// instead of two. It scans the tokens table a page at a time and keeps its
// position in the job's state item, so that a run does a bounded part and
// the next goes on from there; once a scan reaches the end it is done, and
// later runs cost one read. Each token is copied in one transaction with
// its owner's record, as a change of the owner does (setOwner): only while
// the owner is at the revision copied and no change of it is under way,
// and the token joins the owner's live tokens, so that every later change
// of the owner rewrites its copy too. A token copied meanwhile, revoked,
// or whose owner changed is left alone: copying is idempotent.

var backfillKey = map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "JOB#lifecycle"}, "sk": &types.AttributeValueMemberS{Value: "BACKFILL#owner-state"}}

// errBackfillSkipped: the token or its owner changed since they were read;
// a later pass (or the change itself) sees to it.
var errBackfillSkipped = errors.New("changed meanwhile")

// BackfillOwnerStates goes on with the backfill for at most budget items
// scanned (whole pages of at most pageSize), or until ctx is done. It
// saves where it stopped even when it fails.
func (s *Store) BackfillOwnerStates(ctx context.Context, budget, pageSize int) (pat.Backfill, error) {
	var res pat.Backfill
	scanned, done, err := s.resumableScan(ctx, backfillKey, budget, pageSize,
		"sk = :token AND attribute_not_exists(ownerRev) AND #status IN (:active, :locked)", map[string]string{"#status": "status"},
		values("token", "TOKEN", "active", string(pat.StatusActive), "locked", string(pat.StatusLocked)),
		func(item map[string]types.AttributeValue) error {
			t, err := decodeToken(item)
			if err != nil {
				return err
			}
			copied, err := s.copyOwnerState(ctx, t)
			switch {
			case errors.Is(err, pat.ErrUserNotFound):
				res.Orphans++ // no owner record: the authorizer refuses it whatever it carries
			case errors.Is(err, errBackfillSkipped):
				res.Skipped++
			case err != nil:
				return err
			case copied:
				res.Copied++
			}
			return nil
		})
	res.Scanned, res.Done = scanned, done
	return res, err
}

// resumableScan is the one loop of every backfill: it scans the tokens
// table for the items filter selects, from where the backfill whose state
// item is key stopped, at most budget items in pages of at most pageSize
// (or until ctx is done), and gives each to each. It saves its position
// even when it fails, so the next run goes on from there; done once the
// scan reached the table's end.
func (s *Store) resumableScan(ctx context.Context, key map[string]types.AttributeValue, budget, pageSize int, filter string,
	names map[string]string, vals map[string]types.AttributeValue, each func(map[string]types.AttributeValue) error) (scanned int, done bool, err error) {
	start, done, err := s.loadBackfill(ctx, key)
	if err != nil || done {
		return 0, done, err
	}
	for scanned < budget && ctx.Err() == nil {
		page, err := s.db.Scan(ctx, &dynamodb.ScanInput{
			TableName:                 &s.tokens,
			ExclusiveStartKey:         start,
			Limit:                     aws.Int32(int32(min(pageSize, budget-scanned))),
			FilterExpression:          aws.String(filter),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: vals,
		})
		if err != nil {
			return scanned, false, errors.Join(fmt.Errorf("backfill scan: %w", err), s.saveBackfillAt(ctx, key, start, false))
		}
		scanned += int(page.ScannedCount)
		for _, item := range page.Items {
			if err := each(item); err != nil {
				return scanned, false, errors.Join(err, s.saveBackfillAt(ctx, key, start, false))
			}
		}
		start = page.LastEvaluatedKey
		if len(start) == 0 {
			done = true
			break
		}
	}
	return scanned, done, s.saveBackfillAt(ctx, key, start, done)
}

// loadBackfill reads a backfill's state item (key): where its scan goes
// on (nil: from the start), or that it is done.
func (s *Store) loadBackfill(ctx context.Context, key map[string]types.AttributeValue) (map[string]types.AttributeValue, bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.tokens, Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, false, fmt.Errorf("read backfill state: %w", err)
	}
	if done, _ := out.Item["done"].(*types.AttributeValueMemberS); done != nil {
		return nil, true, nil
	}
	pos, _ := out.Item["position"].(*types.AttributeValueMemberS)
	if pos == nil {
		return nil, false, nil
	}
	var p position
	if err := json.Unmarshal([]byte(pos.Value), &p); err != nil {
		return nil, false, fmt.Errorf("backfill state: position %q: %w", pos.Value, err)
	}
	return p.startKey(), false, nil
}

// saveBackfillAt records a backfill's scan position in its state item
// (key), or that it is done.
func (s *Store) saveBackfillAt(ctx context.Context, key, start map[string]types.AttributeValue, done bool) error {
	item := maps.Clone(key)
	switch {
	case done:
		item["done"] = &types.AttributeValueMemberS{Value: formatTime(s.now())}
	case len(start) > 0:
		pos, err := json.Marshal(at(start, ""))
		if err != nil {
			return fmt.Errorf("backfill position: %w", err)
		}
		item["position"] = &types.AttributeValueMemberS{Value: string(pos)}
	}
	if _, err := s.db.PutItem(context.WithoutCancel(ctx), &dynamodb.PutItemInput{TableName: &s.tokens, Item: item}); err != nil {
		return fmt.Errorf("save backfill state: %w", err)
	}
	return nil
}

// copyOwnerState writes t's owner's state on t and adds t to the owner's
// live tokens, in one transaction; false when t has a copy already.
func (s *Store) copyOwnerState(ctx context.Context, t pat.Token) (bool, error) {
	read, u, err := s.readUser(ctx, t.UserID)
	switch {
	case err != nil:
		return false, err
	case read == nil || read.ID != t.UserID:
		return false, pat.ErrUserNotFound
	}
	// A record older than revisions is at 0, which a copy cannot carry (0
	// means none): the copy takes it to 1, as its next change would.
	u.Rev = max(read.Rev, 1)
	state := u.State()
	tokVals := values("status", string(state.Status), "scopes", strings.Join(state.Scopes, " "), "rev", state.Rev, "email", u.Email,
		"user", t.UserID, "active", string(pat.StatusActive), "locked", string(pat.StatusLocked))
	userVals := mergeValues(values("newRev", state.Rev, "one", 1, "id", t.UserID, "stale", formatTime(s.now().Add(-changeLease))),
		map[string]types.AttributeValue{":tok": &types.AttributeValueMemberSS{Value: []string{t.ID}}})
	userCond := "id = :id AND " + revIs("rev", "rev", read.Rev, userVals) + " AND (attribute_not_exists(changing) OR changing < :stale)"
	err = s.transact(ctx, []write{
		{item: s.update(tokenKey(t.ID), "SET ownerStatus = :status, ownerScopes = :scopes, ownerRev = :rev, ownerEmail = :email",
			"attribute_exists(pk) AND userId = :user AND attribute_not_exists(ownerRev) AND #status IN (:active, :locked)",
			map[string]string{"#status": "status"}, tokVals), failed: failWith(errBackfillSkipped)},
		{item: s.update(userKey(t.UserID), "SET rev = :newRev ADD liveTokens :tok, tokensRev :one", userCond, nil, userVals),
			failed: failWith(errBackfillSkipped)},
	})
	if pat.ErrorCode(err) == pat.CodeConflict {
		return false, errBackfillSkipped // a concurrent transaction on the same items
	}
	return err == nil, err
}

// RecordEvent writes one audit event on its own: the job's record of a
// run's backfill.
func (s *Store) RecordEvent(ctx context.Context, ev pat.Event) error {
	return s.audited(ctx, []pat.Event{ev})
}
