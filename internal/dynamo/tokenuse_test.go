package dynamo_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/pat"
)

func useEntryKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "TOKSORT#" + id}, "sk": &types.AttributeValueMemberS{Value: "used"}}
}

// useEntry reads token id's entry in the last-use order; nil when it has none.
func (f *fixture) useEntry(t *testing.T, id string) map[string]types.AttributeValue {
	t.Helper()
	out, err := f.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &f.tables.Tokens, Key: useEntryKey(id)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

func ttlOf(item map[string]types.AttributeValue) string {
	if n, ok := item["ttl"].(*types.AttributeValueMemberN); ok {
		return n.Value
	}
	return ""
}

// The all-tokens list by last use: the most recent use first, then the
// tokens never used, newest first; one Query of the entries and one read
// of the page's tokens a page, never a Scan. The authorizer's refresh
// moves a token at once and never back; the status is the one users see;
// the entry keeps its token's ttl through an extension and a revocation
// and goes with the job's deletion.
func TestAllTokensByLastUse(t *testing.T) {
	f := newFixture(t)
	f.user(t, "alice")
	f.user(t, "bob")
	a, b, c, d := f.token(t, "alice"), f.token(t, "bob"), f.token(t, "alice"), f.token(t, "bob")
	auth := dynamo.NewAuthReader(f.db, f.tables.Tokens, f.tables.Audit)
	use := func(tok pat.Token, at time.Time) {
		t.Helper()
		if err := auth.RecordUse(ctx, tok.ID, pat.Use{At: at, SourceIP: "192.0.2.1"}, at.Add(-10*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	bUsed, cUsed := f.now.Add(time.Minute), f.now.Add(2*time.Minute)
	use(b, bUsed)
	use(c, cUsed)
	use(b, bUsed.Add(-time.Hour)) // an older use (a slow instance) moves nothing
	f.now = f.now.Add(time.Hour)
	locked := f.get(t, d.ID)
	locked.Status = pat.StatusLocked
	if err := f.store.SetTokenStatus(ctx, locked, pat.StatusActive, f.event(pat.ActionLocked, locked), nil); err != nil {
		t.Fatal(err)
	}

	counting := &countingDB{API: f.db}
	s := f.storeOn(t, counting)
	byUse := func(filter pat.TokenFilter) []string {
		t.Helper()
		filter.Order = pat.OrderLastUsed
		ids, total := f.allTokens(t, s, filter, 1)
		if total != nil {
			t.Fatalf("the last-use order counted: %+v", total)
		}
		return ids
	}
	for _, tc := range []struct {
		name   string
		filter pat.TokenFilter
		want   []string
	}{
		{"all", pat.TokenFilter{}, []string{c.ID, b.ID, d.ID, a.ID}},
		{"locked", pat.TokenFilter{Status: pat.StatusLocked}, []string{d.ID}},
		{"active", pat.TokenFilter{Status: pat.StatusActive}, []string{c.ID, b.ID, a.ID}},
		{"not used since c's use", pat.TokenFilter{LastUsedBefore: &cUsed}, []string{b.ID, d.ID, a.ID}},
		{"expiring before", pat.TokenFilter{ExpiringBefore: c.ExpiresAt}, []string{b.ID, a.ID}},
	} {
		counting.queries.Store(0)
		counting.scans.Store(0)
		counting.batchGets.Store(0)
		if got := byUse(tc.filter); !slices.Equal(got, tc.want) {
			t.Fatalf("%s: %v, want %v", tc.name, got, tc.want)
		}
		// Pages of one entry: a Query and a BatchGetItem a page, and the
		// last page; a filter leaves pages short, never reads more.
		if q, bg, scans := counting.queries.Load(), counting.batchGets.Load(), counting.scans.Load(); q > 5 || bg > 5 || scans != 0 {
			t.Fatalf("%s: %d queries, %d batch reads and %d scans for at most 5 pages", tc.name, q, bg, scans)
		}
	}

	use(a, f.now)
	if got := byUse(pat.TokenFilter{}); !slices.Equal(got, []string{a.ID, c.ID, b.ID, d.ID}) {
		t.Fatalf("after a's first use: %v", got)
	}

	// The entry's ttl follows the token's: an extension, a revocation.
	extended := f.get(t, b.ID)
	exp, at := f.now.Add(400*24*time.Hour), f.now
	extended.ExpiresAt, extended.DeleteAfter, extended.ExtendedAt = &exp, exp.Add(30*24*time.Hour), &at
	if err := f.store.ExtendToken(ctx, extended, extended.Owner.Rev, f.event(pat.ActionExtended, extended), nil); err != nil {
		t.Fatal(err)
	}
	if got, want := ttlOf(f.useEntry(t, b.ID)), strconv.FormatInt(extended.DeleteAfter.Unix(), 10); got != want {
		t.Fatalf("after an extension the entry's ttl is %s, the token's %s", got, want)
	}
	if _, err := f.store.RevokeTokens(ctx, f.revocation(f.get(t, c.ID))); err != nil {
		t.Fatal(err)
	}
	revoked := f.get(t, c.ID)
	if got, want := ttlOf(f.useEntry(t, c.ID)), strconv.FormatInt(revoked.DeleteAfter.Unix(), 10); got != want {
		t.Fatalf("after a revocation the entry's ttl is %s, the token's %s", got, want)
	}
	if got := byUse(pat.TokenFilter{Status: pat.StatusRevoked}); !slices.Equal(got, []string{c.ID}) {
		t.Fatalf("revoked by last use: %v", got)
	}

	// The job's deletion of an idle token takes its entry with it.
	idle := f.get(t, a.ID)
	if deleted, err := f.store.DeleteIdle(ctx, idle, f.event(pat.ActionDeleted, idle), nil); err != nil || !deleted {
		t.Fatalf("delete idle: %v, %v", deleted, err)
	}
	if entry := f.useEntry(t, a.ID); entry != nil {
		t.Fatalf("the entry outlived the job's deletion: %v", entry)
	}

	// A token gone by its TTL before its entry is skipped.
	if _, err := f.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &f.tables.Tokens, Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "TOKEN#" + c.ID}, "sk": &types.AttributeValueMemberS{Value: "TOKEN"}}}); err != nil {
		t.Fatal(err)
	}
	if got := byUse(pat.TokenFilter{}); !slices.Equal(got, []string{b.ID, d.ID}) {
		t.Fatalf("after deletions: %v", got)
	}

	// A cursor of the list by expiry is refused by the list by last use.
	first, err := s.ListAllTokens(ctx, pat.TokenFilter{Now: f.now, Order: pat.OrderExpires}, pat.PageRequest{Limit: 1, List: "all "})
	if err != nil || first.Next == "" {
		t.Fatalf("first page by expiry: %v", err)
	}
	if _, err := s.ListAllTokens(ctx, pat.TokenFilter{Now: f.now, Order: pat.OrderLastUsed}, pat.PageRequest{Limit: 1, List: "all ", Cursor: first.Next}); pat.ErrorCode(err) != pat.CodeInvalidCursor {
		t.Fatalf("a cursor of another order: %v", err)
	}
}

// A rotation puts the replacement in the last-use order as never used and
// gives the old token's entry the old token's new ttl.
func TestRotationKeepsTheLastUseOrder(t *testing.T) {
	f := newFixture(t)
	f.user(t, "alice")
	old := f.token(t, "alice")
	if err := dynamo.NewAuthReader(f.db, f.tables.Tokens, f.tables.Audit).RecordUse(ctx, old.ID, pat.Use{At: f.now}, f.now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Minute)
	read := f.get(t, old.ID)
	replacement := f.newToken("alice")
	now := f.now
	read.Status, read.RevokedAt, read.ReplacedUntil, read.DeleteAfter, read.ReplacedBy = pat.StatusRevoked, &now, &now, now.Add(30*24*time.Hour), replacement.ID
	if err := f.store.RotateToken(ctx, read, replacement, 1000, []pat.Event{f.event(pat.ActionRotated, read), f.event(pat.ActionCreated, replacement)}, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := ttlOf(f.useEntry(t, old.ID)), strconv.FormatInt(read.DeleteAfter.Unix(), 10); got != want {
		t.Fatalf("the old token's entry has ttl %s, the token %s", got, want)
	}
	ids, _ := f.allTokens(t, f.store, pat.TokenFilter{Order: pat.OrderLastUsed}, 10)
	if !slices.Equal(ids, []string{old.ID, replacement.ID}) {
		t.Fatalf("by last use after the rotation: %v", ids)
	}
}
