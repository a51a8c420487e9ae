package dynamo_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/token"
)

func tokenIDs(ts []pat.Token) []string {
	ids := []string{}
	for _, t := range ts {
		ids = append(ids, t.ID)
	}
	return ids
}

// allTokens reads the whole all-tokens list matching f, a page of limit at
// a time, and the first page's total.
func (f *fixture) allTokens(t *testing.T, s *dynamo.Store, filter pat.TokenFilter, limit int) ([]string, *pat.Total) {
	t.Helper()
	filter.Now = f.now
	var ids []string
	var total *pat.Total
	for cursor, pages := "", 0; pages == 0 || cursor != ""; pages++ {
		page, err := s.ListAllTokens(ctx, filter, pat.PageRequest{Cursor: cursor, Limit: limit, List: fmt.Sprint("all ", filter.Status)})
		if err != nil {
			t.Fatal(err)
		}
		if pages == 0 {
			total = page.Total
		} else if page.Total != nil {
			t.Fatalf("page %d carries a total: %+v", pages+1, page.Total)
		}
		ids, cursor = append(ids, tokenIDs(page.Items)...), page.Next
	}
	return ids, total
}

// The all-tokens list is read from the list index, newest first, one Query
// a page and never a Scan; the status is the one users see (an active
// token past its expiry is expired, before the job writes it), and a lock
// or a revocation shows at once. The first page counts the list.
func TestAllTokensNewestFirstByStatusCounted(t *testing.T) {
	f := newFixture(t)
	f.user(t, "alice")
	f.user(t, "bob")
	a1, b1, a2, b2, a3 := f.token(t, "alice"), f.token(t, "bob"), f.token(t, "alice"), f.token(t, "bob"), f.token(t, "alice")
	locked := b1
	locked.Status = pat.StatusLocked
	if err := f.store.SetTokenStatus(ctx, locked, pat.StatusActive, f.event(pat.ActionLocked, locked), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.RevokeTokens(ctx, f.revocation(a2)); err != nil {
		t.Fatal(err)
	}
	// b2 expires by time: its item still says active.
	if _, err := f.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &f.tables.Tokens,
		Key:              map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "TOKEN#" + b2.ID}, "sk": &types.AttributeValueMemberS{Value: "TOKEN"}},
		UpdateExpression: aws.String("SET expiresAt = :past"), ExpressionAttributeValues: map[string]types.AttributeValue{
			":past": &types.AttributeValueMemberS{Value: f.now.Add(-time.Minute).Format("2006-01-02T15:04:05.000000Z")}}}); err != nil {
		t.Fatal(err)
	}
	counting := &countingDB{API: f.db}
	s := f.storeOn(t, counting)
	cases := []struct {
		status pat.Status
		want   []string
	}{
		{"", []string{a3.ID, b2.ID, a2.ID, b1.ID, a1.ID}},
		{pat.StatusActive, []string{a3.ID, a1.ID}},
		{pat.StatusExpired, []string{b2.ID}},
		{pat.StatusLocked, []string{b1.ID}},
		{pat.StatusRevoked, []string{a2.ID}},
	}
	for _, c := range cases {
		t.Run(string(c.status)+"-", func(t *testing.T) {
			counting.queries.Store(0)
			ids, total := f.allTokens(t, s, pat.TokenFilter{Status: c.status}, 2)
			if !slices.Equal(ids, c.want) {
				t.Fatalf("listed %v, want %v", ids, c.want)
			}
			if total == nil || total.Count != len(c.want) || total.More {
				t.Fatalf("total %+v, want %d", total, len(c.want))
			}
			pages := (len(c.want) + 1) / 2
			if q, scans := counting.queries.Load(), counting.scans.Load(); int(q) > pages+1 || scans != 0 {
				t.Fatalf("%d queries and %d scans for %d pages and a count", q, scans, pages)
			}
		})
	}
}

// Counting stops past dynamo.CountCap: the total then says "more than".
func TestAllTokensCountIsCapped(t *testing.T) {
	f := newFixture(t)
	var batch []types.WriteRequest
	flush := func() {
		if len(batch) == 0 {
			return
		}
		out, err := f.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{f.tables.Tokens: batch}})
		if err != nil || len(out.UnprocessedItems) > 0 {
			t.Fatalf("load tokens: %v (%d unprocessed)", err, len(out.UnprocessedItems))
		}
		batch = batch[:0]
	}
	for range dynamo.CountCap + 2 {
		item, err := dynamo.TokenItem(f.newToken("alice"))
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
		if len(batch) == 25 {
			flush()
		}
	}
	flush()
	page, err := f.store.ListAllTokens(ctx, pat.TokenFilter{Now: f.now}, pat.PageRequest{Limit: 10, List: "all"})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total == nil || page.Total.Count != dynamo.CountCap || !page.Total.More {
		t.Fatalf("total %+v, want more than %d", page.Total, dynamo.CountCap)
	}
}

// A user's own list filters by status and by a part of the name, without
// regard to case, and pages through what matches.
func TestOwnTokensByStatusAndName(t *testing.T) {
	f := newFixture(t)
	f.user(t, "alice")
	named := func(name string) pat.Token {
		tok := f.newToken("alice")
		tok.Name = name
		if err := f.store.CreateToken(ctx, tok, 1000, f.event(pat.ActionCreated, tok), nil); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(time.Second)
		return tok
	}
	ci, deploy, ciOld, other := named("CI build"), named("deploy"), named("old ci runner"), named("Grafana")
	if _, err := f.store.RevokeTokens(ctx, f.revocation(ciOld)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		filter pat.OwnTokenFilter
		want   []string
	}{
		{pat.OwnTokenFilter{}, []string{other.ID, ciOld.ID, deploy.ID, ci.ID}},
		{pat.OwnTokenFilter{Query: "Ci"}, []string{ciOld.ID, ci.ID}},
		{pat.OwnTokenFilter{Query: "ci", Status: pat.StatusActive}, []string{ci.ID}},
		{pat.OwnTokenFilter{Status: pat.StatusRevoked}, []string{ciOld.ID}},
		{pat.OwnTokenFilter{Query: "nothing"}, []string{}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.filter.Status, "/", c.filter.Query), func(t *testing.T) {
			c.filter.Now = f.now
			ids := []string{}
			for cursor, pages := "", 0; pages == 0 || cursor != ""; pages++ {
				page, err := f.store.ListTokens(ctx, "alice", c.filter, pat.PageRequest{Cursor: cursor, Limit: 1, List: "own"})
				if err != nil {
					t.Fatal(err)
				}
				ids, cursor = append(ids, tokenIDs(page.Items)...), page.Next
			}
			if !slices.Equal(ids, c.want) {
				t.Fatalf("listed %v, want %v", ids, c.want)
			}
		})
	}
}

// The list backfill gives tokens and users written before the list index
// their entries, a bounded part a call, from where the last call stopped;
// once done, a call writes nothing.
func TestBackfillLists(t *testing.T) {
	f := newFixture(t)
	for _, id := range []string{"old1", "old2", "old3"} {
		f.signIn(t, id, "", id+"@example.com")
		// As written before the directory: no name, no entries.
		if _, err := f.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &f.tables.Tokens, Key: ownerItemKey(id),
			UpdateExpression: aws.String("REMOVE listPk, listSk, dirName, dirEmail, #name"), ExpressionAttributeNames: map[string]string{"#name": "name"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &f.tables.Tokens, Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "OWNER#" + token.OwnerTag(id)}, "sk": &types.AttributeValueMemberS{Value: "EMAIL"}}}); err != nil {
			t.Fatal(err)
		}
	}
	old := []pat.Token{f.token(t, "old1"), f.token(t, "old2")}
	for _, tok := range old { // as written before the list
		if _, err := f.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &f.tables.Tokens,
			Key:              map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "TOKEN#" + tok.ID}, "sk": &types.AttributeValueMemberS{Value: "TOKEN"}},
			UpdateExpression: aws.String("REMOVE listPk, listSk")}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tok := range old[:1] { // and before the expiry order
		if _, err := f.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &f.tables.Tokens, Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "TOKSORT#" + tok.ID}, "sk": &types.AttributeValueMemberS{Value: "expires"}}}); err != nil {
			t.Fatal(err)
		}
	}
	// And before the last-use order: old1's entry is gone, old2's holds
	// only the ttl an extension or revocation gave it meanwhile (useTTL).
	if _, err := f.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &f.tables.Tokens, Key: useEntryKey(old[0].ID)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &f.tables.Tokens, Key: useEntryKey(old[1].ID),
		UpdateExpression: aws.String("REMOVE listPk, listSk, id")}); err != nil {
		t.Fatal(err)
	}
	// A use meanwhile moves nothing: the backfill writes the entry.
	if err := dynamo.NewAuthReader(f.db, f.tables.Tokens, f.tables.Audit).RecordUse(ctx, old[1].ID, pat.Use{At: f.now}, f.now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if entry := f.useEntry(t, old[1].ID); entry["listSk"] != nil {
		t.Fatalf("a use wrote an entry before the backfill: %v", entry)
	}
	fresh := f.token(t, "old3")
	if got := f.listUsers(t, f.store, pat.DirectoryQuery{Order: pat.OrderByName}, 10, "").Items; len(got) != 0 {
		t.Fatalf("users before the backfill: %v", userIDs(got))
	}
	if ids, _ := f.allTokens(t, f.store, pat.TokenFilter{}, 10); !slices.Equal(ids, []string{fresh.ID}) {
		t.Fatalf("tokens before the backfill: %v", ids)
	}
	var total pat.ListBackfill
	for calls := 0; !total.Done; calls++ {
		if calls > 50 {
			t.Fatal("the backfill does not finish")
		}
		res, err := f.store.BackfillLists(ctx, 2, 2)
		if err != nil {
			t.Fatal(err)
		}
		if res.Scanned > 2 {
			t.Fatalf("a call scanned %d items, budget 2", res.Scanned)
		}
		total.Tokens, total.Users, total.Expiries, total.Uses, total.Done = total.Tokens+res.Tokens, total.Users+res.Users, total.Expiries+res.Expiries, total.Uses+res.Uses, res.Done
	}
	if total.Tokens != 2 || total.Users != 3 || total.Expiries != 1 || total.Uses != 2 {
		t.Fatalf("backfilled %+v, want 2 tokens, 3 users, 1 expiry entry and 2 last-use entries", total)
	}
	if ids, _ := f.allTokens(t, f.store, pat.TokenFilter{Order: pat.OrderLastUsed}, 10); !slices.Equal(ids, []string{old[1].ID, fresh.ID, old[0].ID}) {
		t.Fatalf("tokens by last use after the backfill: %v", ids)
	}
	if ids, _ := f.allTokens(t, f.store, pat.TokenFilter{Order: pat.OrderExpires}, 10); !slices.Equal(ids, []string{old[0].ID, old[1].ID, fresh.ID}) {
		t.Fatalf("tokens by expiry after the backfill: %v", ids)
	}
	for _, order := range []pat.DirectoryQuery{{Order: pat.OrderByName}, {Order: pat.OrderByEmail}} {
		if got := userIDs(f.listUsers(t, f.store, order, 10, "").Items); !slices.Equal(got, []string{"old1", "old2", "old3"}) {
			t.Fatalf("%s order after the backfill: %v", order.Order, got)
		}
	}
	if ids, _ := f.allTokens(t, f.store, pat.TokenFilter{}, 10); !slices.Equal(ids, []string{fresh.ID, old[1].ID, old[0].ID}) {
		t.Fatalf("tokens after the backfill: %v", ids)
	}
	if res, err := f.store.BackfillLists(ctx, 100, 100); err != nil || res.Scanned != 0 || !res.Done {
		t.Fatalf("a call after the end: %+v (%v)", res, err)
	}
}
