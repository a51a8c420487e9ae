package dynamo_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/pat"
)

// countingDB counts the requests a store makes, by kind.
type countingDB struct {
	dynamo.API
	queries, scans, batchGets atomic.Int32
}

func (c *countingDB) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.queries.Add(1)
	return c.API.Query(ctx, in, o...)
}

func (c *countingDB) Scan(ctx context.Context, in *dynamodb.ScanInput, o ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	c.scans.Add(1)
	return c.API.Scan(ctx, in, o...)
}

func (c *countingDB) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	c.batchGets.Add(1)
	return c.API.BatchGetItem(ctx, in, o...)
}

func (f *fixture) signIn(t *testing.T, id, name, email string) pat.User {
	t.Helper()
	u, _, err := f.store.SyncUser(ctx, pat.User{ID: id, Name: name, Email: email, Permissions: []string{"crm:read"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) listUsers(t *testing.T, s *dynamo.Store, q pat.DirectoryQuery, limit int, cursor string) pat.Page[pat.User] {
	t.Helper()
	page, err := s.ListUsers(ctx, q, pat.PageRequest{Limit: limit, Cursor: cursor, List: "users " + string(q.Order) + " " + q.Prefix})
	if err != nil {
		t.Fatal(err)
	}
	return page
}

func userIDs(us []pat.User) []string {
	ids := []string{}
	for _, u := range us {
		ids = append(ids, u.ID)
	}
	return ids
}

// The directory pages through users by name or address, case-insensitive
// prefix included, one Query per page (and one BatchGetItem for the
// address order), never a Scan; a new name or address moves the user.
func TestDirectoryOrdersAndPrefixes(t *testing.T) {
	f := newFixture(t)
	f.signIn(t, "u1", "Zoe Weber", "zoe@example.com")
	f.signIn(t, "u2", "anna Schmidt", "Boss@Example.com")
	f.signIn(t, "u3", "Anna", "anna@example.org")
	f.signIn(t, "u4", "", "carl@example.com") // no name: sorted by address
	f.token(t, "u2")
	if _, err := f.store.UpdateUser(ctx, pat.User{ID: "u5", Status: pat.UserDisabled}, pat.Event{ID: "ev-u5", Time: f.now, Action: "user.updated",
		OwnerID: "u5", ActorID: "admin", ActorRole: pat.RoleAdmin, Outcome: "success", ExpiresAt: f.now.AddDate(1, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	db := &countingDB{API: f.db}
	s := f.storeOn(t, db)

	cases := []struct {
		q    pat.DirectoryQuery
		want []string
	}{
		{pat.DirectoryQuery{Order: pat.OrderByName}, []string{"u3", "u2", "u4", "u5", "u1"}},
		{pat.DirectoryQuery{Order: pat.OrderByName, Prefix: "ANNA"}, []string{"u3", "u2"}},
		{pat.DirectoryQuery{Order: pat.OrderByName, Prefix: "anna s"}, []string{"u2"}},
		{pat.DirectoryQuery{Order: pat.OrderByEmail}, []string{"u3", "u2", "u4", "u1"}},
		{pat.DirectoryQuery{Order: pat.OrderByEmail, Prefix: "BOSS@"}, []string{"u2"}},
		{pat.DirectoryQuery{Order: pat.OrderByEmail, Prefix: "nobody"}, []string{}},
	}
	for _, c := range cases {
		t.Run(string(c.q.Order)+"/"+c.q.Prefix, func(t *testing.T) {
			var got []string
			cursor, pages := "", 0
			q0, b0 := db.queries.Load(), db.batchGets.Load()
			for {
				page := f.listUsers(t, s, c.q, 2, cursor)
				got, pages = append(got, userIDs(page.Items)...), pages+1
				if cursor = page.Next; cursor == "" {
					break
				}
			}
			if got == nil {
				got = []string{}
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			if q := db.queries.Load() - q0; int(q) != pages {
				t.Errorf("%d queries for %d pages, want one each", q, pages)
			}
			wantBatches := 0
			if c.q.Order == pat.OrderByEmail {
				wantBatches = pages
				if len(c.want) == 0 {
					wantBatches = 0
				}
			}
			if b := db.batchGets.Load() - b0; int(b) > wantBatches {
				t.Errorf("%d BatchGetItems for %d pages", b, pages)
			}
		})
	}
	if db.scans.Load() != 0 {
		t.Fatalf("the directory scanned the table %d times", db.scans.Load())
	}

	// What a page shows of a user: name, address, status, permissions, token count.
	page := f.listUsers(t, s, pat.DirectoryQuery{Order: pat.OrderByEmail, Prefix: "boss"}, 5, "")
	if u := page.Items[0]; u.Name != "anna Schmidt" || u.Email != "Boss@Example.com" || u.Status != pat.UserActive || u.ActiveTokens != 1 || !slices.Equal(u.Permissions, []string{"crm:read"}) {
		t.Fatalf("user as listed: %+v", u)
	}

	// A new name and address move the user in both orders; the old address finds nobody.
	f.signIn(t, "u1", "Aaron", "aaron@example.com")
	if got := userIDs(f.listUsers(t, s, pat.DirectoryQuery{Order: pat.OrderByName, Prefix: "a"}, 10, "").Items); !slices.Equal(got, []string{"u1", "u3", "u2"}) {
		t.Fatalf("after a new name: %v", got)
	}
	if got := userIDs(f.listUsers(t, s, pat.DirectoryQuery{Order: pat.OrderByEmail, Prefix: "zoe"}, 10, "").Items); len(got) != 0 {
		t.Fatalf("the old address still lists %v", got)
	}
	if id, err := s.FindUserByEmail(ctx, "AARON@example.com"); err != nil || id != "u1" {
		t.Fatalf("find by new address: %q, %v", id, err)
	}
	if _, err := s.FindUserByEmail(ctx, "zoe@example.com"); pat.ErrorCode(err) != pat.CodeNotFound {
		t.Fatalf("find by old address: %v", err)
	}
	// A sign-in without a name keeps the one stored.
	if u := f.signIn(t, "u1", "", "aaron@example.com"); u.Name != "Aaron" {
		t.Fatalf("name after a sign-in without one: %q", u.Name)
	}
}

// A sign-in that changes nothing writes nothing, the directory included.
func TestDirectoryCostsNoWriteOnAnUnchangedSignIn(t *testing.T) {
	f := newFixture(t)
	f.signIn(t, "u1", "Zoe", "zoe@example.com")
	db := &writeCounter{API: f.db}
	s := f.storeOn(t, db)
	if _, _, err := s.SyncUser(ctx, pat.User{ID: "u1", Name: "Zoe", Email: "zoe@example.com", Permissions: []string{"crm:read"}}, nil); err != nil {
		t.Fatal(err)
	}
	if n := db.writes.Load(); n != 0 {
		t.Fatalf("an unchanged sign-in made %d writes", n)
	}
}

type writeCounter struct {
	dynamo.API
	writes atomic.Int32
}

func (c *writeCounter) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.writes.Add(1)
	return c.API.UpdateItem(ctx, in, o...)
}

func (c *writeCounter) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.writes.Add(1)
	return c.API.TransactWriteItems(ctx, in, o...)
}

// Two users with one address: the owner filter cannot pick one.
func TestFindUserByEmailRefusesAnAmbiguousAddress(t *testing.T) {
	f := newFixture(t)
	f.signIn(t, "u1", "One", "shared@example.com")
	f.signIn(t, "u2", "Two", "Shared@example.com")
	if _, err := f.store.FindUserByEmail(ctx, "shared@example.com"); pat.ErrorCode(err) != pat.CodeInvalid {
		t.Fatalf("ambiguous address: %v", err)
	}
}
