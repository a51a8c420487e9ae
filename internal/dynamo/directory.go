package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/token"
)

// ListIndex is the tokens table's overloaded, sparse list index (listPk,
// listSk): only items that carry both attributes are in it. Its
// partitions:
//
//   - dirByName: every user's record, keyed by the folded name (the email,
//     then the id, for a user without a name) and the id. The index projects
//     what the directory shows, so a page is one Query.
//   - dirByEmail: one small item per user with an address (pk OWNER#<tag>,
//     sk EMAIL), keyed by the folded address and the id. It carries the id
//     only: a page is one Query and one BatchGetItem of the page's users.
//
// 100,000 users are 100,000 items in each partition; a page reads the
// page's items and never more (docs/data-model.md says what it costs).
const ListIndex = "byList"

// listIndexKeys are ListIndex's key attributes.
var listIndexKeys = []string{"listPk", "listSk"}

const (
	dirByName  = "DIR#name"
	dirByEmail = "DIR#email"
	// dirSep ends the folded name or address in a sort key, before the id:
	// below every printable character, so "anna" sorts before "anna b".
	dirSep = "\x1f"
)

// fold is how names and addresses are compared in the directory: without
// case and surrounding space, so a prefix search ignores case.
func fold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// dirName is what the name order sorts a user by.
func dirName(name, email, id string) string {
	switch {
	case strings.TrimSpace(name) != "":
		return fold(name)
	case strings.TrimSpace(email) != "":
		return fold(email)
	}
	return fold(id)
}

func dirSort(folded, id string) string { return folded + dirSep + id }

func emailItemKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "OWNER#" + token.OwnerTag(id)}, "sk": &types.AttributeValueMemberS{Value: "EMAIL"}}
}

// dirCurrent says whether the user's directory entries, as read, were
// written from this name and address (the record's dirName and dirEmail).
func dirCurrent(read *userItem, name, email string) bool {
	return read != nil && read.ListSK != "" && read.DirName == name && read.DirEmail == email
}

// writeDirectory writes the user's entries in the directory from the name
// and address on their record: the record's sort key (with the name) and
// the email item. Both in one transaction, and only while the record still
// has that address, so a change of address meanwhile wins (its own
// sign-in writes the entries again). Two UpdateItems, no Put or Delete:
// the email item is keyed by the user, so a new address overwrites it.
// Idempotent: concurrent writers write the same values.
func (s *Store) writeDirectory(ctx context.Context, id, name, email string) error {
	vals := values("id", id, "email", email, "name", name, "byName", dirByName, "nameSk", dirSort(dirName(name, email, id), id))
	writes := []write{{item: s.update(userKey(id),
		"SET #name = :name, dirName = :name, dirEmail = :email, listPk = :byName, listSk = :nameSk",
		"id = :id AND email = :email", map[string]string{"#name": "name"}, vals), failed: failWith(errNotApplied)}}
	if strings.TrimSpace(email) != "" {
		writes = append(writes, write{item: s.update(emailItemKey(id), "SET id = :id, email = :email, listPk = :byEmail, listSk = :emailSk", "", nil,
			values("id", id, "email", email, "byEmail", dirByEmail, "emailSk", dirSort(fold(email), id)))})
	}
	err := s.transact(ctx, writes)
	switch {
	case errors.Is(err, errNotApplied) || pat.ErrorCode(err) == pat.CodeConflict:
		return nil // the record changed meanwhile; whoever changed it writes the entries
	case err != nil:
		return fmt.Errorf("write directory entries of user %s: %w", id, err)
	}
	return nil
}

// ListUsers: see pat.Directory.
func (s *Store) ListUsers(ctx context.Context, q pat.DirectoryQuery, p pat.PageRequest) (pat.Page[pat.User], error) {
	partition := dirByName
	if q.Order == pat.OrderByEmail {
		partition = dirByEmail
	}
	in := &dynamodb.QueryInput{TableName: &s.tokens, IndexName: aws.String(ListIndex), KeyConditionExpression: aws.String("listPk = :part"),
		ExpressionAttributeValues: values("part", partition), ScanIndexForward: aws.Bool(true)}
	if prefix := fold(q.Prefix); prefix != "" {
		in.KeyConditionExpression = aws.String("listPk = :part AND begins_with(listSk, :prefix)")
		in.ExpressionAttributeValues[":prefix"] = &types.AttributeValueMemberS{Value: prefix}
	}
	lq := query{in: in, indexKeys: listIndexKeys, batch: int32(p.Limit + 1), requests: 1}
	if partition == dirByName {
		page, err := listPage(ctx, s, lq, p, decodeUser)
		if err != nil {
			return page, fmt.Errorf("list users by name: %w", err)
		}
		return page, nil
	}
	page, err := s.usersByEmail(ctx, lq, p)
	if err != nil {
		return page, fmt.Errorf("list users by email: %w", err)
	}
	return page, nil
}

// usersByEmail reads a page of the email order: the email items, then
// their users in one BatchGetItem, in the order of the items. An item
// whose user is gone, or has another address by now (the index lags the
// table), is left out of the page.
func (s *Store) usersByEmail(ctx context.Context, q query, p pat.PageRequest) (pat.Page[pat.User], error) {
	pos, err := s.cursors.open(p.List, q.id(), p.Cursor)
	if err != nil {
		return pat.Page[pat.User]{}, err
	}
	r, err := s.readPage(ctx, q, pos.startKey(), p.Limit, q.requests)
	if err != nil {
		return pat.Page[pat.User]{}, err
	}
	ids := make([]string, 0, len(r.items))
	for _, item := range r.items {
		if v, ok := item["id"].(*types.AttributeValueMemberS); ok {
			ids = append(ids, v.Value)
		}
	}
	users, err := s.getUsers(ctx, ids)
	if err != nil {
		return pat.Page[pat.User]{}, err
	}
	page := pat.Page[pat.User]{Items: []pat.User{}}
	for i, id := range ids {
		u, ok := users[id]
		if ok && fold(u.Email) == fold(attrString(r.items[i], "email")) {
			page.Items = append(page.Items, u)
		}
	}
	if r.next != nil {
		page.Next = s.cursors.seal(p.List, q.id(), at(r.next, ""))
	}
	return page, nil
}

func attrString(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// batchAttempts bounds the rounds of a BatchGetItem that DynamoDB answers
// in part (UnprocessedKeys).
const batchAttempts = 5

// getUsers reads users by id, at most 100 (one BatchGetItem; MaxPageSize
// is below that), eventually consistent like the index page they follow.
func (s *Store) getUsers(ctx context.Context, ids []string) (map[string]pat.User, error) {
	out := map[string]pat.User{}
	if len(ids) == 0 {
		return out, nil
	}
	keys := make([]map[string]types.AttributeValue, 0, len(ids))
	for _, id := range ids {
		keys = append(keys, userKey(id))
	}
	request := map[string]types.KeysAndAttributes{s.tokens: {Keys: keys}}
	for range batchAttempts {
		res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: request})
		if err != nil {
			return nil, fmt.Errorf("read users: %w", err)
		}
		for _, item := range res.Responses[s.tokens] {
			u, err := decodeUser(item)
			if err != nil {
				return nil, err
			}
			out[u.ID] = u
		}
		if len(res.UnprocessedKeys) == 0 {
			return out, nil
		}
		request = res.UnprocessedKeys
	}
	return nil, fmt.Errorf("read users: DynamoDB left keys unprocessed %d times", batchAttempts)
}

// FindUserByEmail: see pat.Directory. One Query of the email order; the
// index lags the table by a moment.
func (s *Store) FindUserByEmail(ctx context.Context, email string) (string, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{TableName: &s.tokens, IndexName: aws.String(ListIndex),
		KeyConditionExpression:    aws.String("listPk = :part AND begins_with(listSk, :prefix)"),
		ExpressionAttributeValues: values("part", dirByEmail, "prefix", fold(email)+dirSep), Limit: aws.Int32(2)})
	if err != nil {
		return "", fmt.Errorf("find user by email: %w", err)
	}
	switch len(out.Items) {
	case 0:
		return "", pat.ErrUserNotFound
	case 1:
		return attrString(out.Items[0], "id"), nil
	}
	return "", pat.Errorf(pat.CodeInvalid, "owner: several users have this address; give the user's id")
}
