package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/pat"
)

// SyncUser writes the user's email and permissions only when they changed:
// the condition fails when nothing is new, and the failure returns the item.
func (s *Store) SyncUser(ctx context.Context, u pat.User) (pat.User, error) {
	perms := strings.Join(u.Permissions, " ")
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.tokens,
		Key:       userKey(u.ID),
		UpdateExpression: aws.String("SET id = :id, email = :email, #perms = :perms, updatedAt = :now, " +
			"#status = if_not_exists(#status, :active), activeTokens = if_not_exists(activeTokens, :zero)"),
		ConditionExpression:                 aws.String("attribute_not_exists(pk) OR (id = :id AND (email <> :email OR #perms <> :perms))"),
		ExpressionAttributeNames:            map[string]string{"#perms": "permissions", "#status": "status"},
		ExpressionAttributeValues:           values("id", u.ID, "email", u.Email, "perms", perms, "now", formatTime(s.now()), "active", string(pat.UserActive), "zero", 0),
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	item := map[string]types.AttributeValue(nil)
	if ccf, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
		item, err = ccf.Item, nil
	} else if err == nil {
		item = out.Attributes
	}
	if err != nil {
		return pat.User{}, fmt.Errorf("update user: %w", err)
	}
	stored, err := decodeUser(item)
	if err == nil && stored.ID != u.ID {
		// Two user ids with one owner tag (64 bits): refuse rather than share a record.
		return pat.User{}, fmt.Errorf("user %q shares its owner tag with user %q", u.ID, stored.ID)
	}
	return stored, err
}

// GetUser: see pat.Store.
func (s *Store) GetUser(ctx context.Context, id string) (pat.User, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.tokens, Key: userKey(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return pat.User{}, fmt.Errorf("get user: %w", err)
	}
	if out.Item == nil {
		return pat.User{}, pat.ErrUserNotFound
	}
	u, err := decodeUser(out.Item)
	if err != nil {
		return pat.User{}, err
	}
	if u.ID != id {
		return pat.User{}, pat.ErrUserNotFound // another user with the same owner tag
	}
	return u, nil
}

// UpdateUser: see pat.Store. A user never seen gets a record with empty
// email and permissions, which their first sign-in fills in.
func (s *Store) UpdateUser(ctx context.Context, u pat.User, ev pat.Event) (pat.User, error) {
	vals := values("id", u.ID, "status", string(u.Status), "empty", "", "zero", 0, "now", formatTime(ev.Time))
	set := []string{"id = :id", "#status = :status", "email = if_not_exists(email, :empty)", "#perms = if_not_exists(#perms, :empty)",
		"activeTokens = if_not_exists(activeTokens, :zero)", "updatedAt = :now"}
	var remove []string
	if u.Limited {
		set = append(set, "permissionLimit = :limit")
		maps.Copy(vals, values("limit", strings.Join(u.Limit, " ")))
	} else {
		remove = append(remove, "permissionLimit")
	}
	err := s.audited(ctx, []pat.Event{ev},
		write{item: s.update(userKey(u.ID), updateExpression(set, remove), "attribute_not_exists(pk) OR id = :id",
			map[string]string{"#status": "status", "#perms": "permissions"}, vals),
			failed: failWith(fmt.Errorf("user %q shares its owner tag with another user", u.ID))},
	)
	if err != nil {
		return pat.User{}, err
	}
	return s.GetUser(ctx, u.ID)
}

// releaseSlots frees n places in the owner's cap.
func (s *Store) releaseSlots(userID string, n int) write {
	return write{item: s.update(userKey(userID), "SET activeTokens = activeTokens - :n", "", nil, values("n", n))}
}

// MarkUnreachable: see pat.Store. Marking an address marked already
// changes nothing.
func (s *Store) MarkUnreachable(ctx context.Context, ownerTag, address, cause string, at time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.tokens,
		Key:                       ownerKey(ownerTag),
		UpdateExpression:          aws.String("SET unreachableAt = :at, unreachableEmail = :address, unreachableCause = :cause"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND NOT (unreachableEmail = :address)"),
		ExpressionAttributeValues: values("at", formatTime(at), "address", address, "cause", cause),
	})
	_, err = conditional(err, "mark owner "+ownerTag+" unreachable")
	return err
}
