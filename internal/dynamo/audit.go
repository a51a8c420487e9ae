package dynamo

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/pat"
)

// Audit table indexes: events by owner, by actor and by month, each
// ordered like the table by time.
const (
	AuditOwnerIndex = "byOwner"
	AuditActorIndex = "byActor"
	AuditMonthIndex = "byMonth"
)

// putEvent writes an audit record once: it can never overwrite another.
func (s *Store) putEvent(ev pat.Event) (write, error) {
	item, err := attributevalue.MarshalMap(encodeEvent(ev))
	if err != nil {
		return write{}, fmt.Errorf("encode event: %w", err)
	}
	return write{item: types.TransactWriteItem{Put: &types.Put{TableName: &s.audit, Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")}}}, nil
}

// audited runs writes with the audit records of the change they make, in
// one transaction: no change without its record, no record without it.
func (s *Store) audited(ctx context.Context, events []pat.Event, writes ...write) error {
	audits, err := s.putEvents(events)
	if err != nil {
		return err
	}
	return s.transact(ctx, append(writes, audits...))
}

func (s *Store) putEvents(events []pat.Event) ([]write, error) {
	writes := make([]write, 0, len(events))
	for _, ev := range events {
		w, err := s.putEvent(ev)
		if err != nil {
			return nil, err
		}
		writes = append(writes, w)
	}
	return writes, nil
}

// ListEvents queries a token's audit trail, oldest first. It asks for one
// item more than a page, so that a trail that ends with a full page has no
// next.
func (s *Store) ListEvents(ctx context.Context, tokenID string, p pat.PageRequest) (pat.Page[pat.Event], error) {
	page, err := listPage(ctx, s, query{in: &dynamodb.QueryInput{
		TableName:                 &s.audit,
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: values("pk", auditPK(pat.Event{TokenID: tokenID})),
		ConsistentRead:            aws.Bool(true),
	}, batch: int32(p.Limit + 1), requests: maxListRequests}, p, decodeEvent)
	if err != nil {
		return page, fmt.Errorf("list events of %s: %w", tokenID, err)
	}
	return page, nil
}

// ListAudit: see pat.AuditStore. It queries the narrowest index a filter
// allows: the token's own trail, the owner's, the actor's, or else the
// months of the time range, newest first, one after another.
func (s *Store) ListAudit(ctx context.Context, f pat.AuditFilter, p pat.PageRequest) (pat.Page[pat.Event], error) {
	q, months := s.auditQuery(f)
	pos, err := s.cursors.open(p.List, q.id(), p.Cursor)
	if err != nil {
		return pat.Page[pat.Event]{}, err
	}
	page := pat.Page[pat.Event]{}
	requests := maxListRequests
	for i, month := range months {
		if pos.Part != "" && month > pos.Part {
			continue // read before
		}
		if requests == 0 {
			page.Next = s.cursors.seal(p.List, q.id(), position{Part: month})
			return page, nil
		}
		in := *q.in
		var start map[string]types.AttributeValue
		if month == pos.Part {
			start = pos.startKey()
		}
		if month != "" {
			in.ExpressionAttributeValues = maps.Clone(in.ExpressionAttributeValues)
			maps.Copy(in.ExpressionAttributeValues, values("month", month))
		}
		r, err := s.readPage(ctx, query{in: &in, indexKeys: q.indexKeys, batch: q.batch}, start, p.Limit-len(page.Items), requests)
		if err != nil {
			return pat.Page[pat.Event]{}, fmt.Errorf("list audit: %w", err)
		}
		requests -= r.requests
		events, err := decodeAll(r.items, decodeEvent)
		if err != nil {
			return pat.Page[pat.Event]{}, err
		}
		page.Items = append(page.Items, events...)
		switch {
		case r.next != nil:
			page.Next = s.cursors.seal(p.List, q.id(), at(r.next, month))
			return page, nil
		case len(page.Items) == p.Limit && i+1 < len(months):
			page.Next = s.cursors.seal(p.List, q.id(), position{Part: months[i+1]})
			return page, nil
		}
	}
	return page, nil
}

// auditQuery is the query of an audit filter: the first filter that names
// a partition picks the index and the rest filter; without one, it reads
// the month index, one month of the range after another (months, newest
// first; else the one partition, named "").
func (s *Store) auditQuery(f pat.AuditFilter) (query, []string) {
	vals := map[string]types.AttributeValue{}
	names := map[string]string{}
	var key, index, indexKey string
	var filters []string
	tokenPartition := ""
	if f.TokenID != "" {
		tokenPartition = tokenPK(f.TokenID)
	}
	for _, c := range []struct{ attr, value, index string }{
		{"pk", tokenPartition, ""},
		{"ownerId", f.OwnerID, AuditOwnerIndex},
		{"actorId", f.ActorID, AuditActorIndex},
	} {
		switch {
		case c.value == "":
		case key == "":
			key, index, indexKey = c.attr+" = :partition", c.index, c.attr
			maps.Copy(vals, values("partition", c.value))
		default:
			filters = append(filters, c.attr+" = :"+c.attr)
			maps.Copy(vals, values(c.attr, c.value))
		}
	}
	if f.Action != "" {
		filters = append(filters, "#action = :action")
		maps.Copy(vals, values("action", f.Action))
		names["#action"] = "action"
	}
	months := []string{""}
	if key == "" {
		index, indexKey = AuditMonthIndex, "month"
		key = "#month = :month"
		names["#month"] = "month"
		months = monthsBetween(*f.From, *f.To)
	}
	switch {
	case f.From != nil && f.To != nil:
		key += " AND sk BETWEEN :from AND :to"
		maps.Copy(vals, values("from", formatTime(*f.From), "to", formatTime(*f.To)))
	case f.From != nil:
		key += " AND sk >= :from"
		maps.Copy(vals, values("from", formatTime(*f.From)))
	case f.To != nil:
		key += " AND sk < :to"
		maps.Copy(vals, values("to", formatTime(*f.To)))
	}
	q := query{in: &dynamodb.QueryInput{
		TableName: &s.audit, ScanIndexForward: aws.Bool(false),
		KeyConditionExpression: aws.String(key), ExpressionAttributeValues: vals,
	}, batch: listBatch}
	if len(names) > 0 {
		q.in.ExpressionAttributeNames = names
	}
	if index != "" {
		q.in.IndexName, q.indexKeys = aws.String(index), []string{indexKey}
	} else {
		q.in.ConsistentRead = aws.Bool(true)
	}
	if len(filters) > 0 {
		q.in.FilterExpression = aws.String(strings.Join(filters, " AND "))
	}
	return q, months
}

// monthsBetween lists the months from to's back to from's, newest first.
// The month index holds UTC months: a time given at any other offset is
// taken as the instant it names.
func monthsBetween(from, to time.Time) []string {
	var out []string
	from, to = from.UTC(), to.UTC()
	first := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
	for m := time.Date(to.Year(), to.Month(), 1, 0, 0, 0, 0, time.UTC); !m.Before(first); m = m.AddDate(0, -1, 0) {
		out = append(out, m.Format("2006-01"))
	}
	return out
}
