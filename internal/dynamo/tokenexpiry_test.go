package dynamo_test

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/pat"
)

// The all-tokens list by expiry: soonest first, one Query of the expiry
// partition and one read of the page's tokens a page, never a Scan;
// tokens that never expire are not in it; an extension moves a token at
// once; the status is the one users see; a token gone is skipped.
func TestAllTokensByExpirySoonestFirst(t *testing.T) {
	f := newFixture(t)
	f.user(t, "alice")
	f.user(t, "bob")
	create := func(user string, expires time.Duration) pat.Token {
		tok := f.newToken(user)
		if expires == 0 {
			tok.ExpiresAt, tok.DeleteAfter = nil, time.Time{}
		} else {
			exp := f.now.Add(expires)
			tok.ExpiresAt, tok.DeleteAfter = &exp, exp.Add(30*24*time.Hour)
		}
		if err := f.store.CreateToken(ctx, tok, 1000, f.event(pat.ActionCreated, tok), nil); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(time.Second)
		return tok
	}
	day := 24 * time.Hour
	late, soon, middle, never := create("alice", 90*day), create("bob", 10*day), create("alice", 30*day), create("bob", 0)
	locked := middle
	locked.Status = pat.StatusLocked
	if err := f.store.SetTokenStatus(ctx, locked, pat.StatusActive, f.event(pat.ActionLocked, locked), nil); err != nil {
		t.Fatal(err)
	}
	counting := &countingDB{API: f.db}
	s := f.storeOn(t, counting)
	byExpiry := func(filter pat.TokenFilter) []string {
		filter.Order = pat.OrderExpires
		ids, total := f.allTokens(t, s, filter, 1)
		if total != nil {
			t.Fatalf("the expiry order counted: %+v", total)
		}
		return ids
	}
	for _, c := range []struct {
		name    string
		filter  pat.TokenFilter
		want    []string
		entries int // in the partition's range the list reads
	}{
		{"all", pat.TokenFilter{}, []string{soon.ID, middle.ID, late.ID}, 3},
		{"locked", pat.TokenFilter{Status: pat.StatusLocked}, []string{middle.ID}, 3},
		{"active", pat.TokenFilter{Status: pat.StatusActive}, []string{soon.ID, late.ID}, 3},
		{"expiring before", pat.TokenFilter{ExpiringBefore: new(f.now.Add(60 * day))}, []string{soon.ID, middle.ID}, 2},
	} {
		counting.queries.Store(0)
		counting.scans.Store(0)
		counting.batchGets.Store(0)
		if got := byExpiry(c.filter); !slices.Equal(got, c.want) {
			t.Fatalf("%s: %v, want %v (never expiring: %s)", c.name, got, c.want, never.ID)
		}
		// Pages of one entry: a Query and a BatchGetItem of the whole
		// tokens (their sources with them) a page, and the last page, which may be empty; a
		// status filter leaves some pages short, never reads more.
		pages := int32(c.entries + 1)
		if q, b, scans := counting.queries.Load(), counting.batchGets.Load(), counting.scans.Load(); q > pages || b > pages || scans != 0 {
			t.Fatalf("%s: %d queries, %d batch reads and %d scans for at most %d pages", c.name, q, b, scans, pages)
		}
	}

	extended := f.get(t, soon.ID)
	exp, at := f.now.Add(200*day), f.now
	extended.ExpiresAt, extended.DeleteAfter, extended.ExtendedAt = &exp, exp.Add(30*day), &at
	if err := f.store.ExtendToken(ctx, extended, extended.Owner.Rev, f.event(pat.ActionExtended, extended), nil); err != nil {
		t.Fatal(err)
	}
	if got := byExpiry(pat.TokenFilter{}); !slices.Equal(got, []string{middle.ID, late.ID, soon.ID}) {
		t.Fatalf("after an extension: %v", got)
	}

	if _, err := f.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &f.tables.Tokens, Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "TOKEN#" + late.ID}, "sk": &types.AttributeValueMemberS{Value: "TOKEN"}}}); err != nil {
		t.Fatal(err)
	}
	if got := byExpiry(pat.TokenFilter{}); !slices.Equal(got, []string{middle.ID, soon.ID}) {
		t.Fatalf("after a deletion: %v", got)
	}

	// A cursor of the list by creation is refused by the list by expiry.
	first, err := s.ListAllTokens(ctx, pat.TokenFilter{Now: f.now}, pat.PageRequest{Limit: 1, List: "all "})
	if err != nil || first.Next == "" {
		t.Fatalf("first page by creation: %v", err)
	}
	if _, err := s.ListAllTokens(ctx, pat.TokenFilter{Now: f.now, Order: pat.OrderExpires}, pat.PageRequest{Limit: 1, List: "all ", Cursor: first.Next}); pat.ErrorCode(err) != pat.CodeInvalidCursor {
		t.Fatalf("a cursor of another order: %v", err)
	}
}
