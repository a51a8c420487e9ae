package dynamo

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/pat"
)

// A filtered list reads at most listBatch items per request to DynamoDB,
// and at most maxListRequests requests per page: a page with a selective
// filter may come back short, with a cursor to go on.
const (
	listBatch       = 200
	maxListRequests = 10
)

// query is how one list reads: the request (a Query, or a Scan of the
// table when it has no key condition), the attributes of the index key it
// reads besides the table's pk and sk (a resume key must carry them), how
// many items to ask for per request and how many requests a page may take;
// keep, when set, drops the items it refuses from the page (a filter
// DynamoDB cannot express, such as a match without case).
type query struct {
	in        *dynamodb.QueryInput
	indexKeys []string
	batch     int32
	requests  int
	keep      func(map[string]types.AttributeValue) bool
}

// id names the query for its cursors: a cursor of one query is refused by
// any other.
func (q query) id() string {
	return aws.ToString(q.in.TableName) + "|" + aws.ToString(q.in.IndexName) + "|" + aws.ToString(q.in.KeyConditionExpression)
}

// run sends one request: a Query, or a Scan when there is no key condition.
// The callers of the pager say what they were listing.
func (s *Store) run(ctx context.Context, in *dynamodb.QueryInput) (*dynamodb.QueryOutput, error) {
	if in.KeyConditionExpression != nil {
		return s.db.Query(ctx, in)
	}
	out, err := s.db.Scan(ctx, &dynamodb.ScanInput{
		TableName: in.TableName, FilterExpression: in.FilterExpression, Select: in.Select, Limit: in.Limit,
		ExpressionAttributeNames: in.ExpressionAttributeNames, ExpressionAttributeValues: in.ExpressionAttributeValues,
		ExclusiveStartKey: in.ExclusiveStartKey, ConsistentRead: in.ConsistentRead,
	})
	if err != nil {
		return nil, err
	}
	return &dynamodb.QueryOutput{Items: out.Items, Count: out.Count, LastEvaluatedKey: out.LastEvaluatedKey}, nil
}

// pages is the one pagination loop: it runs in from its ExclusiveStartKey
// and gives each answer to each, until each says it has enough, DynamoDB
// has nothing more, or requests requests were made. It returns the key the
// next request would start at (nil when the results ended or each stopped)
// and how many requests it made.
func (s *Store) pages(ctx context.Context, in *dynamodb.QueryInput, requests int, each func(*dynamodb.QueryOutput) (more bool)) (map[string]types.AttributeValue, int, error) {
	for made := 0; made < requests; {
		out, err := s.run(ctx, in)
		if err != nil {
			return nil, made, err
		}
		made++
		if !each(out) || len(out.LastEvaluatedKey) == 0 {
			return nil, made, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	return in.ExclusiveStartKey, requests, nil
}

// read is what readPage found.
type read struct {
	items    []map[string]types.AttributeValue
	next     map[string]types.AttributeValue // where to go on; nil when done
	requests int                             // requests made
}

// readPage reads up to limit items of q from start, in at most requests
// requests. It gives a key to go on from only when there may be more: the
// page filled and another item was seen or DynamoDB said there is more, or
// the requests ran out first.
func (s *Store) readPage(ctx context.Context, q query, start map[string]types.AttributeValue, limit, requests int) (read, error) {
	in := *q.in
	in.Limit, in.ExclusiveStartKey = aws.Int32(q.batch), start
	var r read
	full := false
	next, made, err := s.pages(ctx, &in, requests, func(out *dynamodb.QueryOutput) bool {
		for _, item := range out.Items {
			if q.keep != nil && !q.keep(item) {
				continue
			}
			if len(r.items) == limit {
				full = true // an item beyond the page: there is more
				return false
			}
			r.items = append(r.items, item)
		}
		full = len(r.items) == limit && len(out.LastEvaluatedKey) > 0
		return !full
	})
	r.requests = made
	switch {
	case err != nil:
		return read{}, err
	case full:
		r.next = resumeKey(r.items[limit-1], q.indexKeys)
	default:
		r.next = next
	}
	return r, nil
}

// resumeKey is the key DynamoDB resumes after item: the table's key and
// the key attributes of the index read.
func resumeKey(item map[string]types.AttributeValue, indexKeys []string) map[string]types.AttributeValue {
	key := map[string]types.AttributeValue{"pk": item["pk"], "sk": item["sk"]}
	for _, a := range indexKeys {
		key[a] = item[a]
	}
	return key
}

// listPage reads one page of a list over a single query: it opens the
// request's cursor, reads, decodes, and seals the cursor of the next page.
func listPage[T any](ctx context.Context, s *Store, q query, p pat.PageRequest, decode func(map[string]types.AttributeValue) (T, error)) (pat.Page[T], error) {
	pos, err := s.cursors.open(p.List, q.id(), p.Cursor)
	if err != nil {
		return pat.Page[T]{}, err
	}
	r, err := s.readPage(ctx, q, pos.startKey(), p.Limit, q.requests)
	if err != nil {
		return pat.Page[T]{}, err
	}
	page := pat.Page[T]{}
	if page.Items, err = decodeAll(r.items, decode); err != nil {
		return pat.Page[T]{}, err
	}
	if r.next != nil {
		page.Next = s.cursors.seal(p.List, q.id(), at(r.next, ""))
	}
	return page, nil
}

func decodeAll[T any](items []map[string]types.AttributeValue, decode func(map[string]types.AttributeValue) (T, error)) ([]T, error) {
	out := make([]T, 0, len(items))
	for _, item := range items {
		v, err := decode(item)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
