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
	start, done, err := s.loadBackfill(ctx, backfillKey)
	if err != nil || done {
		res.Done = done
		return res, err
	}
	for res.Scanned < budget && ctx.Err() == nil {
		page, err := s.db.Scan(ctx, &dynamodb.ScanInput{
			TableName:                 &s.tokens,
			ExclusiveStartKey:         start,
			Limit:                     aws.Int32(int32(min(pageSize, budget-res.Scanned))),
			FilterExpression:          aws.String("sk = :token AND attribute_not_exists(ownerRev) AND #status IN (:active, :locked)"),
			ExpressionAttributeNames:  map[string]string{"#status": "status"},
			ExpressionAttributeValues: values("token", "TOKEN", "active", string(pat.StatusActive), "locked", string(pat.StatusLocked)),
		})
		if err != nil {
			return res, errors.Join(fmt.Errorf("backfill scan: %w", err), s.saveBackfillAt(ctx, backfillKey, start, false))
		}
		res.Scanned += int(page.ScannedCount)
		for _, item := range page.Items {
			t, err := decodeToken(item)
			if err != nil {
				return res, errors.Join(err, s.saveBackfillAt(ctx, backfillKey, start, false))
			}
			copied, err := s.copyOwnerState(ctx, t)
			switch {
			case errors.Is(err, pat.ErrUserNotFound):
				res.Orphans++ // no owner record: the authorizer refuses it whatever it carries
			case errors.Is(err, errBackfillSkipped):
				res.Skipped++
			case err != nil:
				return res, errors.Join(err, s.saveBackfillAt(ctx, backfillKey, start, false))
			case copied:
				res.Copied++
			}
		}
		start = page.LastEvaluatedKey
		if len(start) == 0 {
			res.Done = true
			break
		}
	}
	return res, s.saveBackfillAt(ctx, backfillKey, start, res.Done)
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
