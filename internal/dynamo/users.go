package dynamo

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/pat"
)

// SyncUser records what a sign-in says of the caller (see pat.UserStore): a
// user never seen gets a record; a known one unchanged costs one read; a
// change is written with the copies of the owner's state on every live
// token (changeOwner) and, for a new address, with what moved composes.
func (s *Store) SyncUser(ctx context.Context, u pat.User, moved pat.EmailChange) (pat.User, []pat.Notice, error) {
	perms := strings.Join(u.Permissions, " ")
	var written []pat.Notice
	user, err := s.retryOwner(ctx, u.ID, func(read *userItem, stored pat.User) (*pat.User, error) {
		written = nil
		switch {
		case read == nil:
			return nil, s.createUser(ctx, u, perms)
		case stored.ID != u.ID:
			// Two user ids with one owner tag (64 bits): refuse rather than share a record.
			return nil, fmt.Errorf("user %q shares its owner tag with user %q", u.ID, stored.ID)
		}
		email := cmp.Or(u.Email, read.Email) // none given: the address stays
		if email == read.Email && read.Permissions == perms && read.Rev > 0 {
			return &stored, nil
		}
		var events []pat.Event
		var notices []pat.Notice
		if email != read.Email && read.Email != "" && moved != nil {
			var err error
			if events, notices, err = moved(stored, email); err != nil {
				return nil, err
			}
		}
		next := stored
		next.Email, next.Permissions = email, strings.Fields(perms)
		err := s.changeOwner(ctx, *read, next, []string{"email = :email", "#perms = :perms"}, values("email", email, "perms", perms), events, notices)
		if err == nil {
			written = notices
		}
		return nil, err
	})
	if err != nil {
		return pat.User{}, nil, err
	}
	if u.Locale != "" && u.Locale != user.Locale {
		if err := s.setUserAttr(ctx, u.ID, "locale", u.Locale); err != nil {
			return pat.User{}, nil, err
		}
		user.Locale = u.Locale
	}
	return user, written, nil
}

// SetLanguage: see pat.UserStore.
func (s *Store) SetLanguage(ctx context.Context, id, lang string) (pat.User, error) {
	if err := s.setUserAttr(ctx, id, "lang", lang); err != nil {
		return pat.User{}, err
	}
	return s.GetUser(ctx, id)
}

// setUserAttr sets (or, empty, removes) one attribute of an existing
// user's record that no token carries a copy of: no claim, no revision.
func (s *Store) setUserAttr(ctx context.Context, id, name, value string) error {
	in := &dynamodb.UpdateItemInput{
		TableName: &s.tokens, Key: userKey(id),
		UpdateExpression:          aws.String("SET #attr = :value"),
		ConditionExpression:       aws.String("id = :id"),
		ExpressionAttributeNames:  map[string]string{"#attr": name},
		ExpressionAttributeValues: values("id", id, "value", value),
	}
	if value == "" {
		in.UpdateExpression = aws.String("REMOVE #attr")
		in.ExpressionAttributeValues = values("id", id)
	}
	_, err := s.db.UpdateItem(ctx, in)
	ok, err := conditional(err, "set "+name+" of user "+id)
	if err == nil && !ok {
		err = pat.ErrUserNotFound
	}
	return err
}

// retryOwner reads the user and runs attempt on what it read, again while
// it loses to a concurrent change (errOwnerMoved), at most ownerAttempts
// times. attempt returns the user when it wrote nothing; after a write the
// user is read as stored.
func (s *Store) retryOwner(ctx context.Context, id string, attempt func(read *userItem, stored pat.User) (*pat.User, error)) (pat.User, error) {
	for range ownerAttempts {
		read, stored, err := s.readUser(ctx, id)
		if err != nil {
			return pat.User{}, err
		}
		done, err := attempt(read, stored)
		switch {
		case errors.Is(err, errOwnerMoved):
			continue
		case err != nil:
			return pat.User{}, err
		case done != nil:
			return *done, nil
		}
		return s.GetUser(ctx, id)
	}
	return pat.User{}, pat.ErrOwnerChanged
}

// createUser writes the record of a user never seen; errOwnerMoved if a
// concurrent request wrote it first.
func (s *Store) createUser(ctx context.Context, u pat.User, perms string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.tokens,
		Key:       userKey(u.ID),
		UpdateExpression: aws.String("SET id = :id, email = :email, #perms = :perms, updatedAt = :now, " +
			"#status = :active, activeTokens = :zero, rev = :one, tokensRev = :zero"),
		ConditionExpression:       aws.String("attribute_not_exists(pk)"),
		ExpressionAttributeNames:  map[string]string{"#perms": "permissions", "#status": "status"},
		ExpressionAttributeValues: values("id", u.ID, "email", u.Email, "perms", perms, "now", formatTime(s.now()), "active", string(pat.UserActive), "zero", 0, "one", 1),
	})
	if ok, err := conditional(err, "create user"); err != nil || ok {
		return err
	}
	return errOwnerMoved
}

// readUser reads a user's record as stored (nil when there is none) and as
// the domain sees it.
func (s *Store) readUser(ctx context.Context, id string) (*userItem, pat.User, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.tokens, Key: userKey(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, pat.User{}, fmt.Errorf("get user: %w", err)
	}
	if out.Item == nil {
		return nil, pat.User{}, nil
	}
	var it userItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return nil, pat.User{}, fmt.Errorf("decode user: %w", err)
	}
	u, err := decodeUser(out.Item)
	return &it, u, err
}

// ownerAttempts bounds the retries of a change that lost to a concurrent
// one.
const ownerAttempts = 5

// errOwnerMoved: the user's record, or the list of their live tokens,
// changed since it was read; read again and retry.
var errOwnerMoved = errors.New("the user changed meanwhile")

// changeLease is how long a change of an owner's state keeps new tokens
// waiting; a change left by a crashed function lapses after it.
const changeLease = time.Minute

// changeOwner writes a change of the owner's state (set and remove, on the
// user's record as read) with the copy of the new state on every live
// token of the owner, so that when it returns no token of the owner
// carries the old state. First it claims the record: while the claim holds,
// no token is created or rotated (CreateToken and RotateToken fail with
// pat.ErrOwnerChanged and the service tries again), so a change cannot be
// starved by a stream of new tokens. Then one transaction writes the user
// and every live token, unless the list of live tokens changed since it was
// read (a revocation meanwhile: read again).
func (s *Store) changeOwner(ctx context.Context, read userItem, next pat.User, set []string, vals map[string]types.AttributeValue, events []pat.Event, notices []pat.Notice, remove ...string) error {
	claim := formatTime(s.now()) + "#" + rand.Text()
	claimVals := values("claim", claim, "stale", formatTime(s.now().Add(-changeLease)), "id", read.ID)
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.tokens,
		Key:                       userKey(read.ID),
		UpdateExpression:          aws.String("SET changing = :claim"),
		ConditionExpression:       aws.String("id = :id AND " + revIs("rev", "rev", read.Rev, claimVals) + " AND (attribute_not_exists(changing) OR changing < :stale)"),
		ExpressionAttributeValues: claimVals,
	})
	if ok, err := conditional(err, "claim user "+read.ID); err != nil || !ok {
		if err == nil {
			err = errOwnerMoved // changed, or being changed, by another request
		}
		return err
	}
	for range ownerAttempts {
		err = s.setOwner(ctx, read, next, claim, slices.Clone(set), maps.Clone(vals), events, notices, remove...)
		if err == nil {
			return nil // the transaction gave the claim back
		}
		if gone, ok := errors.AsType[tokenGone](err); ok {
			err = s.forgetToken(ctx, read.ID, string(gone), claim)
		}
		if err != nil && !errors.Is(err, errOwnerMoved) {
			break
		}
		current, _, rerr := s.readUser(ctx, read.ID)
		if rerr != nil || current == nil {
			err = errors.Join(rerr, errors.New("user vanished during a change"))
			break
		}
		read = *current
	}
	// Give the claim back, so that tokens can be created again at once.
	_, rerr := s.db.UpdateItem(context.WithoutCancel(ctx), &dynamodb.UpdateItemInput{
		TableName: &s.tokens, Key: userKey(read.ID), UpdateExpression: aws.String("REMOVE changing"),
		ConditionExpression: aws.String("changing = :claim"), ExpressionAttributeValues: values("claim", claim),
	})
	_, rerr = conditional(rerr, "release user "+read.ID)
	return errors.Join(err, rerr)
}

// tokenGone names a live token of the owner whose item is gone (TTL, a
// restore): it cannot take the owner's state, and leaves the list.
type tokenGone string

func (g tokenGone) Error() string { return "live token " + string(g) + " is gone" }

// forgetToken takes a vanished token off the owner's live tokens, while the
// change's claim holds.
func (s *Store) forgetToken(ctx context.Context, userID, id, claim string) error {
	vals := mergeValues(values("claim", claim, "one", 1), map[string]types.AttributeValue{":id": &types.AttributeValueMemberSS{Value: []string{id}}})
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.tokens, Key: userKey(userID), UpdateExpression: aws.String("DELETE liveTokens :id ADD tokensRev :one"),
		ConditionExpression: aws.String("changing = :claim"), ExpressionAttributeValues: vals,
	})
	if ok, err := conditional(err, "forget token "+id); err != nil || !ok {
		return errors.Join(err, errOwnerMoved)
	}
	return nil
}

// setOwner is changeOwner's transaction: the user's change, which gives
// back the claim, the copy on every live token and the notices that
// announce the change, only if the claim holds and the list of live tokens
// is still the one read. At most MaxTokensPerOwner live tokens: the
// user, an audit event and a notice make 100.
func (s *Store) setOwner(ctx context.Context, read userItem, next pat.User, claim string, set []string, vals map[string]types.AttributeValue, events []pat.Event, notices []pat.Notice, remove ...string) error {
	next.Rev = read.Rev + 1
	state := next.State()
	set = append(set, "rev = :newRev", "updatedAt = :now", "tokensRev = if_not_exists(tokensRev, :zero)")
	remove = append(remove, "changing")
	maps.Copy(vals, values("newRev", next.Rev, "zero", 0, "now", formatTime(s.now()), "claim", claim))
	cond := "changing = :claim AND " + revIs("tokensRev", "trev", read.TokensRev, vals)
	expr := updateExpression(set, remove)
	names := map[string]string{}
	for name, attr := range map[string]string{"#status": "status", "#perms": "permissions"} {
		if strings.Contains(expr, name) {
			names[name] = attr
		}
	}
	writes := []write{{item: s.update(userKey(read.ID), expr, cond, names, vals), failed: failWith(errOwnerMoved)}}
	copyVals := values("status", string(state.Status), "scopes", strings.Join(state.Scopes, " "), "rev", state.Rev, "email", next.Email)
	for _, id := range read.LiveTokens {
		writes = append(writes, write{item: s.update(tokenKey(id),
			"SET ownerStatus = :status, ownerScopes = :scopes, ownerRev = :rev, ownerEmail = :email", "attribute_exists(pk)", nil, copyVals),
			failed: func(old map[string]types.AttributeValue) error {
				if old == nil {
					return tokenGone(id)
				}
				return errOwnerMoved
			}})
	}
	for _, n := range notices {
		notice, err := s.putNotice(n, s.now())
		if err != nil {
			return err
		}
		writes = append(writes, notice)
	}
	err := s.audited(ctx, events, writes...)
	if pat.ErrorCode(err) == pat.CodeConflict {
		return errOwnerMoved // a concurrent transaction on the same items
	}
	return err
}

// revIs is the condition that the counter attr still has the value v it
// was read with (absent reads as 0: records written before it was kept);
// it adds the value it names to vals as :placeholder.
func revIs(attr, placeholder string, v int, vals map[string]types.AttributeValue) string {
	if v == 0 {
		maps.Copy(vals, values("zero", 0))
		return "(attribute_not_exists(" + attr + ") OR " + attr + " = :zero)"
	}
	maps.Copy(vals, values(placeholder, v))
	return attr + " = :" + placeholder
}

// GetUser: see pat.UserStore.
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

// UpdateUser: see pat.UserStore. A user never seen gets a record with empty
// email and permissions, which their first sign-in fills in; a known user's
// change is written with the copies on their live tokens (setOwner).
func (s *Store) UpdateUser(ctx context.Context, u pat.User, ev pat.Event) (pat.User, error) {
	set := []string{"#status = :status"}
	vals := values("status", string(u.Status))
	var remove []string
	if u.Limited {
		set = append(set, "permissionLimit = :limit")
		maps.Copy(vals, values("limit", strings.Join(u.Limit, " ")))
	} else {
		remove = append(remove, "permissionLimit")
	}
	return s.retryOwner(ctx, u.ID, func(read *userItem, stored pat.User) (*pat.User, error) {
		if read == nil {
			return nil, s.audited(ctx, []pat.Event{ev}, write{item: s.update(userKey(u.ID),
				updateExpression(append(slices.Clone(set), "id = :id", "email = :empty", "#perms = :empty", "activeTokens = :zero", "rev = :one", "tokensRev = :zero", "updatedAt = :now"), remove),
				"attribute_not_exists(pk)", map[string]string{"#status": "status", "#perms": "permissions"},
				mergeValues(vals, values("id", u.ID, "empty", "", "zero", 0, "one", 1, "now", formatTime(ev.Time)))),
				failed: failWith(errOwnerMoved)})
		}
		if stored.ID != u.ID {
			return nil, fmt.Errorf("user %q shares its owner tag with another user", u.ID)
		}
		next := stored
		next.Status, next.Limited, next.Limit = u.Status, u.Limited, u.Limit
		return nil, s.changeOwner(ctx, *read, next, slices.Clone(set), maps.Clone(vals), []pat.Event{ev}, nil, remove...)
	})
}

// mergeValues is a and b in one new map.
func mergeValues(a, b map[string]types.AttributeValue) map[string]types.AttributeValue {
	out := maps.Clone(a)
	maps.Copy(out, b)
	return out
}

// releaseSlots frees the places of ids in their owner's cap and takes them
// off the owner's live tokens.
func (s *Store) releaseSlots(userID string, ids []string) write {
	return write{item: s.update(userKey(userID), "SET activeTokens = activeTokens - :n ADD tokensRev :one DELETE liveTokens :ids", "", nil,
		mergeValues(values("n", len(ids), "one", 1), map[string]types.AttributeValue{":ids": &types.AttributeValueMemberSS{Value: ids}}))}
}

// MarkUnreachable: see pat.UserStore. The owner tag keys the owner's
// record (userKey): one conditional write.
func (s *Store) MarkUnreachable(ctx context.Context, u pat.Undeliverable) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.tokens,
		Key:                       ownerKey(u.OwnerTag),
		UpdateExpression:          aws.String("SET unreachableAt = :at, unreachableEmail = :address, unreachableCause = :cause"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND NOT (unreachableEmail = :address)"),
		ExpressionAttributeValues: values("at", formatTime(u.At), "address", u.Address, "cause", u.Cause),
	})
	_, err = conditional(err, "mark owner "+u.OwnerTag+" unreachable")
	return err
}
